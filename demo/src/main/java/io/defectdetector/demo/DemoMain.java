package io.defectdetector.demo;

import io.defectdetector.factory.camera.CameraSimulator;
import io.defectdetector.factory.camera.FrameEncoding;
import io.defectdetector.factory.camera.GroundTruth;
import io.defectdetector.factory.camera.ImageFolder;
import io.defectdetector.factory.camera.PoolImage;
import io.defectdetector.factory.camera.ProducerSettings;
import io.defectdetector.factory.camera.SimulationReport;
import io.defectdetector.factory.camera.SimulatorConfig;
import io.defectdetector.factory.image.Image;
import io.defectdetector.factory.surface.Product;
import io.defectdetector.frame.FrameEncoder;
import io.defectdetector.frame.FrameRejectedException;
import io.defectdetector.frame.KafkaClientSettings;
import io.defectdetector.job.DetectionPipeline;
import io.defectdetector.job.LocalFlink;
import io.defectdetector.job.ModelPreflight;
import io.defectdetector.job.config.JobArguments;
import io.defectdetector.job.config.JobConfig;
import io.defectdetector.job.config.JobOptions;
import io.defectdetector.job.frames.FrameShapeCheck;
import io.defectdetector.job.inference.GoldenCheck;
import io.defectdetector.job.model.ModelBundle;
import io.defectdetector.job.model.ModelCompatibility;
import io.defectdetector.kafka.LocalKafkaBroker;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import org.apache.flink.api.common.JobStatus;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.StateRecoveryOptions;
import org.apache.flink.configuration.TaskManagerOptions;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.core.execution.SavepointFormatType;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.util.TimeUtils;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import picocli.CommandLine.Command;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Option;
import picocli.CommandLine;

/**
 * The whole system on one machine: a local Kafka broker, simulated cameras with ground truth, the real detection
 * job (Kafka source, ONNX Runtime, Kafka sinks) on a local 2-TaskManager Flink MiniCluster, and a read_committed
 * consumer of its output that prints a status line every second, writes alert overlays and ends with precision
 * and recall against the ground truth.
 */
@Command(name = "run-demo.sh", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Runs cameras -> Kafka -> Flink detection job -> Kafka alerts locally and reports what it "
                + "sees. Stops after --duration or on Ctrl-C.")
public final class DemoMain implements java.util.concurrent.Callable<Integer> {
    private static final String FRAMES = "frames";
    private static final String ALERTS = "alerts";
    private static final String DEAD_LETTER = "dead-letter";
    private static final String SCORES = "scores";
    private static final String CONTROL = "control";
    private static final String AUDIT = "audit";
    private static final int WARM_UP_FRAMES = 8;

    enum Delivery {
        EXACTLY_ONCE, AT_LEAST_ONCE
    }

    @Option(names = "--duration", defaultValue = "60s", converter = DurationConverter.class,
            description = "How long the cameras run (e.g. 60s, 5m, 1h). Default: ${DEFAULT-VALUE}.")
    Duration duration;

    @Option(names = "--cameras", defaultValue = "4", description = "Simulated cameras. Default: ${DEFAULT-VALUE}.")
    int cameras;

    @Option(names = "--rate", defaultValue = "50",
            description = "Frames per second over all cameras. Default: ${DEFAULT-VALUE}.")
    double rate;

    @Option(names = "--defect-rate", defaultValue = "0.1",
            description = "Share of defective frames, 0..1. Default: ${DEFAULT-VALUE}.")
    double defectRate;

    @Option(names = "--product", description = "Product on the line (fabric, metal, tiles, wood, pcb). Default: the "
            + "one the model was trained on, from its card.")
    String product;

    @Option(names = "--images", description = "Replay your own labelled images instead of simulated ones: one "
            + "category, or its test folder, in the MVTec AD layout (test/good/, test/<defect type>/, masks in "
            + "ground_truth/), MVTec AD 2 (test_public/good/, test_public/bad/, masks in "
            + "test_public/ground_truth/) or MVTec LOCO AD (as MVTec AD, a mask folder per image). Use with --model "
            + "trained on that category; --product is then not used. Every frame outside the model card's input "
            + "range alerts, as model-export's evaluate counts it (job option input-range-alert-interval 0, "
            + "which --job-option may change).")
    Path images;

    @Option(names = "--frame-aspect-tolerance", defaultValue = "0.25",
            description = "The job's option of that name: how far a frame's aspect ratio may be from the model's "
                    + "input before the frame is rejected as WRONG_SHAPE (docs/configuration.md). With --images, "
                    + "every file is checked against it before the start. Default: ${DEFAULT-VALUE}.")
    double frameAspectTolerance;

    @Option(names = "--output", defaultValue = "demo-output",
            description = "Folder for overlays, ground truth and the log. Default: ${DEFAULT-VALUE}.")
    Path output;

    @Option(names = "--delivery", defaultValue = "exactly-once", converter = DeliveryConverter.class,
            description = "exactly-once (alerts visible after their checkpoint) or at-least-once (visible at once). "
                    + "Default: ${DEFAULT-VALUE}.")
    Delivery delivery;

    @Option(names = "--model", defaultValue = "models/default/cae.onnx",
            description = "The .onnx model (its card beside it). Default: ${DEFAULT-VALUE}.")
    Path model;

    @Option(names = "--checkpoint-interval", defaultValue = "1s", converter = DurationConverter.class,
            description = "Flink checkpoint interval; with exactly-once, alerts wait for it. Default: ${DEFAULT-VALUE}.")
    Duration checkpointInterval;

    @Option(names = "--encoding", defaultValue = "png",
            description = "Frame encoding on Kafka: raw, png or jpeg. Default: ${DEFAULT-VALUE}.")
    String encoding;

    @Option(names = "--max-overlays", defaultValue = "500",
            description = "Overlay PNGs to write at most (one per distinct image), for alerts and again for missed "
                    + "defects. Default: ${DEFAULT-VALUE}.")
    int maxOverlays;

    @Option(names = "--seed", defaultValue = "42", description = "Simulator seed. Default: ${DEFAULT-VALUE}.")
    long seed;

    @Option(names = "--control-demo", description = "Half-way through, send a threshold command on the control topic "
            + "(default image_score = --control-threshold) and print the alert rate before and after it.")
    boolean controlDemo;

    @Option(names = "--control-threshold", defaultValue = "0.5",
            description = "The image-score threshold --control-demo sets (1.0 = the card's). Default: ${DEFAULT-VALUE}.")
    double controlThreshold;

    @Option(names = "--savepoint-dir", description = "On exit, stop the job with a savepoint in this folder and "
            + "print its path (docs/operations.md) instead of cancelling it.")
    Path savepointDir;

    @Option(names = "--from-savepoint", description = "Start the job from this savepoint (e.g. one edited with "
            + "scripts/thresholds.sh savepoint set).")
    String fromSavepoint;

    @Option(names = "--job-option", paramLabel = "KEY=VALUE", description = "Any other option of the detection job "
            + "(docs/configuration.md), e.g. --job-option batch-max-size=16 --job-option inference-device=cpu; "
            + "repeatable. Its broker, topics, group, parallelism and scores are the demo's own; delivery, "
            + "checkpoint interval, model and aspect tolerance have the options above.")
    List<String> jobOptions = new ArrayList<>();

    private final AtomicBoolean stopRequested = new AtomicBoolean();
    private Product lineProduct;
    /** What the cameras show: the product, or the replayed image folder. */
    private String scene;
    /** The model's name and version from its card (the alerts name it too, when there are any). */
    private String modelLabel;
    private final CountDownLatch finished = new CountDownLatch(1);

    public static void main(String[] args) {
        DemoMain demo = new DemoMain();
        int code = new CommandLine(demo).setCaseInsensitiveEnumValuesAllowed(true).execute(args);
        System.exit(code);
    }

    @Override
    public Integer call() throws Exception {
        // Before the first logger exists: Flink and Kafka log to a file, the console shows the status line.
        Files.createDirectories(output);
        System.setProperty("demo.log.file", output.resolve("demo.log").toAbsolutePath().toString());
        Thread hook = new Thread(this::onShutdown, "demo-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        try {
            return run();
        } catch (UsageError e) {
            System.err.println("error: " + e.getMessage());
            return 2;
        } finally {
            finished.countDown();
        }
    }

    /** A wrong option value, found before anything starts: one line saying what to fix, exit code 2. */
    private static final class UsageError extends Exception {
        UsageError(String message) {
            super(message);
        }
    }

    @FunctionalInterface
    private interface OptionCheck<T> {
        T get() throws java.io.IOException;
    }

    /** The checked value; the check's IllegalArgumentException or IOException becomes a UsageError. */
    private static <T> T checked(String option, OptionCheck<T> check) throws UsageError {
        try {
            return check.get();
        } catch (IllegalArgumentException | java.io.IOException e) {
            throw new UsageError(option.isEmpty() ? e.getMessage() : option + ": " + e.getMessage());
        }
    }

    private void onShutdown() {
        if (finished.getCount() > 0 && stopRequested.compareAndSet(false, true)) {
            System.out.println();
            System.out.println("Stopping (signal received) ...");
        }
        try {
            finished.await(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private int run() throws Exception {
        // Job options are checked before anything starts, with the demo's own (the broker's address is not known
        // yet): the job refuses some combinations, such as a parallelism above max-parallelism.
        int batchMaxSize = jobOptions.isEmpty() ? JobOptions.BATCH_MAX_SIZE.defaultValue()
                : checked("--job-option", () -> jobConfig("127.0.0.1:9092")).get(JobOptions.BATCH_MAX_SIZE);
        // A missing, incompatible or mismatched model; camera options out of range: the message says what to fix.
        ModelBundle bundle = checked("--model", () -> ModelPreflight.check(model.toString(), batchMaxSize));
        String parity = checked("--model", () -> GoldenCheck.verify(bundle).map(Object::toString)
                .orElse("no golden vectors beside the model; not checked"));
        modelLabel = bundle.card().name() + " " + bundle.card().version();
        lineProduct = checked("", () -> product != null ? Product.fromId(product)
                : ModelProduct.of(ModelProduct.cardOf(model)).orElse(Product.FABRIC));
        SimulatorConfig simulatorConfig = checked("", () -> SimulatorConfig.defaults(FRAMES, lineProduct)
                .withCameras(cameras).withRate(rate).withDefectRate(defectRate).withSeed(seed)
                .withEncoding(FrameEncoding.fromId(encoding)).withLimits(0, duration));
        FrameShapeCheck shapes = checked("--frame-aspect-tolerance", () -> {
            FrameShapeCheck check = new FrameShapeCheck(bundle.card().channels(), bundle.card().width(),
                    bundle.card().height(), frameAspectTolerance);
            // Refuses a squash-trained model's tolerance; the milder warning is left out, since the demo checks
            // each replayed image's shape below.
            ModelCompatibility.checkFrameAspectTolerance(bundle.card(), frameAspectTolerance);
            return check;
        });
        CameraSimulator simulator;
        if (images != null) {
            ImageFolder folder = checked("--images",
                    () -> ImageFolder.load(images, simulatorConfig.encoding(), simulatorConfig.jpegQuality()));
            // Frames the job would send to the dead letters: say so now, not after a 2-minute warm-up.
            for (PoolImage image : Stream.concat(folder.good().stream(), folder.defective().stream()).toList()) {
                try {
                    shapes.check(image.image().width(), image.image().height(), image.image().channels());
                } catch (FrameRejectedException e) {
                    throw new UsageError("--images: " + image.source() + ": the job would reject it as "
                            + e.reason() + ": " + e.detail() + ". Use a model trained on images of this shape "
                            + "(model-export run --size WxH), or a larger --frame-aspect-tolerance.");
                }
            }
            simulator = checked("--images", () -> CameraSimulator.replaying(simulatorConfig, folder));
            List<PoolImage> unmasked = folder.defective().stream().filter(p -> p.bbox() == null).toList();
            scene = String.format(Locale.ROOT, "images %s (%d good, %d defective%s%s)", folder.name(),
                    folder.good().size(), folder.defective().size(),
                    folder.defectTypes().isEmpty() ? "" : ": " + String.join(", ", folder.defectTypes()),
                    unmasked.isEmpty() ? "" : "; " + unmasked.size() + " without a mask or with an empty one (e.g. "
                            + unmasked.get(0).source() + "), so without a true box: masks are <stem>_mask.png in "
                            + folder.groundTruth() + "/<defect type>/");
        } else {
            simulator = new CameraSimulator(simulatorConfig);
            scene = "product " + lineProduct;
        }
        System.out.printf(Locale.ROOT, "Model %s %s (%dx%dx%d), %s, %d cameras at %.0f frames/s, "
                        + "defect rate %.2f, %s, checkpoint interval %s%n",
                bundle.card().name(), bundle.card().version(), bundle.card().width(), bundle.card().height(),
                bundle.card().channels(), scene, cameras, rate, defectRate,
                delivery.name().toLowerCase(Locale.ROOT).replace('_', '-'),
                TimeUtils.formatWithHighestUnit(checkpointInterval));
        if (!jobOptions.isEmpty()) {
            System.out.println("Job options: " + String.join(" ", jobOptions));
        }
        System.out.println("Parity: " + parity);
        System.out.println("Logs: " + output.resolve("demo.log") + "   overlays: " + output.resolve("overlays"));

        System.out.print(images != null ? "Preparing camera image pools ... " : "Rendering camera image pools ... ");
        simulator.prepare(Runtime.getRuntime().availableProcessors());
        System.out.println("done");

        System.out.print("Starting Kafka ... ");
        try (LocalKafkaBroker broker = LocalKafkaBroker.start();
                GroundTruth truth = GroundTruth.toFile(output.resolve("ground-truth.jsonl"), true)) {
            broker.createTopic(FRAMES, Math.max(2, cameras));
            broker.createTopic(ALERTS, 2);
            broker.createTopic(DEAD_LETTER, 1);
            broker.createTopic(SCORES, 2);
            broker.createTopic(CONTROL, 1);
            broker.createTopic(AUDIT, 1);
            System.out.println(broker.bootstrapServers());

            JobConfig cfg = jobConfig(broker.bootstrapServers());
            Configuration flinkConf = flinkCluster();
            if (fromSavepoint != null) {
                flinkConf.set(StateRecoveryOptions.SAVEPOINT_PATH, fromSavepoint);
                System.out.println("Restoring from savepoint " + fromSavepoint);
            }
            StreamExecutionEnvironment env = StreamExecutionEnvironment.createLocalEnvironment(flinkConf);
            DetectionPipeline.buildKafkaJob(env, cfg, bundle);
            System.out.print("Starting Flink (2 TaskManagers x 2 slots) ... ");
            JobClient job = env.executeAsync("defect-detector-demo");
            System.out.println("job " + job.getJobID());

            Map<String, Integer> cameraIndex = new HashMap<>();
            for (int i = 0; i < cameras; i++) {
                cameraIndex.put(simulatorConfig.cameraId(i), i);
            }
            OutputWatcher watcher = new OutputWatcher(broker.clientProperties(), ALERTS, SCORES, DEAD_LETTER, truth,
                    (camera, pool) -> frameImage(simulator, cameraIndex, camera, pool),
                    new OverlayWriter(output.resolve("overlays")), maxOverlays);
            Thread watcherThread = new Thread(watcher, "demo-output-watcher");
            watcherThread.start();

            KafkaClientSettings kafka = KafkaClientSettings.of(Map.of("bootstrap.servers", broker.bootstrapServers()));
            try {
                warmUp(kafka, simulator, watcher);
            } catch (WarmUpFailure e) {
                System.out.println();
                System.err.println("error: " + e.getMessage());
                try {
                    job.cancel().get(10, TimeUnit.SECONDS);
                } catch (Exception ignored) {
                    // already failed or stopped; the broker closes next either way
                }
                watcher.close();
                watcherThread.join(10_000);
                return 1;
            }

            AtomicLong sent = new AtomicLong();
            CompletableFuture<SimulationReport> cameraRun = CompletableFuture.supplyAsync(
                    () -> simulator.run(kafka, truth, sent::set));

            long start = System.currentTimeMillis();
            StatusLine status = new StatusLine(start);
            while (!stopRequested.get() && !cameraRun.isDone()) {
                Thread.sleep(1000 - (System.currentTimeMillis() - start) % 1000);
                System.out.println(status.line(System.currentTimeMillis(), sent.get(), watcher));
                if (controlDemo && watcher.controlSentAtMs == Long.MAX_VALUE
                        && System.currentTimeMillis() - start >= duration.toMillis() / 2) {
                    sendControlCommand(broker, watcher);
                }
                JobStatus state = job.getJobStatus().get(5, TimeUnit.SECONDS);
                if (state.isGloballyTerminalState()) {
                    System.out.println("The Flink job stopped (" + state + "); see " + output.resolve("demo.log"));
                    break;
                }
            }
            simulator.stop();
            long sendingMs = System.currentTimeMillis() - start;
            SimulationReport report = cameraRun.handle((r, e) -> {
                if (e != null) {
                    System.out.println("The cameras stopped with an error: " + e.getMessage());
                }
                return r;
            }).get(30, TimeUnit.SECONDS);

            // Let the job decide the frames already sent (with exactly-once: until their checkpoint commits).
            long drainUntil = System.currentTimeMillis() + 2 * checkpointInterval.toMillis() + 5000;
            while (watcher.decided.size() < sent.get() && System.currentTimeMillis() < drainUntil) {
                Thread.sleep(200);
            }
            // Once more only if draining decided something: the loop's last line already says the rest.
            if (status.changed(watcher)) {
                System.out.println(status.line(System.currentTimeMillis(), sent.get(), watcher));
            }
            try {
                if (savepointDir != null) {
                    String path = job.stopWithSavepoint(false, savepointDir.toAbsolutePath().toUri().toString(),
                            SavepointFormatType.CANONICAL).get(60, TimeUnit.SECONDS);
                    System.out.println("Stopped with savepoint " + path);
                } else {
                    job.cancel().get(10, TimeUnit.SECONDS);
                }
            } catch (Exception e) {
                System.out.println("(job already stopped: " + e.getMessage() + ")");
            }
            watcher.close();
            watcherThread.join(40_000); // it finishes the queued overlays first

            OutputWatcher.Missed missed = watcher.writeMissedOverlays(maxOverlays);
            printSummary(report, sent.get(), truth, watcher, missed, sendingMs, System.currentTimeMillis() - start);
            if (controlDemo) {
                printControlSummary(watcher);
            }
            watcher.failure().ifPresent(e -> System.out.println("Reading the output failed: " + e));
            return watcher.failure().isPresent() ? 1 : 0;
        }
    }

    /** The job is not scoring frames: the demo stops with the reason instead of running without output. */
    private static final class WarmUpFailure extends Exception {
        WarmUpFailure(String message) {
            super(message);
        }
    }

    /**
     * Sends a few frames under warm-up camera ids and waits until the job has decided (and, with exactly-once,
     * committed) all of them: every subtask is then running with its model loaded, so the cameras' frames and
     * the latency figures do not include the job's start-up.
     */
    private void warmUp(KafkaClientSettings kafka, CameraSimulator simulator, OutputWatcher watcher)
            throws Exception {
        System.out.print("Waiting for the job to score its first frames ... ");
        long started = System.currentTimeMillis();
        // The cameras' own producer settings: frames of real images can exceed Kafka's 1 MiB default request size.
        Properties props = ProducerSettings.build(kafka);
        PoolImage first = simulator.pool(0).get(0);
        FrameEncoder encoder = new FrameEncoder();
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(props)) {
            for (int i = 0; i < WARM_UP_FRAMES; i++) {
                // Distinct keys spread the frames over the partitions, hence over every source subtask.
                producer.send(encoder.encode(FRAMES, OutputWatcher.WARM_UP_CAMERA_PREFIX + i, "warm-up",
                        System.currentTimeMillis(), null, first.contentType(), first.image().width(),
                        first.image().height(), first.payload())).get(30, TimeUnit.SECONDS); // fail now, not in 2 min
            }
        }
        long deadline = started + 120_000;
        while (watcher.warmUpDecided.get() < WARM_UP_FRAMES && !stopRequested.get()) {
            if (watcher.warmUpRejection != null) {
                throw new WarmUpFailure("the job rejected the warm-up frame (" + (first.source() != null
                        ? first.source() : "the first camera's first image") + ") as " + watcher.warmUpRejection);
            }
            if (System.currentTimeMillis() > deadline) {
                throw new WarmUpFailure("the job did not score its warm-up frames within 2 minutes; see "
                        + output.resolve("demo.log"));
            }
            Thread.sleep(100);
        }
        System.out.printf(Locale.ROOT, "ready after %.1f s%n", (System.currentTimeMillis() - started) / 1000.0);
    }

    /** --control-demo: one command on the control topic, for every camera (target default). */
    private void sendControlCommand(LocalKafkaBroker broker, OutputWatcher watcher) throws Exception {
        String command = String.format(Locale.ROOT,
                "{\"action\":\"set\",\"target\":\"default\",\"by\":\"demo\",\"image_score\":%s}",
                controlThreshold);
        Properties props = broker.clientProperties();
        props.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        props.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        watcher.controlThreshold = controlThreshold;
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(props)) {
            watcher.controlSentAtMs = System.currentTimeMillis();
            producer.send(new ProducerRecord<>(CONTROL, command.getBytes(StandardCharsets.UTF_8))).get();
        }
        System.out.println("Control: sent " + command + " to topic " + CONTROL);
    }

    private static void printControlSummary(OutputWatcher watcher) {
        long[] frames = {watcher.framesAround[0].get(), watcher.framesAround[1].get()};
        long[] alerts = {watcher.alertsAround[0].get(), watcher.alertsAround[1].get()};
        System.out.printf(Locale.ROOT, "  control  alert rate before the command %.1f%% (%d of %d frames), after "
                        + "%.1f%% (%d of %d frames)%n", 100.0 * alerts[0] / Math.max(1, frames[0]), alerts[0],
                frames[0], 100.0 * alerts[1] / Math.max(1, frames[1]), alerts[1], frames[1]);
        long first = watcher.firstWithNewThresholdMs.get();
        if (first > 0) {
            System.out.printf(Locale.ROOT, "  control  first frame decided with the new threshold %d ms after the "
                    + "command was sent%n", first - watcher.controlSentAtMs);
        } else if (watcher.controlSentAtMs != Long.MAX_VALUE) {
            System.out.println("  control  no frame was decided with the new threshold");
        }
    }

    JobConfig jobConfig(String bootstrap) {
        Map<String, String> options = new HashMap<>();
        options.put(JobOptions.KAFKA_BOOTSTRAP_SERVERS.key(), bootstrap);
        options.put(JobOptions.KAFKA_FRAMES_TOPIC.key(), FRAMES);
        options.put(JobOptions.KAFKA_ALERTS_TOPIC.key(), ALERTS);
        options.put(JobOptions.KAFKA_DEAD_LETTER_TOPIC.key(), DEAD_LETTER);
        options.put(JobOptions.KAFKA_SCORES_TOPIC.key(), SCORES);
        options.put(JobOptions.KAFKA_CONTROL_TOPIC.key(), CONTROL);
        options.put(JobOptions.KAFKA_AUDIT_TOPIC.key(), AUDIT);
        options.put(JobOptions.KAFKA_GROUP_ID.key(), "defect-detector-demo");
        options.put(JobOptions.KAFKA_STARTING_OFFSETS.key(), "EARLIEST");
        options.put(JobOptions.DELIVERY_GUARANTEE.key(), delivery.name());
        options.put(JobOptions.CHECKPOINT_INTERVAL.key(), checkpointInterval.toMillis() + " ms");
        options.put(JobOptions.SCORES_ENABLED.key(), "true");
        options.put(JobOptions.PARALLELISM.key(), "2");
        options.put(JobOptions.MODEL_PATH.key(), model.toString());
        options.put(JobOptions.FRAME_ASPECT_TOLERANCE.key(), Double.toString(frameAspectTolerance));
        Map<String, String> given = new LinkedHashMap<>();
        for (String option : jobOptions) {
            int eq = option.indexOf('=');
            String key = eq > 0 ? option.substring(0, eq) : option;
            if (eq <= 0) {
                throw new IllegalArgumentException("'" + option + "' is not KEY=VALUE");
            }
            if (options.containsKey(key) || key.startsWith(JobOptions.KAFKA_PROPERTY_PREFIX)
                    || key.equals(JobOptions.KAFKA_CONFIG.key())) {
                throw new IllegalArgumentException(key + " is set by the demo itself"
                        + (DEMO_OPTIONS.containsKey(key) ? ": use its " + DEMO_OPTIONS.get(key) + " option" : ""));
            }
            if (given.put(key, option.substring(eq + 1)) != null) {
                throw new IllegalArgumentException(key + " is given more than once");
            }
        }
        if (images != null) {
            // Replayed files are independent images, not one camera's stream: each frame outside the card's input
            // range alerts, as model-export's evaluate counts it, instead of one per camera a minute (a blank
            // camera's flood guard). A --job-option may still set it.
            options.put(JobOptions.INPUT_RANGE_ALERT_INTERVAL.key(), "0 ms");
        }
        given.forEach((key, value) -> {
            // Unknown keys are refused as the job's own command line refuses them (with the nearest option named).
            try {
                options.putAll(JobArguments.toConfiguration(new String[] {"--" + key, value}).toMap());
            } catch (IllegalArgumentException e) { // the job's --help would not be the demo's
                throw new IllegalArgumentException(e.getMessage().replace("(see --help)",
                        "(job options: docs/configuration.md)"), e);
            }
        });
        return JobConfig.from(Configuration.fromMap(options));
    }

    /** Job options the demo sets from options of its own. */
    private static final Map<String, String> DEMO_OPTIONS = Map.of(
            JobOptions.DELIVERY_GUARANTEE.key(), "--delivery",
            JobOptions.CHECKPOINT_INTERVAL.key(), "--checkpoint-interval",
            JobOptions.MODEL_PATH.key(), "--model",
            JobOptions.FRAME_ASPECT_TOLERANCE.key(), "--frame-aspect-tolerance");

    /** A local MiniCluster of 2 TaskManagers x 2 slots, subtasks spread over both. */
    private static Configuration flinkCluster() {
        Configuration conf = LocalFlink.loopbackOnly(new Configuration());
        conf.set(TaskManagerOptions.MINI_CLUSTER_NUM_TASK_MANAGERS, 2);
        conf.set(TaskManagerOptions.NUM_TASK_SLOTS, 2);
        conf.set(TaskManagerOptions.TASK_MANAGER_LOAD_BALANCE_MODE, TaskManagerOptions.TaskManagerLoadBalanceMode.SLOTS);
        return conf;
    }

    private static Image frameImage(CameraSimulator simulator, Map<String, Integer> cameraIndex, String camera,
            int poolIndex) {
        return simulator.pool(cameraIndex.get(camera)).get(poolIndex).image();
    }

    private void printSummary(SimulationReport report, long sent, GroundTruth truth, OutputWatcher watcher,
            OutputWatcher.Missed missed, long sendingMs, long elapsedMs) {
        Accuracy accuracy = Accuracy.of(truth.frames(), watcher.alerted, watcher.decided);
        LatencyRecorder latency = watcher.latency;
        System.out.println();
        System.out.printf(Locale.ROOT, "Summary (%.0f s, %s, model %s, %s)%n", elapsedMs / 1000.0,
                delivery.name().toLowerCase(Locale.ROOT).replace('_', '-'), watcher.modelName().orElse(modelLabel),
                scene);
        System.out.printf(Locale.ROOT, "  frames   %d sent (%d defective), %d decided by the job, %d rejected%n",
                sent, report == null ? truth.defectiveCount() : report.defective(), watcher.decided.size(),
                watcher.rejected.get());
        new Backlog(sent, watcher.decided.size(), watcher.rejected.get(), sendingMs / 1000.0, elapsedMs / 1000.0)
                .summaryLine()
                .ifPresent(System.out::println);
        if (watcher.commandsRefused.get() > 0) {
            System.out.printf(Locale.ROOT, "  control  %d threshold commands refused (on the dead-letter topic with a "
                    + "CONTROL_ reason)%n", watcher.commandsRefused.get());
        }
        System.out.printf(Locale.ROOT, "  alerts   %d (%d duplicates seen)%n", watcher.alerts.get(),
                watcher.duplicateAlerts.get());
        System.out.printf(Locale.ROOT, "  accuracy precision %s, recall %s over %d decided frames "
                        + "(tp %d, fp %d, fn %d, tn %d)%n", ratio(accuracy.precision(), "no alerts"),
                ratio(accuracy.recall(), "no defective frames"), accuracy.frames(),
                accuracy.truePositives(), accuracy.falsePositives(), accuracy.falseNegatives(),
                accuracy.trueNegatives());
        ImageAccuracy images = ImageAccuracy.of(truth.frames(), watcher.alerted, watcher.decided);
        System.out.printf(Locale.ROOT, "  images   %d of %d distinct defective images found (recall %s), %d of %d "
                        + "distinct good images alerted (false-alarm rate %s)%n", images.defectiveFound(),
                images.defectiveImages(), ratio(images.recall(), "none shown"), images.goodAlerted(),
                images.goodImages(), ratio(images.falseAlarmRate(), "none shown"));
        Localisation where = watcher.localisation.get();
        if (where.alerts() > 0) {
            System.out.printf(Locale.ROOT, "  regions  %d of %d alerts on defective frames have a region on the defect "
                            + "(%s; the top region: %s); %d of their %d regions are on it%n", where.localised(),
                    where.alerts(), ratio(where.localisedShare(), "-"), ratio(where.topOnDefectShare(), "-"),
                    where.regionsOnDefect(), where.regions());
        }
        LatencyRecorder decision = watcher.decisionLatency;
        if (decision.count() > 0) {
            System.out.printf(Locale.ROOT, "  latency  capture -> decided in the job:    p50 %d ms, p95 %d ms, "
                            + "p99 %d ms, max %d ms (all frames)%n", decision.percentile(50), decision.percentile(95),
                    decision.percentile(99), decision.percentile(100));
        }
        if (latency.count() > 0) {
            System.out.printf(Locale.ROOT, "  latency  capture -> alert readable (%s): p50 %d ms, p95 %d ms, "
                            + "p99 %d ms, max %d ms (read_committed consumer)%n",
                    delivery.name().toLowerCase(Locale.ROOT).replace('_', '-'), latency.percentile(50),
                    latency.percentile(95), latency.percentile(99), latency.percentile(100));
        }
        long notWritten = watcher.overlaysNotWritten();
        System.out.printf(Locale.ROOT, "  overlays %d PNG files (one per distinct image alerted) in %s%s; ground truth "
                        + "in %s%n", watcher.overlaysWritten.get(), output.resolve("overlays"),
                notWritten == 0 ? "" : " (" + notWritten + " more not written: still queued 30 s after the stop, "
                        + "or failed)",
                output.resolve("ground-truth.jsonl"));
        if (missed.frames() > 0) {
            System.out.printf(Locale.ROOT, "  missed   %d defective frames without an alert; %d distinct images never "
                            + "alerted (the cameras repeat their images): %d PNG files in %s%n", missed.frames(),
                    missed.distinctImages(), missed.overlaysWritten(), output.resolve("overlays").resolve("missed"));
        }
    }

    /** A ratio to 3 decimals, or "n/a (why)" when it is undefined (0 / 0). */
    static String ratio(double value, String whyUndefined) {
        return Double.isNaN(value) ? "n/a (" + whyUndefined + ")" : String.format(Locale.ROOT, "%.3f", value);
    }

    /** One status line per second; rates over the last 5 seconds. */
    private static final class StatusLine {
        private record Tick(long atMs, long sent, long decided, long alerts, long rejected) {
        }

        private final long start;
        private final ArrayDeque<Tick> ticks = new ArrayDeque<>();

        StatusLine(long start) {
            this.start = start;
            ticks.add(new Tick(start, 0, 0, 0, 0));
        }

        String line(long now, long sent, OutputWatcher watcher) {
            long decided = watcher.decided.size();
            while (ticks.size() > 1 && ticks.peekFirst().atMs() < now - 5000) {
                ticks.removeFirst();
            }
            Tick first = ticks.peekFirst();
            double seconds = Math.max(0.001, (now - first.atMs()) / 1000.0);
            ticks.addLast(new Tick(now, sent, decided, watcher.alerts.get(), watcher.rejected.get()));
            long p99 = watcher.latency.recentPercentile(now, 99);
            return String.format(Locale.ROOT, "[%4d s] in %5.1f frames/s | decided %5.1f frames/s (%d) | alerts %d"
                            + " | rejected %d | p99 capture->alert %s", (now - start) / 1000,
                    (sent - first.sent()) / seconds, (decided - first.decided()) / seconds, decided,
                    watcher.alerts.get(), watcher.rejected.get(), p99 < 0 ? "-" : p99 + " ms");
        }

        /** Whether the output moved since the last line. */
        boolean changed(OutputWatcher watcher) {
            Tick last = ticks.peekLast();
            return watcher.decided.size() != last.decided() || watcher.alerts.get() != last.alerts()
                    || watcher.rejected.get() != last.rejected();
        }
    }

    static final class DurationConverter implements ITypeConverter<Duration> {
        @Override
        public Duration convert(String value) {
            return TimeUtils.parseDuration(value);
        }
    }

    static final class DeliveryConverter implements ITypeConverter<Delivery> {
        @Override
        public Delivery convert(String value) {
            return Delivery.valueOf(value.trim().toUpperCase(Locale.ROOT).replace('-', '_'));
        }
    }
}
