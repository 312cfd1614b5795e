package io.defectdetector.job.control;

import io.defectdetector.job.DetectionPipeline;
import io.defectdetector.job.model.ModelBundle;
import io.defectdetector.job.testing.TestModels;
import io.defectdetector.kafka.LocalKafkaBroker;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.StateRecoveryOptions;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

/**
 * The job behind the state-compatibility savepoints, shared by {@link CompatibilitySavepointWriter} (writes one)
 * and {@link StateCompatibilityITCase} (restores them): the same topics, options and model on both sides, so a
 * restore failure can only come from the state itself.
 */
final class CompatibilityJob {
    static final String PREFIX = "compat";
    /** Where {@link TestModels#tinyGraph()} lives, as recorded in the manifests (thresholds-v1). */
    static final String MODEL = "flink-job/src/test/resources/models/tiny-graph";
    /** Where {@link TestModels#tinyGraphRanged()} lives (savepoints from thresholds-v2 on, with frame faults). */
    static final String RANGED_MODEL = "flink-job/src/test/resources/models/tiny-graph-ranged";
    static final Duration TIMEOUT = Duration.ofSeconds(60);

    private CompatibilityJob() {
    }

    /** The topics of the committed savepoints: their Kafka source state names these topics. */
    static ControlTopics createTopics(LocalKafkaBroker broker) {
        return createTopics(broker, PREFIX);
    }

    /** Topics of another name, for a savepoint written and restored within one test on a shared broker. */
    static ControlTopics createTopics(LocalKafkaBroker broker, String prefix) {
        return ControlTopics.create(broker, prefix);
    }

    /**
     * Submits the Kafka job with the tiny-graph model to the context environment (the MiniCluster).
     *
     * @param savepoint the savepoint to restore, or null to start empty; unrestored state fails the restore, as
     *                  it would in production without {@code --allowNonRestoredState}
     */
    static JobClient start(LocalKafkaBroker broker, ControlTopics topics, String savepoint) throws Exception {
        return start(broker, topics, savepoint, Map.of());
    }

    /** As {@link #start(LocalKafkaBroker, ControlTopics, String)} with job options of its own (e.g. parallelism). */
    static JobClient start(LocalKafkaBroker broker, ControlTopics topics, String savepoint,
            Map<String, String> options) throws Exception {
        return start(broker, topics, savepoint, options, TestModels.tinyGraph());
    }

    /** As above with another model of the same shape ({@link TestModels#tinyGraphRanged()}). */
    static JobClient start(LocalKafkaBroker broker, ControlTopics topics, String savepoint,
            Map<String, String> options, Path model) throws Exception {
        Configuration conf = new Configuration();
        if (savepoint != null) {
            conf.set(StateRecoveryOptions.SAVEPOINT_PATH, savepoint);
            conf.set(StateRecoveryOptions.SAVEPOINT_IGNORE_UNCLAIMED_STATE, false);
        }
        var cfg = topics.config(broker, model, options);
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(conf);
        DetectionPipeline.buildKafkaJob(env, cfg, ModelBundle.locate(cfg.modelPath()).releaseLocalCopy());
        return env.executeAsync("compat-it");
    }
}
