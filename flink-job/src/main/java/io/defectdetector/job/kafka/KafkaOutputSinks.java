package io.defectdetector.job.kafka;

import io.defectdetector.job.alerts.DefectAlert;
import io.defectdetector.job.config.DeliveryMode;
import io.defectdetector.job.config.JobConfig;
import io.defectdetector.job.config.JobOptions;
import io.defectdetector.job.deadletter.DeadLetterRecord;
import io.defectdetector.job.deadletter.DeadLetterSerializer;
import io.defectdetector.job.alerts.ScoreRecord;
import java.util.Map;
import java.util.Properties;
import org.apache.flink.connector.kafka.sink.KafkaSink;
import org.apache.flink.connector.kafka.sink.TransactionNamingStrategy;
import org.apache.kafka.clients.producer.ProducerConfig;

/**
 * The Kafka sinks. All share the delivery guarantee: with EXACTLY_ONCE each writes in Kafka transactions
 * committed on checkpoint completion, under its own transactional-id prefix ({@code <prefix>-alerts}, ...), so
 * their lingering transactions are found and aborted independently after a failure.
 *
 * <p>Transactional ids are pooled ({@link #TRANSACTION_NAMING}): each subtask reuses a few ids instead of opening
 * a new one per checkpoint. The connector's default names a new id per checkpoint, and the transaction
 * coordinator keeps every id it has seen for {@code transactional.id.expiration.ms} (7 days): at 1 s checkpoints,
 * 3 sinks and parallelism 2 that is 6 new ids a second, about 3.6 million a week held in broker memory (see
 * docs/performance.md). Pooling needs Kafka 3.0+; at start the sink lists the open transactions on its topic, so
 * each serializer names its topic ({@link TopicNamedSerializer}), and the job's principal needs DESCRIBE on its
 * transactional ids. The admin client each writer opens for that listing is closed once the writer has started
 * ({@link PatchedKafkaSink}). The control stage's audit and control dead-letter sinks ({@code ControlKafka})
 * are built here too.
 */
public final class KafkaOutputSinks {
    private KafkaOutputSinks() {
    }

    /** How the exactly-once sinks name their transactions. */
    public static final TransactionNamingStrategy TRANSACTION_NAMING = TransactionNamingStrategy.POOLING;

    public static PatchedKafkaSink<DefectAlert> alerts(JobConfig cfg) {
        String topic = cfg.get(JobOptions.KAFKA_ALERTS_TOPIC);
        return sink(cfg, "alerts", TopicNamedSerializer.of(new AlertSerializer(topic), topic));
    }

    public static PatchedKafkaSink<DeadLetterRecord> deadLetters(JobConfig cfg) {
        String topic = cfg.get(JobOptions.KAFKA_DEAD_LETTER_TOPIC);
        return deadLetterSink(cfg, "dead-letter",
                TopicNamedSerializer.of(new DeadLetterSerializer(topic, cfg.deadLetterMaxBytes()), topic));
    }

    /**
     * A sink to the dead-letter topic whose producer takes records up to dead-letter-max-bytes: the client's
     * defaults (max.request.size 1 MiB, buffer.memory 32 MiB) would refuse larger dead letters and fail the job on
     * each one. Uncompressed, so that the size DeadLetterSerializer bounds is the size the broker checks (image
     * bytes do not compress, and a compressed batch of them can come out a little larger).
     */
    public static <T> PatchedKafkaSink<T> deadLetterSink(JobConfig cfg, String name,
            TopicNamedSerializer<T> serializer) {
        long needed = (long) cfg.deadLetterMaxBytes() + REQUEST_HEADROOM;
        return sink(cfg, name, serializer, Map.of(
                ProducerConfig.MAX_REQUEST_SIZE_CONFIG, atLeast(cfg, ProducerConfig.MAX_REQUEST_SIZE_CONFIG,
                        1024 * 1024, needed),
                ProducerConfig.BUFFER_MEMORY_CONFIG, atLeast(cfg, ProducerConfig.BUFFER_MEMORY_CONFIG,
                        32L * 1024 * 1024, needed),
                ProducerConfig.COMPRESSION_TYPE_CONFIG, "none"));
    }

    /** The producer's size estimate is an upper bound over the record: leave it room. */
    static final int REQUEST_HEADROOM = 64 * 1024;

    /** The configured value of a size setting (or Kafka's default), raised to {@code needed} if below it. */
    private static String atLeast(JobConfig cfg, String key, long kafkaDefault, long needed) {
        long configured = kafkaDefault;
        String given = cfg.kafkaSettings().get(key).orElse(null);
        if (given != null) {
            try {
                configured = Long.parseLong(given.trim());
            } catch (NumberFormatException e) {
                configured = kafkaDefault; // Kafka itself refuses it in the other clients, with its own message
            }
        }
        return Long.toString(Math.min(Integer.MAX_VALUE, Math.max(configured, needed)));
    }

    public static PatchedKafkaSink<ScoreRecord> scores(JobConfig cfg) {
        String topic = cfg.get(JobOptions.KAFKA_SCORES_TOPIC);
        return sink(cfg, "scores", TopicNamedSerializer.of(new ScoreSerializer(topic), topic));
    }

    /** The transactional-id prefix of one sink: the job's prefix plus the sink's name. */
    public static String transactionalIdPrefix(JobConfig cfg, String sinkName) {
        return cfg.transactionalIdPrefix() + "-" + sinkName;
    }

    /** A sink with the job's Kafka settings and delivery guarantee, under its own transactional-id prefix. */
    public static <T> PatchedKafkaSink<T> sink(JobConfig cfg, String name, TopicNamedSerializer<T> serializer) {
        return sink(cfg, name, serializer, Map.of());
    }

    private static <T> PatchedKafkaSink<T> sink(JobConfig cfg, String name, TopicNamedSerializer<T> serializer,
            Map<String, String> overrides) {
        Properties props = cfg.kafkaSettings().toProperties();
        props.putAll(overrides);
        // Explicit, because the connector's default (1 h) exceeds a default broker's 15 min cap and fails the job.
        props.setProperty(ProducerConfig.TRANSACTION_TIMEOUT_CONFIG,
                Long.toString(cfg.get(JobOptions.KAFKA_TRANSACTION_TIMEOUT).toMillis()));
        var builder = KafkaSink.<T>builder()
                .setKafkaProducerConfig(props)
                .setBootstrapServers(cfg.bootstrapServers())
                .setDeliveryGuarantee(cfg.delivery().guarantee())
                .setRecordSerializer(serializer);
        if (cfg.delivery() == DeliveryMode.EXACTLY_ONCE) {
            builder.setTransactionalIdPrefix(transactionalIdPrefix(cfg, name))
                    .setTransactionNamingStrategy(TRANSACTION_NAMING);
        }
        return new PatchedKafkaSink<>(builder.build());
    }
}
