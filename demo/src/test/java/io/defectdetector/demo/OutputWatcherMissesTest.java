package io.defectdetector.demo;

import static org.assertj.core.api.Assertions.assertThat;

import io.defectdetector.factory.camera.FrameTruth;
import io.defectdetector.factory.camera.GroundTruth;
import io.defectdetector.frame.FrameHeaders;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class OutputWatcherMissesTest {

    private static String line(String camera, String frame, int pool, String defect) {
        String d = defect == null ? "null" : "\"" + defect + "\"";
        String bbox = defect == null ? "null" : "{\"x\":10,\"y\":10,\"width\":5,\"height\":5}";
        return "{\"camera\":\"" + camera + "\",\"frame_id\":\"" + frame + "\",\"capture_time\":1,\"line\":\"l\","
                + "\"pool_image\":" + pool + ",\"image_seed\":0,\"defect\":" + d + ",\"bbox\":" + bbox
                + ",\"defect_pixels\":25,\"mask\":null}";
    }

    private static GroundTruth.Key key(String camera, String frame) {
        return new GroundTruth.Key(camera, frame);
    }

    @Test
    void keepsTheFirstMissOfEachDistinctCameraImage(@TempDir Path dir) throws Exception {
        Path jsonl = dir.resolve("truth.jsonl");
        Files.write(jsonl, List.of(
                line("cam-1", "f-3", 7, "scratch"),
                line("cam-1", "f-1", 7, "scratch"),   // same image as f-3, earlier frame id: the one kept
                line("cam-1", "f-2", 8, "stain"),     // alerted: not a miss
                line("cam-2", "f-1", 7, "stain"),     // pool index 7 of another camera: a different image
                line("cam-2", "f-4", 9, "hole")));
        GroundTruth truth = GroundTruth.load(jsonl);

        // What writeMissedOverlays passes: defective decided frames without an alert (cam-1 f-2, cam-2 f-4 alerted).
        List<FrameTruth> misses = OutputWatcher.firstPerImage(
                List.of(key("cam-1", "f-3"), key("cam-2", "f-1"), key("cam-1", "f-1")), truth);

        assertThat(misses).extracting(FrameTruth::cameraId, FrameTruth::frameId)
                .containsExactly(org.assertj.core.groups.Tuple.tuple("cam-1", "f-1"),
                        org.assertj.core.groups.Tuple.tuple("cam-2", "f-1"));
    }

    @Test
    void anImageThatAlertedOnAnotherFrameIsNotAMissedImage(@TempDir Path dir) throws Exception {
        Path jsonl = dir.resolve("truth.jsonl");
        Files.write(jsonl, List.of(
                line("cam-1", "f-1", 7, "scratch"),   // alerted
                line("cam-1", "f-2", 7, "scratch"),   // same image, no alert (a throttled frame fault, say)
                line("cam-1", "f-3", 8, "stain"),     // never alerted
                line("cam-1", "f-4", 9, null)));      // a good image's false alarm says nothing of defective ones
        GroundTruth truth = GroundTruth.load(jsonl);

        List<FrameTruth> misses = OutputWatcher.neverAlerted(OutputWatcher.firstPerImage(
                List.of(key("cam-1", "f-2"), key("cam-1", "f-3")), truth),
                java.util.Set.of(key("cam-1", "f-1"), key("cam-1", "f-4")), truth);

        assertThat(misses).extracting(FrameTruth::frameId).containsExactly("f-3");
    }

    @Test
    void aWarmUpFrameInTheDeadLettersGivesTheReasonTheDemoStopsWith() {
        ConsumerRecord<byte[], byte[]> warmUp = new ConsumerRecord<>("dead-letter", 0, 3L,
                (OutputWatcher.WARM_UP_CAMERA_PREFIX + "1").getBytes(StandardCharsets.UTF_8), new byte[] {1});
        warmUp.headers().add(FrameHeaders.DLQ_REASON, "WRONG_SHAPE".getBytes(StandardCharsets.UTF_8));
        warmUp.headers().add(FrameHeaders.DLQ_DETAIL, "frame 192x128 has aspect ratio 1.500".getBytes(
                StandardCharsets.UTF_8));
        assertThat(OutputWatcher.warmUpRejection(warmUp)).isEqualTo("WRONG_SHAPE: frame 192x128 has aspect ratio 1.500");

        // A camera's own rejected frame is counted, not a reason to stop; a record without a key neither.
        assertThat(OutputWatcher.warmUpRejection(new ConsumerRecord<>("dead-letter", 0, 4L,
                "cam-01".getBytes(StandardCharsets.UTF_8), new byte[] {1}))).isNull();
        assertThat(OutputWatcher.warmUpRejection(new ConsumerRecord<>("dead-letter", 0, 5L, null, new byte[] {1})))
                .isNull();
    }

    @Test
    void aRefusedThresholdCommandIsNotARejectedFrame() {
        ConsumerRecord<byte[], byte[]> command = new ConsumerRecord<>("dead-letter", 0, 6L, null, new byte[] {'x'});
        command.headers().add(FrameHeaders.DLQ_REASON, "CONTROL_NOT_JSON".getBytes(StandardCharsets.UTF_8));
        assertThat(OutputWatcher.isCommandRefusal(command)).isTrue();
        ConsumerRecord<byte[], byte[]> frame = new ConsumerRecord<>("dead-letter", 0, 7L,
                "cam-01".getBytes(StandardCharsets.UTF_8), new byte[] {1});
        frame.headers().add(FrameHeaders.DLQ_REASON, "UNDECODABLE_IMAGE".getBytes(StandardCharsets.UTF_8));
        assertThat(OutputWatcher.isCommandRefusal(frame)).isFalse();
    }
}
