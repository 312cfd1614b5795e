package io.defectdetector.factory.cli;

import io.defectdetector.factory.camera.CameraSimulator;
import io.defectdetector.factory.camera.FrameEncoding;
import io.defectdetector.factory.camera.GroundTruth;
import io.defectdetector.factory.camera.ImageFolder;
import io.defectdetector.factory.camera.SimulationReport;
import io.defectdetector.factory.camera.SimulatorConfig;
import io.defectdetector.factory.defects.DefectKind;
import io.defectdetector.factory.surface.Product;
import io.defectdetector.frame.KafkaClientSettings;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.CommonClientConfigs;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "simulate", mixinStandardHelpOptions = true,
        description = {"Simulated cameras publish frames to Kafka in the wire format (key = camera id, headers "
                + "frame-id, capture-time, content-type, line, and width/height/channels for raw).",
            "Each camera cycles a pre-rendered pool of good and defective images under unique frame ids; the ground "
                + "truth of every frame is written as JSON Lines (masks as PNG files beside it).",
            "Without --duration or --frames it runs until interrupted (Ctrl-C), then flushes and reports."})
final class SimulateCommand implements Callable<Integer> {
    @Option(names = "--bootstrap-servers", description = "Kafka bootstrap servers, HOST:PORT[,...] (or set "
            + "bootstrap.servers in --kafka-config).")
    String bootstrapServers;

    @Option(names = "--kafka-config", description = "Kafka client properties file (SASL, TLS, ...), passed "
            + "through unchanged; secrets are never printed.")
    Path kafkaConfig;

    @Option(names = "--kafka-property", paramLabel = "KEY=VALUE", description = "A Kafka client property; "
            + "repeatable; wins over the file and the producer defaults.")
    List<String> kafkaProperties = new ArrayList<>();

    @Option(names = "--topic", defaultValue = "frames", description = "Topic (default: ${DEFAULT-VALUE}).")
    String topic;

    @Option(names = "--cameras", defaultValue = "4", description = "Number of cameras, ids cam-01.. "
            + "(default: ${DEFAULT-VALUE}).")
    int cameras;

    @Option(names = "--line", defaultValue = "line-1", description = "Value of the line header "
            + "(default: ${DEFAULT-VALUE}).")
    String line;

    @Option(names = "--rate", defaultValue = "200", description = "Total frames per second over all cameras; 0 = "
            + "as fast as possible (default: ${DEFAULT-VALUE}).")
    double rate;

    @Option(names = "--defect-rate", defaultValue = "0.05", description = "Fraction of defective frames "
            + "(default: ${DEFAULT-VALUE}).")
    double defectRate;

    @Option(names = "--product", defaultValue = "tiles", converter = ProductsConverter.OfProduct.class,
            description = "fabric, metal, tiles (gray) or wood, pcb (RGB) (default: ${DEFAULT-VALUE}).")
    Product product;

    @Option(names = "--defects", split = ",", converter = ProductsConverter.OfDefect.class,
            description = "Defect kinds in the defective pool (default: all).")
    List<DefectKind> defects = List.of(DefectKind.values());

    @Option(names = "--content-type", defaultValue = "raw", converter = EncodingConverter.class,
            description = "raw (gray8 or rgb8 by product), png or jpeg (default: ${DEFAULT-VALUE}).")
    FrameEncoding encoding;

    @Option(names = "--jpeg-quality", defaultValue = "0.95", description = "JPEG quality 0..1 "
            + "(default: ${DEFAULT-VALUE}).")
    float jpegQuality;

    @Option(names = "--size", defaultValue = "256", converter = ImageSize.Converter.class,
            description = "Frame size, N or WxH (default: ${DEFAULT-VALUE}).")
    ImageSize size;

    @Option(names = "--duration", converter = DurationConverter.class, description = "Stop after this long, "
            + "e.g. 30s, 5m.")
    Duration duration;

    @Option(names = "--frames", defaultValue = "0", description = "Stop after this many frames in total "
            + "(0 = no limit).")
    long frames;

    @Option(names = "--ground-truth", description = "JSON Lines file for the ground truth of every frame.")
    Path groundTruth;

    @Option(names = "--seed", defaultValue = "42", description = "Seed of pools and image choices "
            + "(default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--pool-good", defaultValue = "16", description = "Good images per camera "
            + "(default: ${DEFAULT-VALUE}).")
    int poolGood;

    @Option(names = "--pool-defective", defaultValue = "12", description = "Defective images per camera "
            + "(default: ${DEFAULT-VALUE}).")
    int poolDefective;

    @Option(names = "--images", description = "Replay real images instead of rendering: one category, or its test "
            + "folder, in the MVTec AD layout (test/good, test/<defect type>, ground_truth), MVTec AD 2 "
            + "(test_public/good, test_public/bad, test_public/ground_truth) or MVTec LOCO AD (as MVTec AD, a mask "
            + "folder per image). --product, --defects, --size and the pool sizes are then not used.")
    Path images;

    @Option(names = "--run-id", description = "Prefix of frame ids (default: r + base-36 start time).")
    String runId;

    @Option(names = "--no-progress", description = "Do not draw a progress bar.")
    boolean noProgress;

    @Override
    public Integer call() throws Exception {
        KafkaClientSettings kafka = kafkaSettings(kafkaConfig, bootstrapServers, kafkaProperties);
        SimulatorConfig config = new SimulatorConfig(topic, cameras, line, product, encoding, size.width(),
                size.height(), rate, defectRate, frames, duration, seed, poolGood, poolDefective, defects,
                jpegQuality, runId == null ? SimulatorConfig.newRunId() : runId);
        CameraSimulator simulator;
        if (images != null) {
            try {
                ImageFolder folder = ImageFolder.load(images, encoding, jpegQuality);
                simulator = CameraSimulator.replaying(config, folder);
                System.out.printf("replaying %s: %d good and %d defective images (%s) on %d cameras%n", images,
                        folder.good().size(), folder.defective().size(), String.join(", ", folder.defectTypes()),
                        cameras);
            } catch (IllegalArgumentException | java.io.IOException e) {
                System.err.println("error: --images: " + e.getMessage());
                return 2;
            }
        } else {
            simulator = new CameraSimulator(config);
            System.out.printf("rendering pools: %d cameras x (%d good + %d defective) %s %dx%d images%n", cameras,
                    poolGood, defectRate > 0 ? poolDefective : 0, product.id(), size.width(), size.height());
            simulator.prepare(Runtime.getRuntime().availableProcessors());
        }
        System.out.printf("producing %s frames to topic '%s' (run id %s, rate %s, Kafka %s)%n",
                simulator.contentType().mimeType(), topic, config.runId(),
                rate > 0 ? rate + "/s" : "unlimited", kafka.redacted());

        CountDownLatch done = new CountDownLatch(1);
        Thread hook = new Thread(() -> {
            simulator.stop();
            try {
                done.await(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "simulator-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        try {
            SimulationReport report;
            try (GroundTruth truth = groundTruth == null ? GroundTruth.discarding()
                    : GroundTruth.toFile(groundTruth, false);
                    Progress progress = new Progress("simulate", expectedFrames(), "frames", !noProgress)) {
                report = simulator.run(kafka, truth, progress::stepTo);
            }
            System.out.printf("sent %d frames (%d defective), %d acknowledged, %d failed in %.1f s: %.0f frames/s, "
                            + "%.1f MB/s%n", report.sent(), report.defective(), report.acknowledged(),
                    report.failed(), report.elapsed().toNanos() / 1e9, report.framesPerSecond(),
                    report.megabytesPerSecond());
            if (groundTruth != null) {
                System.out.println("ground truth: " + groundTruth.toAbsolutePath());
            }
            return report.failed() == 0 ? 0 : 1;
        } finally {
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException shuttingDown) {
                // interrupted: the hook is running and waits for the latch below
            }
            System.out.flush();
            done.countDown();
        }
    }

    private long expectedFrames() {
        if (frames > 0) {
            return frames;
        }
        if (duration != null && rate > 0) {
            return (long) Math.ceil(duration.toMillis() / 1000.0 * rate);
        }
        return -1;
    }

    /** File, then --bootstrap-servers, then --kafka-property (the later wins). */
    static KafkaClientSettings kafkaSettings(Path file, String bootstrap, List<String> properties) {
        KafkaClientSettings settings = KafkaClientSettings.load(file, List.of());
        if (bootstrap != null) {
            settings = settings.with(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        }
        return settings.withAll(KafkaClientSettings.parseOverrides(properties));
    }
}
