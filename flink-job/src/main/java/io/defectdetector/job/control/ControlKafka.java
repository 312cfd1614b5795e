package io.defectdetector.job.control;

import io.defectdetector.job.config.JobConfig;
import io.defectdetector.job.config.JobOptions;
import io.defectdetector.job.frames.RawFrameRecord;
import io.defectdetector.job.kafka.PatchedKafkaSink;
import io.defectdetector.job.kafka.KafkaOutputSinks;
import io.defectdetector.job.kafka.KafkaFrameSource;
import io.defectdetector.job.kafka.TopicNamedSerializer;
import java.util.regex.Pattern;
import org.apache.flink.connector.kafka.source.KafkaSource;
import org.apache.flink.connector.kafka.source.enumerator.initializer.OffsetsInitializer;

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
        return KafkaFrameSource.builder(cfg, "control")
                .setTopicPattern(Pattern.compile(Pattern.quote(cfg.get(JobOptions.KAFKA_CONTROL_TOPIC))))
                .setProperty("partition.discovery.interval.ms", Long.toString(DISCOVERY_INTERVAL.toMillis()))
                .setStartingOffsets(startingOffsets)
                .build();
    }

    /**
     * One audit record per applied command. The audit topic may be created after the job starts, as the control
     * topic may (when the control topic exists at start, {@link io.defectdetector.job.kafka.TopicPreflight}
     * refuses to start without the audit topic); pooled transactional ids allow that, see
     * {@link TopicNamedSerializer}. A savepoint taken with the earlier per-checkpoint ids restores into this sink:
     * the connector supports that switch (not the reverse).
     */
    public static PatchedKafkaSink<AuditRecord> auditSink(JobConfig cfg) {
        String topic = cfg.get(JobOptions.KAFKA_AUDIT_TOPIC);
        return KafkaOutputSinks.sink(cfg, "audit", TopicNamedSerializer.of(new AuditSerializer(topic), topic));
    }

    /** Rejected control records, to the job's dead-letter topic, under their own transactional-id prefix. */
    public static PatchedKafkaSink<ControlReject> rejectSink(JobConfig cfg) {
        String topic = cfg.get(JobOptions.KAFKA_DEAD_LETTER_TOPIC);
        return KafkaOutputSinks.deadLetterSink(cfg, "control-dead-letter",
                TopicNamedSerializer.of(new ControlRejectSerializer(topic, cfg.deadLetterMaxBytes()), topic));
    }
}
