package io.defectdetector.job.config;

import io.defectdetector.frame.FrameLimits;
import io.defectdetector.frame.KafkaClientSettings;
import io.defectdetector.job.inference.InferenceSettings;
import java.util.Map;
import java.util.TreeMap;
import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.Configuration;

/**
 * A validated job configuration: the {@link JobOptions} values plus the merged Kafka client properties.
 *
 * <p>Used on the client while the pipeline is assembled; operators receive only the small serializable
 * settings they need. Not serializable on purpose: it holds Kafka secrets, and {@link #toString()} is the only
 * way it is ever printed (secrets masked).
 */
public final class JobConfig {
    private final Configuration options;
    private final KafkaClientSettings kafka;

    private JobConfig(Configuration options, KafkaClientSettings kafka) {
        this.options = options;
        this.kafka = kafka;
    }

    /** Validates eagerly; the IllegalArgumentException lists every problem, each naming its option. */
    public static JobConfig from(Configuration conf) {
        Configuration copy = new Configuration(conf);
        JobOptions.validate(copy);
        return new JobConfig(copy, JobOptions.kafkaSettings(copy));
    }

    public <T> T get(ConfigOption<T> option) {
        return options.get(option);
    }

    /** Kafka client properties from kafka-config and kafka.*, secrets in clear: hand to clients only. */
    public KafkaClientSettings kafkaSettings() {
        return kafka;
    }

    public String bootstrapServers() {
        return options.get(JobOptions.KAFKA_BOOTSTRAP_SERVERS).trim();
    }

    public DeliveryMode delivery() {
        return options.get(JobOptions.DELIVERY_GUARANTEE);
    }

    /** The configured prefix, else the consumer group id (unique per job, stable across its restarts). */
    public String transactionalIdPrefix() {
        String prefix = options.get(JobOptions.KAFKA_TRANSACTIONAL_ID_PREFIX);
        return prefix != null ? prefix.trim() : options.get(JobOptions.KAFKA_GROUP_ID).trim();
    }

    public String modelPath() {
        return options.get(JobOptions.MODEL_PATH);
    }

    public FrameLimits frameLimits() {
        return new FrameLimits((int) options.get(JobOptions.FRAME_MAX_BYTES).getBytes(),
                FrameLimits.DEFAULT_MAX_SIDE, FrameLimits.DEFAULT_MAX_SAMPLES);
    }

    /** The largest dead letter in bytes (dead-letter-max-bytes). */
    public int deadLetterMaxBytes() {
        return (int) options.get(JobOptions.DEAD_LETTER_MAX_BYTES).getBytes();
    }

    /** How each inference subtask runs the model. */
    public InferenceSettings inferenceSettings() {
        return new InferenceSettings(
                options.get(JobOptions.INFERENCE_DEVICE),
                options.get(JobOptions.INFERENCE_INTRA_OP_THREADS),
                options.get(JobOptions.INFERENCE_INTER_OP_THREADS),
                options.get(JobOptions.BATCH_MAX_SIZE),
                options.get(JobOptions.BATCH_MAX_WAIT).toMillis(),
                options.get(JobOptions.INFERENCE_WARM_UP),
                options.getOptional(JobOptions.INFERENCE_GPU_MEMORY_LIMIT).map(m -> m.getBytes()).orElse(0L));
    }

    /** A copy with one option changed, validated again. */
    public <T> JobConfig with(ConfigOption<T> option, T value) {
        Configuration copy = new Configuration(options);
        copy.set(option, value);
        return from(copy);
    }

    /** The job options as given (no Kafka pass-through properties); safe to log. */
    public Map<String, String> describeOptions() {
        Map<String, String> shown = new TreeMap<>();
        for (ConfigOption<?> option : JobOptions.all()) {
            Object value = options.get(option);
            shown.put(option.key(), value == null ? "(none)" : String.valueOf(value));
        }
        return shown;
    }

    @Override
    public String toString() {
        return "JobConfig{" + describeOptions() + ", kafka=" + kafka.redacted() + "}";
    }
}
