package io.defectdetector.demo;

import static org.assertj.core.api.Assertions.assertThat;

import io.defectdetector.factory.BoundingBox;
import io.defectdetector.factory.camera.FrameTruth;
import io.defectdetector.factory.camera.GroundTruth.Key;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class AccuracyTest {
    private static FrameTruth frame(String id, boolean defective) {
        return new FrameTruth("cam-01", id, 1L, "line-1", 0, 1L, defective ? "hole" : null,
                defective ? new BoundingBox(1, 1, 4, 4) : null, defective ? 16 : 0, null, null, null);
    }

    @Test
    void countsAlertsOnDefectiveFramesAsTruePositivesAndSkipsUndecidedFrames() {
        List<FrameTruth> truth = List.of(frame("a", true), frame("b", true), frame("c", false), frame("d", false),
                frame("e", true));
        Set<Key> decided = Set.of(new Key("cam-01", "a"), new Key("cam-01", "b"), new Key("cam-01", "c"),
                new Key("cam-01", "d"));
        Set<Key> alerted = Set.of(new Key("cam-01", "a"), new Key("cam-01", "c"));

        Accuracy accuracy = Accuracy.of(truth, alerted, decided);

        assertThat(accuracy).isEqualTo(new Accuracy(1, 1, 1, 1));
        assertThat(accuracy.precision()).isEqualTo(0.5);
        assertThat(accuracy.recall()).isEqualTo(0.5);
        assertThat(accuracy.frames()).isEqualTo(4);
    }

    @Test
    void imageLevelCountsEachCameraImageOnceAndKeepsGoodAndDefectivePoolsApart() {
        // cam-01 good pool image 0 shown three times (alerted once), defective pool image 0 twice (never alerted);
        // cam-02 defective pool image 0 (alerted): another camera's image with the same pool index.
        List<FrameTruth> truth = List.of(pooled("cam-01", "1", 0, false), pooled("cam-01", "2", 0, false),
                pooled("cam-01", "3", 0, false), pooled("cam-01", "4", 0, true), pooled("cam-01", "5", 0, true),
                pooled("cam-02", "1", 0, true), pooled("cam-02", "2", 1, false));
        Set<Key> decided = Set.of(new Key("cam-01", "1"), new Key("cam-01", "2"), new Key("cam-01", "3"),
                new Key("cam-01", "4"), new Key("cam-01", "5"), new Key("cam-02", "1"));
        Set<Key> alerted = Set.of(new Key("cam-01", "2"), new Key("cam-02", "1"));

        ImageAccuracy images = ImageAccuracy.of(truth, alerted, decided);

        assertThat(images).isEqualTo(new ImageAccuracy(2, 1, 1, 1)); // cam-02's good image was never decided
        assertThat(images.recall()).isEqualTo(0.5);
        assertThat(images.falseAlarmRate()).isEqualTo(1.0);
    }

    private static FrameTruth pooled(String camera, String id, int poolIndex, boolean defective) {
        return new FrameTruth(camera, id, 1L, "line-1", poolIndex, 1L, defective ? "hole" : null,
                defective ? new BoundingBox(1, 1, 4, 4) : null, defective ? 16 : 0, null, null, null);
    }

    @Test
    void aReplayedFileIsOneImageWhicheverCameraShowedIt() {
        FrameTruth onCam1 = new FrameTruth("cam-01", "a", 1L, null, 7, 0L, "crack", null, 0, null, null,
                "bottle/test/crack/001.png");
        FrameTruth onCam2 = new FrameTruth("cam-02", "b", 1L, null, 7, 0L, "crack", null, 0, null, null,
                "bottle/test/crack/001.png");
        FrameTruth other = new FrameTruth("cam-02", "c", 1L, null, 8, 0L, "crack", null, 0, null, null,
                "bottle/test/crack/002.png");
        Set<Key> decided = Set.of(new Key("cam-01", "a"), new Key("cam-02", "b"), new Key("cam-02", "c"));
        ImageAccuracy images = ImageAccuracy.of(List.of(onCam1, onCam2, other), Set.of(new Key("cam-02", "b")),
                decided);
        assertThat(images.defectiveImages()).isEqualTo(2);
        assertThat(images.defectiveFound()).isEqualTo(1);
    }

    @Test
    void precisionIsUndefinedWithoutAlerts() {
        assertThat(Accuracy.of(List.of(frame("a", false)), Set.of(), Set.of(new Key("cam-01", "a"))).precision())
                .isNaN();
    }
}
