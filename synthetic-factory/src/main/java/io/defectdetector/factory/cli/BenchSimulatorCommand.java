package io.defectdetector.factory.cli;

import io.defectdetector.factory.camera.CameraSimulator;
import io.defectdetector.factory.camera.FrameEncoding;
import io.defectdetector.factory.camera.GroundTruth;
import io.defectdetector.factory.camera.ProducerSettings;
import io.defectdetector.factory.camera.SimulationReport;
import io.defectdetector.factory.camera.SimulatorConfig;
import io.defectdetector.factory.surface.Product;
import io.defectdetector.frame.KafkaClientSettings;
import io.defectdetector.kafka.LocalKafkaBroker;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "bench-simulator", mixinStandardHelpOptions = true,
        description = {"Starts a local Kafka broker in this JVM and measures the simulator's sustained, "
                + "acknowledged frame rate into it (no rate limit, ground truth written to a temporary JSONL "
                + "file, producer defaults as for simulate), for each content type; prints a table.",
            "The broker shares the machine with the producer, so the figures are a floor for a remote cluster."})
final class BenchSimulatorCommand implements Callable<Integer> {
    @Option(names = "--encodings", split = ",", defaultValue = "raw,png", converter = EncodingConverter.class,
            description = "Content types to measure (default: ${DEFAULT-VALUE}).")
    List<FrameEncoding> encodings;

    @Option(names = "--product", defaultValue = "tiles", converter = ProductsConverter.OfProduct.class,
            description = "Product; a gray one gives gray8 raw frames (default: ${DEFAULT-VALUE}).")
    Product product;

    @Option(names = "--size", defaultValue = "256", converter = ImageSize.Converter.class,
            description = "Frame size (default: ${DEFAULT-VALUE}).")
    ImageSize size;

    @Option(names = "--cameras", defaultValue = "4", description = "Cameras (default: ${DEFAULT-VALUE}).")
    int cameras;

    @Option(names = "--partitions", defaultValue = "4", description = "Topic partitions (default: ${DEFAULT-VALUE}).")
    int partitions;

    @Option(names = "--warmup", defaultValue = "5s", converter = DurationConverter.class,
            description = "Unmeasured run first, per content type (default: ${DEFAULT-VALUE}).")
    Duration warmup;

    @Option(names = "--duration", defaultValue = "10s", converter = DurationConverter.class,
            description = "Measured run per content type (default: ${DEFAULT-VALUE}).")
    Duration duration;

    @Option(names = "--kafka-property", paramLabel = "KEY=VALUE", description = "Producer property override, "
            + "e.g. acks=1 or linger.ms=20; repeatable.")
    List<String> kafkaProperties = new ArrayList<>();

    @Override
    public Integer call() throws Exception {
        List<String[]> rows = new ArrayList<>();
        Path tmp = Files.createTempDirectory("bench-simulator-");
        // Frequent retention checks and small segments keep a 64 KiB x 5000/s stream from filling the disk.
        try (LocalKafkaBroker broker = LocalKafkaBroker.start(Map.of("log.retention.check.interval.ms", "2000"))) {
            KafkaClientSettings kafka = KafkaClientSettings.of(Map.of(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG,
                    broker.bootstrapServers())).withAll(KafkaClientSettings.parseOverrides(kafkaProperties));
            System.out.printf("local broker %s; %d cores; Java %s; %s %dx%d, %d cameras, %d partitions%n",
                    broker.bootstrapServers(), Runtime.getRuntime().availableProcessors(),
                    System.getProperty("java.version"), product.id(), size.width(), size.height(), cameras,
                    partitions);
            for (FrameEncoding encoding : encodings) {
                String topic = "bench-" + encoding;
                broker.createTopic(topic, partitions, Map.of("segment.bytes", Integer.toString(64 << 20),
                        "retention.bytes", Long.toString(256L << 20)));
                SimulatorConfig config = SimulatorConfig.defaults(topic, product).withEncoding(encoding)
                        .withCameras(cameras).withSize(size.width(), size.height()).withRate(0);
                CameraSimulator simulator = new CameraSimulator(config);
                try (Producer<byte[], byte[]> producer = new KafkaProducer<>(ProducerSettings.build(kafka))) {
                    try (GroundTruth discard = GroundTruth.discarding()) {
                        new CameraSimulator(config.withLimits(0, warmup).withRunId("warmup"))
                                .run(producer, discard, n -> { });
                    }
                    Path file = tmp.resolve(topic + ".jsonl");
                    SimulationReport r;
                    long cpu0 = processCpuNanos();
                    try (GroundTruth truth = GroundTruth.toFile(file, false)) {
                        r = new CameraSimulator(config.withLimits(0, duration)).run(producer, truth, n -> { });
                    }
                    double cpuMicrosPerFrame = (processCpuNanos() - cpu0) / 1e3 / Math.max(1, r.acknowledged());
                    rows.add(new String[] {encoding.toString(), simulator.contentType().mimeType(),
                        Long.toString(r.sent() == 0 ? 0 : avgBytes(r)), Long.toString(r.acknowledged()),
                        String.format("%.1f", r.elapsed().toNanos() / 1e9),
                        String.format("%.0f", r.framesPerSecond()), String.format("%.0f", r.megabytesPerSecond()),
                        String.format("%.0f", cpuMicrosPerFrame)});
                    System.out.printf("  %s: %.0f frames/s%n", encoding, r.framesPerSecond());
                }
            }
        } finally {
            try (var files = Files.walk(tmp)) {
                files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
        printTable(rows);
        return 0;
    }

    /**
     * CPU time of this whole process (simulator, producer and broker): with other work on the machine the wall
     * rate drops, but the CPU cost per frame stays comparable.
     */
    private static long processCpuNanos() {
        var os = java.lang.management.ManagementFactory.getOperatingSystemMXBean();
        return os instanceof com.sun.management.OperatingSystemMXBean sun ? sun.getProcessCpuTime() : 0;
    }

    private static long avgBytes(SimulationReport r) {
        return r.payloadBytes() / r.sent();
    }

    private static void printTable(List<String[]> rows) {
        String[] head = {"encoding", "content-type", "bytes/frame", "frames", "seconds", "frames/s", "MB/s",
            "cpu us/frame"};
        int[] w = new int[head.length];
        for (int i = 0; i < head.length; i++) {
            w[i] = head[i].length();
            for (String[] r : rows) {
                w[i] = Math.max(w[i], r[i].length());
            }
        }
        StringBuilder sb = new StringBuilder();
        appendRow(sb, head, w);
        String[] rule = new String[head.length];
        for (int i = 0; i < head.length; i++) {
            rule[i] = "-".repeat(w[i]);
        }
        appendRow(sb, rule, w);
        for (String[] r : rows) {
            appendRow(sb, r, w);
        }
        System.out.print(sb);
    }

    private static void appendRow(StringBuilder sb, String[] cells, int[] w) {
        sb.append('|');
        for (int i = 0; i < cells.length; i++) {
            String fmt = i < 2 ? " %-" + w[i] + "s |" : " %" + w[i] + "s |";
            sb.append(String.format(fmt, cells[i]));
        }
        sb.append('\n');
    }
}
