package io.defectdetector.job;

import io.defectdetector.job.config.JobArguments;
import io.defectdetector.job.config.JobConfig;
import io.defectdetector.job.config.JobOptions;
import io.defectdetector.job.inference.DeviceSpec;
import io.defectdetector.job.inference.DirectMemoryBudget;
import io.defectdetector.job.inference.OnnxInferenceEngine;
import io.defectdetector.job.kafka.TopicPreflight;
import io.defectdetector.job.model.ModelBundle;
import io.defectdetector.job.model.ModelCompatibility;
import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;
import org.apache.flink.configuration.ReadableConfig;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Entry point for {@code flink run defect-detector-job.jar --kafka-bootstrap-servers ... [--<option> <value>]}.
 * Every problem with the arguments, the model or the Kafka topics is reported before anything is submitted.
 */
public final class DefectDetectionJob {
    public static final String JOB_NAME = "defect-detector";
    private static final Logger LOG = LoggerFactory.getLogger(DefectDetectionJob.class);

    private DefectDetectionJob() {
    }

    public static void main(String[] args) throws Exception {
        if (JobArguments.wantsHelp(args)) {
            System.out.println(JobArguments.usage());
            return;
        }
        // Creating the environment submits nothing; it carries the cluster's configuration.
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        Prepared prepared;
        try {
            checkOnnxRuntimePresent(DefectDetectionJob.class.getClassLoader());
            prepared = prepare(args, env.getConfiguration());
            // Not part of prepare(), which checks the arguments and the model alone: these depend on where the job
            // starts (this ONNX Runtime build; the brokers).
            checkInferenceDevice(prepared.config());
            TopicPreflight.check(prepared.config());
        } catch (IllegalArgumentException | IllegalStateException e) {
            System.err.println("defect-detector: " + e.getMessage());
            throw new StartRefused(e.getMessage()); // a non-zero exit, without a stack trace after the message
        }
        DetectionPipeline.buildKafkaJob(env, prepared.config(), prepared.model());
        env.execute(JOB_NAME);
    }

    /**
     * The job refused to start; its message (already printed) says what to fix, so it carries no stack trace:
     * {@code java} then shows one more line, not dozens of frames ({@code flink run} still wraps it in its own).
     */
    public static final class StartRefused extends IllegalArgumentException {
        private static final long serialVersionUID = 1L;

        StartRefused(String message) {
            super(message);
        }

        @Override
        public synchronized Throwable fillInStackTrace() {
            return this;
        }
    }

    /** Parses and validates the arguments, then locates and checks the model; nothing is submitted. */
    public static Prepared prepare(String[] args) {
        return prepare(args, null);
    }

    /**
     * As {@link #prepare(String[])}, with job options from the cluster configuration under the arguments, and the
     * batch buffers checked against its TaskManagers' direct memory ({@link DirectMemoryBudget}).
     */
    public static Prepared prepare(String[] args, ReadableConfig clusterConfig) {
        JobConfig cfg = JobArguments.parse(args, clusterConfig);
        LOG.info("Configuration: {}", cfg); // Kafka secrets are masked by JobConfig.toString
        ModelBundle model = ModelPreflight.check(cfg.modelPath(), cfg.get(JobOptions.BATCH_MAX_SIZE),
                cfg.get(JobOptions.MODEL_VERIFY_GOLDEN));
        LOG.info("Model: {}", model);
        ModelCompatibility.checkFrameAspectTolerance(model.card(), cfg.get(JobOptions.FRAME_ASPECT_TOLERANCE))
                .ifPresent(LOG::warn);
        DirectMemoryBudget.check(model.card(), cfg.get(JobOptions.BATCH_MAX_SIZE), clusterConfig)
                .ifPresent(LOG::warn);
        return new Prepared(cfg, model);
    }

    /**
     * cuda demanded from an ONNX Runtime build without CUDA would fail every subtask and restart forever: refused
     * here. The build is the job jar's (or Flink's lib/), the same on the client as on the TaskManagers; whether
     * their hosts have a GPU the client cannot know (the subtasks check that when they open the model).
     *
     * @throws IllegalArgumentException naming the option and the fix
     */
    public static void checkInferenceDevice(JobConfig cfg) {
        String device = cfg.get(JobOptions.INFERENCE_DEVICE);
        String noCuda = DeviceSpec.parse(device).kind() == DeviceSpec.Kind.CUDA
                ? OnnxInferenceEngine.missingCudaProvider() : null;
        if (noCuda != null) {
            throw new IllegalArgumentException("inference-device " + device + ": " + noCuda
                    + ", or set inference-device to auto (CPU where CUDA cannot run) or cpu");
        }
    }

    /**
     * The -Port-provided jar leaves ONNX Runtime to Flink's lib/: where it is missing, say what to put there
     * instead of failing later with a NoClassDefFoundError.
     *
     * @throws IllegalStateException naming the jar to add
     */
    static void checkOnnxRuntimePresent(ClassLoader loader) {
        try {
            Class.forName("ai.onnxruntime.OrtEnvironment", false, loader);
        } catch (ClassNotFoundException | LinkageError e) {
            String version = "<version>";
            try (InputStream in = DefectDetectionJob.class.getResourceAsStream("build.properties")) {
                if (in != null) {
                    Properties build = new Properties();
                    build.load(in);
                    version = build.getProperty("onnxruntime.version", version);
                }
            } catch (IOException ignored) {
                // the message still names the artifact
            }
            throw new IllegalStateException("ONNX Runtime is not on the classpath: this job jar was built with "
                    + "-Port-provided, which leaves it to the cluster. Put onnxruntime-" + version + ".jar (Maven "
                    + "com.microsoft.onnxruntime:onnxruntime:" + version + ", or onnxruntime_gpu for CUDA) in Flink's "
                    + "lib/ on the client and on every TaskManager (docs/architecture.md, \"ONNX Runtime on a Flink "
                    + "cluster\"), or submit the default build, which carries it.");
        }
    }

    public record Prepared(JobConfig config, ModelBundle model) {
    }
}
