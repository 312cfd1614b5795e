package io.defectdetector.demo;

import static org.assertj.core.api.Assertions.assertThat;

import io.defectdetector.factory.BoundingBox;
import io.defectdetector.factory.camera.FrameTruth;
import io.defectdetector.factory.camera.GroundTruth.Key;
import io.defectdetector.factory.defects.DefectKind;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class AccuracyTest {
    private static FrameTruth frame(String id, boolean defective) {
        return new FrameTruth("cam-01", id, 1L, "line-1", 0, 1L, defective ? DefectKind.HOLE : null,
                defective ? new BoundingBox(1, 1, 4, 4) : null, defective ? 16 : 0, null, null);
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
    void precisionIsUndefinedWithoutAlerts() {
        assertThat(Accuracy.of(List.of(frame("a", false)), Set.of(), Set.of(new Key("cam-01", "a"))).precision())
                .isNaN();
    }
}
