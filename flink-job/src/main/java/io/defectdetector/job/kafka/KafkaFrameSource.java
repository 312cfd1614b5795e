package io.defectdetector.job.kafka;

import io.defectdetector.job.config.JobConfig;
import io.defectdetector.job.config.JobOptions;
import io.defectdetector.job.frames.RawFrameRecord;
import java.util.Properties;
import org.apache.flink.connector.kafka.source.KafkaSource;
import org.apache.flink.connector.kafka.source.KafkaSourceBuilder;
import org.apache.kafka.clients.consumer.ConsumerConfig;

/** The frames source: an unbounded KafkaSource of raw records, offsets checkpointed by Flink; its builder is shared. */
public final class KafkaFrameSource {
    private KafkaFrameSource() {
    }

    public static KafkaSource<RawFrameRecord> create(JobConfig cfg) {
        return builder(cfg, "frames")
                .setTopics(cfg.get(JobOptions.KAFKA_FRAMES_TOPIC))
                .setStartingOffsets(cfg.get(JobOptions.KAFKA_STARTING_OFFSETS).initializer())
                .build();
    }

    /**
     * What every Kafka source of the job shares (frames, control commands): the job's Kafka settings, its group
     * id, a client id naming the source, undecoded records.
     */
    public static KafkaSourceBuilder<RawFrameRecord> builder(JobConfig cfg, String name) {
        Properties props = cfg.kafkaSettings().toProperties();
        // Records written by transactional producers are read only once committed (user settings may override).
        props.putIfAbsent(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        String groupId = cfg.get(JobOptions.KAFKA_GROUP_ID).trim();
        return KafkaSource.<RawFrameRecord>builder()
                .setProperties(props)
                .setBootstrapServers(cfg.bootstrapServers())
                .setGroupId(groupId)
                .setClientIdPrefix(groupId + "-" + name)
                .setDeserializer(new RawFrameDeserializer());
    }
}
