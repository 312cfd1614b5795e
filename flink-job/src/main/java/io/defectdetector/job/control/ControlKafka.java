package io.defectdetector.job.control;

import io.defectdetector.job.config.DeliveryMode;
import io.defectdetector.job.config.JobConfig;
import io.defectdetector.job.config.JobOptions;
import io.defectdetector.job.frames.RawFrameRecord;
import io.defectdetector.job.kafka.KafkaOutputSinks;
import io.defectdetector.job.kafka.RawFrameDeserializer;
import io.defectdetector.job.kafka.TopicNamedSerializer;
import java.util.Properties;
import java.util.regex.Pattern;
import org.apache.flink.connector.kafka.sink.KafkaRecordSerializationSchema;
import org.apache.flink.connector.kafka.sink.KafkaSink;
import org.apache.flink.connector.kafka.source.KafkaSource;
import org.apache.flink.connector.kafka.source.enumerator.initializer.OffsetsInitializer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;

/**
 * The control topic source and the audit / control dead-letter sinks, with the same client settings, delivery
 * guarantee and transaction rules as the job's other Kafka clients.
 */
public final class ControlKafka {
    private ControlKafka() {
    }

    /** How soon a control topic created after the job started is read. */
    public static final java.time.Duration DISCOVERY_INTERVAL = java.time.Duration.ofSeconds(30);

    /**
     * Control records whole, as frames are read (decoding and validation happen in {@link ParseControlFunction}).
     * Offsets are checkpointed: a job restored from a checkpoint or savepoint reads the commands sent while it
     * was down; {@code startingOffsets} applies to a job started without one.
     *
     * <p>The topic is subscribed by (exact) pattern rather than by name: a missing control topic must not stop
     * detection, so the job runs on its current thresholds and starts reading the topic, from its beginning,
     * within {@link #DISCOVERY_INTERVAL} of its creation.
     */
    public static KafkaSource<RawFrameRecord> source(JobConfig cfg, OffsetsInitializer startingOffsets) {
        Properties props = cfg.kafkaSettings().toProperties();
        props.putIfAbsent(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        String groupId = cfg.get(JobOptions.KAFKA_GROUP_ID).trim();
        return KafkaSource.<RawFrameRecord>builder()
                .setProperties(props)
                .setBootstrapServers(cfg.bootstrapServers())
                .setGroupId(groupId)
                .setClientIdPrefix(groupId + "-control")
                .setTopicPattern(Pattern.compile(Pattern.quote(cfg.get(JobOptions.KAFKA_CONTROL_TOPIC))))
                .setProperty("partition.discovery.interval.ms", Long.toString(DISCOVERY_INTERVAL.toMillis()))
                .setStartingOffsets(startingOffsets)
                .setDeserializer(new RawFrameDeserializer())
                .build();
    }

    public static KafkaSink<AuditRecord> auditSink(JobConfig cfg) {
        return sink(cfg, "audit", new AuditSerializer(cfg.get(JobOptions.KAFKA_AUDIT_TOPIC)), false);
    }

    /**
     * Rejected control records go to the job's dead-letter topic, which exactly-once runs need at start anyway (its
     * main sink pools its ids), so this sink pools its transactional ids too. A savepoint taken with the earlier
     * per-checkpoint ids restores into it: the connector supports that switch (not the reverse).
     */
    public static KafkaSink<ControlReject> rejectSink(JobConfig cfg) {
        String topic = cfg.get(JobOptions.KAFKA_DEAD_LETTER_TOPIC);
        return sink(cfg, "control-dead-letter", TopicNamedSerializer.of(new ControlRejectSerializer(topic), topic),
                true);
    }

    /**
     * The audit sink keeps the connector's default transaction naming (a new transactional id per checkpoint):
     * pooled ids make the sink list its topic's transactions at start, which fails when the topic is missing, and
     * the audit topic may be absent as long as the control topic is. (When the control topic exists at start,
     * {@link io.defectdetector.job.kafka.TopicPreflight} refuses to start without the audit topic; one created
     * later needs its audit topic created first.)
     */
    private static <T> KafkaSink<T> sink(JobConfig cfg, String name, KafkaRecordSerializationSchema<T> serializer,
            boolean pooledIds) {
        Properties props = cfg.kafkaSettings().toProperties();
        props.setProperty(ProducerConfig.TRANSACTION_TIMEOUT_CONFIG,
                Long.toString(cfg.get(JobOptions.KAFKA_TRANSACTION_TIMEOUT).toMillis()));
        var builder = KafkaSink.<T>builder()
                .setKafkaProducerConfig(props)
                .setBootstrapServers(cfg.bootstrapServers())
                .setDeliveryGuarantee(cfg.delivery().guarantee())
                .setRecordSerializer(serializer);
        if (cfg.delivery() == DeliveryMode.EXACTLY_ONCE) {
            builder.setTransactionalIdPrefix(KafkaOutputSinks.transactionalIdPrefix(cfg, name));
            if (pooledIds) {
                builder.setTransactionNamingStrategy(KafkaOutputSinks.TRANSACTION_NAMING);
            }
        }
        return builder.build();
    }
}
