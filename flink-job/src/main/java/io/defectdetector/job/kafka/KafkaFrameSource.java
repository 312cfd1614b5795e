package io.defectdetector.job.kafka;

import io.defectdetector.job.config.JobConfig;
import io.defectdetector.job.config.JobOptions;
import io.defectdetector.job.frames.RawFrameRecord;
import java.util.Properties;
import org.apache.flink.connector.kafka.source.KafkaSource;
import org.apache.kafka.clients.consumer.ConsumerConfig;

/** The frames source: an unbounded KafkaSource of raw records, offsets checkpointed by Flink. */
public final class KafkaFrameSource {
    private KafkaFrameSource() {
    }

    public static KafkaSource<RawFrameRecord> create(JobConfig cfg) {
        Properties props = cfg.kafkaSettings().toProperties();
        // Frames written by transactional producers are read only once committed (user settings may override).
        props.putIfAbsent(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        String groupId = cfg.get(JobOptions.KAFKA_GROUP_ID).trim();
        return KafkaSource.<RawFrameRecord>builder()
                .setProperties(props)
                .setBootstrapServers(cfg.bootstrapServers())
                .setGroupId(groupId)
                .setClientIdPrefix(groupId + "-frames")
                .setTopics(cfg.get(JobOptions.KAFKA_FRAMES_TOPIC))
                .setStartingOffsets(cfg.get(JobOptions.KAFKA_STARTING_OFFSETS).initializer())
                .setDeserializer(new RawFrameDeserializer())
                .build();
    }
}
