package io.defectdetector.job.kafka;

import io.defectdetector.job.alerts.DefectAlert;
import io.defectdetector.job.config.DeliveryMode;
import io.defectdetector.job.config.JobConfig;
import io.defectdetector.job.config.JobOptions;
import io.defectdetector.job.deadletter.DeadLetterRecord;
import io.defectdetector.job.deadletter.DeadLetterSerializer;
import io.defectdetector.job.alerts.ScoreRecord;
import java.util.Properties;
import org.apache.flink.connector.kafka.sink.KafkaRecordSerializationSchema;
import org.apache.flink.connector.kafka.sink.KafkaSink;
import org.apache.kafka.clients.producer.ProducerConfig;

/**
 * The three Kafka sinks. All share the delivery guarantee: with EXACTLY_ONCE each writes in Kafka transactions
 * committed on checkpoint completion, under its own transactional-id prefix ({@code <prefix>-alerts}, ...), so
 * their lingering transactions are found and aborted independently after a failure.
 */
public final class KafkaOutputSinks {
    private KafkaOutputSinks() {
    }

    public static KafkaSink<DefectAlert> alerts(JobConfig cfg) {
        return sink(cfg, "alerts", new AlertSerializer(cfg.get(JobOptions.KAFKA_ALERTS_TOPIC)));
    }

    public static KafkaSink<DeadLetterRecord> deadLetters(JobConfig cfg) {
        return sink(cfg, "dead-letter", new DeadLetterSerializer(cfg.get(JobOptions.KAFKA_DEAD_LETTER_TOPIC)));
    }

    public static KafkaSink<ScoreRecord> scores(JobConfig cfg) {
        return sink(cfg, "scores", new ScoreSerializer(cfg.get(JobOptions.KAFKA_SCORES_TOPIC)));
    }

    /** The transactional-id prefix of one sink: the job's prefix plus the sink's name. */
    public static String transactionalIdPrefix(JobConfig cfg, String sinkName) {
        return cfg.transactionalIdPrefix() + "-" + sinkName;
    }

    private static <T> KafkaSink<T> sink(JobConfig cfg, String name, KafkaRecordSerializationSchema<T> serializer) {
        Properties props = cfg.kafkaSettings().toProperties();
        // Explicit, because the connector's default (1 h) exceeds a default broker's 15 min cap and fails the job.
        props.setProperty(ProducerConfig.TRANSACTION_TIMEOUT_CONFIG,
                Long.toString(cfg.get(JobOptions.KAFKA_TRANSACTION_TIMEOUT).toMillis()));
        var builder = KafkaSink.<T>builder()
                .setKafkaProducerConfig(props)
                .setBootstrapServers(cfg.bootstrapServers())
                .setDeliveryGuarantee(cfg.delivery().guarantee())
                .setRecordSerializer(serializer);
        if (cfg.delivery() == DeliveryMode.EXACTLY_ONCE) {
            builder.setTransactionalIdPrefix(transactionalIdPrefix(cfg, name));
        }
        return builder.build();
    }
}
