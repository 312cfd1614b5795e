package io.defectdetector.factory.camera;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.defectdetector.factory.image.Image;
import io.defectdetector.factory.image.Png;
import io.defectdetector.factory.surface.Product;
import io.defectdetector.frame.Frame;
import io.defectdetector.frame.FrameDecoder;
import io.defectdetector.frame.FrameLimits;
import io.defectdetector.frame.FrameRejectedException;
import io.defectdetector.frame.KafkaClientSettings;
import io.defectdetector.kafka.LocalKafkaExtension;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

class CameraSimulatorKafkaTest {
    @RegisterExtension
    static final LocalKafkaExtension KAFKA = new LocalKafkaExtension();

    @Test
    void publishesRawFramesThatDecodeToThePoolImagesTheGroundTruthNames(@TempDir Path dir) throws Exception {
        String topic = "frames-raw";
        KAFKA.broker().createTopic(topic, 3);
        SimulatorConfig config = SimulatorConfig.defaults(topic, Product.TILES).withCameras(3).withSize(64, 64)
                .withPools(4, 6).withDefectRate(0.3).withLimits(90, null).withRunId("test-raw");
        CameraSimulator simulator = new CameraSimulator(config);
        Path jsonl = dir.resolve("truth.jsonl");
        SimulationReport report;
        GroundTruth truth = GroundTruth.toFile(jsonl, true);
        try (truth) {
            report = simulator.run(kafka(), truth, n -> { });
        }

        assertThat(report.sent()).isEqualTo(90);
        assertThat(report.acknowledged()).isEqualTo(90);
        assertThat(report.failed()).isZero();
        assertThat(truth.size()).isEqualTo(90);
        assertThat(report.defective()).isEqualTo(truth.defectiveCount()).isBetween(10L, 50L);

        List<ConsumerRecord<byte[], byte[]>> records = consume(topic, 90);
        FrameDecoder decoder = new FrameDecoder(FrameLimits.defaults());
        Map<String, Integer> perCamera = new HashMap<>();
        for (ConsumerRecord<byte[], byte[]> r : records) {
            Frame frame = decoder.decode(r.key(), r.value(), r.headers());
            assertThat(frame.getCameraId()).isEqualTo(new String(r.key(), StandardCharsets.UTF_8)).matches("cam-0[1-3]");
            assertThat(frame.getLine()).isEqualTo("line-1");
            assertThat(frame.getWidth()).isEqualTo(64);
            assertThat(frame.getChannels()).isEqualTo(1);
            assertThat(header(r, "content-type")).isEqualTo("image/x-raw-gray8");

            FrameTruth t = truth.get(frame.getCameraId(), frame.getFrameId()).orElseThrow();
            assertThat(t.captureTimeMs()).isEqualTo(frame.getCaptureTimeMs());
            PoolImage used = simulator.pool(cameraIndex(frame.getCameraId())).stream()
                    .filter(p -> p.index() == t.poolIndex()).findFirst().orElseThrow();
            assertThat(frame.getPixels()).isEqualTo(used.image().pixels());
            assertThat(t.defective()).isEqualTo(used.defective());
            if (t.defective()) {
                assertThat(t.mask()).isEqualTo(used.mask());
                assertThat(t.bbox()).isEqualTo(used.bbox());
            }
            perCamera.merge(frame.getCameraId(), 1, Integer::sum);
        }
        assertThat(perCamera).isEqualTo(Map.of("cam-01", 30, "cam-02", 30, "cam-03", 30));

        // Frames of one camera stay in order (same key, same partition).
        Map<String, Long> lastSeq = new HashMap<>();
        for (ConsumerRecord<byte[], byte[]> r : records) {
            String cam = new String(r.key(), StandardCharsets.UTF_8);
            long seq = Long.parseLong(header(r, "frame-id").substring("test-raw-".length()));
            assertThat(seq).isGreaterThan(lastSeq.getOrDefault(cam, -1L));
            lastSeq.put(cam, seq);
        }

        List<String> lines = Files.readAllLines(jsonl);
        assertThat(lines).hasSize(90);
        ObjectMapper json = new ObjectMapper();
        Set<String> ids = new HashSet<>();
        for (String line : lines) {
            JsonNode n = json.readTree(line);
            FrameTruth t = truth.get(n.get("camera").asText(), n.get("frame_id").asText()).orElseThrow();
            ids.add(n.get("camera").asText() + "/" + n.get("frame_id").asText());
            assertThat(n.get("defective").asBoolean()).isEqualTo(t.defective());
            assertThat(n.get("capture_time").asLong()).isEqualTo(t.captureTimeMs());
            assertThat(n.get("pool_image").asInt()).isEqualTo(t.poolIndex());
            if (t.defective()) {
                assertThat(n.get("defect").asText()).isEqualTo(t.defect());
                assertThat(n.at("/bbox/width").asInt()).isEqualTo(t.bbox().width());
                Image mask = Png.read(dir.resolve(n.get("mask").asText()));
                assertThat(mask).isEqualTo(t.mask());
            } else {
                assertThat(n.get("mask").isNull()).isTrue();
                assertThat(n.get("bbox").isNull()).isTrue();
            }
        }
        assertThat(ids).hasSize(90);

        GroundTruth reloaded = GroundTruth.load(jsonl);
        assertThat(reloaded.size()).isEqualTo(90);
        assertThat(reloaded.defectiveCount()).isEqualTo(truth.defectiveCount());
        for (FrameTruth t : truth.frames()) {
            FrameTruth r = reloaded.get(t.cameraId(), t.frameId()).orElseThrow();
            assertThat(r).usingRecursiveComparison().isEqualTo(t);
        }
    }

    @Test
    void publishesPngFramesOfAColourProductWithTheSamePixels() throws Exception {
        String topic = "frames-png";
        KAFKA.broker().createTopic(topic, 2);
        SimulatorConfig config = SimulatorConfig.defaults(topic, Product.PCB).withCameras(2).withSize(48, 48)
                .withPools(2, 2).withEncoding(FrameEncoding.PNG).withDefectRate(0.5).withLimits(20, null);
        CameraSimulator simulator = new CameraSimulator(config);
        GroundTruth truth = GroundTruth.inMemory();
        simulator.run(kafka(), truth, n -> { });

        FrameDecoder decoder = new FrameDecoder(FrameLimits.defaults());
        for (ConsumerRecord<byte[], byte[]> r : consume(topic, 20)) {
            Frame frame = decoder.decode(r.key(), r.value(), r.headers());
            assertThat(header(r, "content-type")).isEqualTo("image/png");
            assertThat(frame.getChannels()).isEqualTo(3);
            FrameTruth t = truth.get(frame.getCameraId(), frame.getFrameId()).orElseThrow();
            PoolImage used = simulator.pool(cameraIndex(frame.getCameraId())).get(t.poolIndex());
            assertThat(frame.getPixels()).isEqualTo(used.image().pixels());
        }
    }

    @Test
    void replaysAnImageFolderWithTheFilesAsSentAndTheirFoldersAsGroundTruth(@TempDir Path dir) throws Exception {
        String topic = "frames-replay";
        KAFKA.broker().createTopic(topic, 2);
        Path category = ImageFolderTest.category(dir);
        ImageFolder folder = ImageFolder.load(category, FrameEncoding.PNG, 0.95f);
        SimulatorConfig config = SimulatorConfig.defaults(topic, Product.TILES).withCameras(2)
                .withEncoding(FrameEncoding.PNG).withDefectRate(0.5).withLimits(40, null).withRunId("replay");
        CameraSimulator simulator = CameraSimulator.replaying(config, folder);
        Path jsonl = dir.resolve("truth.jsonl");
        GroundTruth truth = GroundTruth.toFile(jsonl, true);
        try (truth) {
            simulator.run(kafka(), truth, n -> { });
        }

        FrameDecoder decoder = new FrameDecoder(FrameLimits.defaults());
        Set<String> sources = new HashSet<>();
        for (ConsumerRecord<byte[], byte[]> r : consume(topic, 40)) {
            Frame frame = decoder.decode(r.key(), r.value(), r.headers());
            FrameTruth t = truth.get(frame.getCameraId(), frame.getFrameId()).orElseThrow();
            Path source = Path.of(t.source());
            assertThat(source.getParent().getFileName().toString()).isEqualTo(t.defective() ? t.defect() : "good");
            PoolImage used = simulator.pool(cameraIndex(frame.getCameraId())).get(t.poolIndex());
            assertThat(used.source()).isEqualTo(t.source());
            assertThat(frame.getPixels()).isEqualTo(used.image().pixels());
            assertThat(frame.getWidth()).isEqualTo(40);
            if (source.toString().endsWith(".png")) {
                assertThat(r.value()).isEqualTo(Files.readAllBytes(source)); // the file itself, unchanged
            }
            sources.add(t.source());
        }
        assertThat(sources).hasSizeGreaterThanOrEqualTo(3);

        GroundTruth reloaded = GroundTruth.load(jsonl);
        for (FrameTruth t : truth.frames()) {
            assertThat(reloaded.get(t.cameraId(), t.frameId()).orElseThrow())
                    .usingRecursiveComparison().isEqualTo(t);
        }
    }

    @Test
    void holdsTheTargetRate() throws FrameRejectedException {
        String topic = "frames-rate";
        KAFKA.broker().createTopic(topic, 1);
        SimulatorConfig config = SimulatorConfig.defaults(topic, Product.METAL).withCameras(2).withSize(32, 32)
                .withPools(1, 1).withRate(100).withLimits(0, Duration.ofMillis(1500));
        SimulationReport report = new CameraSimulator(config).run(kafka(), GroundTruth.discarding(), n -> { });
        assertThat(report.sent()).isBetween(120L, 160L);
        assertThat(report.acknowledged()).isEqualTo(report.sent());
    }

    private static int cameraIndex(String cameraId) {
        return Integer.parseInt(cameraId.substring(4)) - 1;
    }

    private static KafkaClientSettings kafka() {
        return KafkaClientSettings.of(Map.of("bootstrap.servers", KAFKA.bootstrapServers()));
    }

    private static String header(ConsumerRecord<byte[], byte[]> r, String name) {
        return new String(r.headers().lastHeader(name).value(), StandardCharsets.UTF_8);
    }

    private static List<ConsumerRecord<byte[], byte[]>> consume(String topic, int expected) {
        Properties props = KAFKA.broker().clientProperties();
        props.put(ConsumerConfig.GROUP_ID_CONFIG, "test-" + topic);
        props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        props.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        props.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        List<ConsumerRecord<byte[], byte[]>> out = new ArrayList<>();
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(props)) {
            consumer.subscribe(List.of(topic));
            long deadline = System.currentTimeMillis() + 30_000;
            while (out.size() < expected && System.currentTimeMillis() < deadline) {
                consumer.poll(Duration.ofMillis(200)).forEach(out::add);
            }
        }
        assertThat(out).hasSize(expected);
        return out;
    }
}
