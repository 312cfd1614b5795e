package io.defectdetector.demo;

import static org.assertj.core.api.Assertions.assertThat;

import io.defectdetector.factory.BoundingBox;
import io.defectdetector.factory.camera.FrameTruth;
import io.defectdetector.job.alerts.DefectAlert;
import io.defectdetector.job.scoring.DefectRegion;
import java.util.List;
import org.junit.jupiter.api.Test;

class LocalisationTest {
    private static final FrameTruth HOLE = new FrameTruth("cam-1", "f", 1L, null, 0, 1L, "hole",
            new BoundingBox(100, 100, 20, 20), 400, null, null, null);

    private static DefectRegion box(int x, int y, int size) {
        return new DefectRegion(x, y, size, size, size * size, 2f, 1.5f, x / 2, y / 2, size / 2, size / 2, 1);
    }

    private static DefectAlert alert(DefectRegion... regions) {
        DefectAlert a = new DefectAlert();
        a.setRegions(List.of(regions));
        return a;
    }

    @Test
    void countsRegionsOnTheDefectAndWhetherTheTopOneIs() {
        Localisation topOff = Localisation.of(alert(box(10, 10, 8), box(110, 110, 8)), HOLE);
        assertThat(topOff).isEqualTo(new Localisation(1, 1, 0, 2, 1));
        Localisation topOn = Localisation.of(alert(box(105, 95, 8)), HOLE);
        assertThat(topOn).isEqualTo(new Localisation(1, 1, 1, 1, 1));
        Localisation nowhere = Localisation.of(alert(), HOLE);  // a diffuse anomaly: an alert without regions
        assertThat(nowhere).isEqualTo(new Localisation(1, 0, 0, 0, 0));

        Localisation all = topOff.plus(topOn).plus(nowhere);
        assertThat(all.localisedShare()).isEqualTo(2.0 / 3);
        assertThat(all.topOnDefectShare()).isEqualTo(1.0 / 3);
        assertThat(all.regionsOnDefectShare()).isEqualTo(2.0 / 3);
    }

    @Test
    void falseAlarmsAndDefectsOfUnknownPlaceAreLeftOut() {
        FrameTruth good = new FrameTruth("cam-1", "g", 1L, null, 0, 1L, null, null, 0, null, null, null);
        FrameTruth unlabelled = new FrameTruth("cam-1", "u", 1L, null, 0, 1L, "crack", null, 0, null, null, "a.png");
        assertThat(Localisation.of(alert(box(0, 0, 4)), good)).isEqualTo(Localisation.NONE);
        assertThat(Localisation.of(alert(box(0, 0, 4)), unlabelled)).isEqualTo(Localisation.NONE);
        assertThat(Localisation.NONE.localisedShare()).isNaN();
        // outside the card's input range: the whole frame alerts, with no regions by design
        DefectAlert frame = alert();
        frame.setCause(DefectAlert.CAUSE_FRAME);
        assertThat(Localisation.of(frame, HOLE)).isEqualTo(Localisation.NONE);
    }
}
