package io.defectdetector.job.thresholds;

import static org.assertj.core.api.Assertions.assertThat;

import io.defectdetector.job.alerts.AlertIds;
import io.defectdetector.job.alerts.DefectAlert;
import io.defectdetector.job.scoring.DefectRegion;
import io.defectdetector.job.scoring.ScoredFrame;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.util.Base64;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;

/**
 * The alert of a frame over its threshold, as {@link ThresholdsFunction} builds it. Which frames get one (NaN and
 * infinite scores, the threshold itself) is the operator's decision: ThresholdsFunctionTest.
 */
class AlertsTest {
    private static final ThresholdSettings THRESHOLDS = new ThresholdSettings(1.0, 0.5, 2);
    private static final long CAPTURE = 1_764_057_600_000L;

    @Test
    void alertCarriesIdentityTimesThresholdsAndRegionsInBothCoordinateSystems() {
        float[] map = new float[64];
        map[2 * 8 + 3] = 4f;
        map[2 * 8 + 4] = 2f;
        map[6 * 8 + 6] = 9f; // alone: below the minimum area of 2
        DefectAlert a = Alerts.build(scored("f1", map), 3.5f, THRESHOLDS, false, CAPTURE + 250);

        assertThat(a.getAlertId()).isEqualTo(AlertIds.alertId("cam-7", "f1", "cae", "v3"));
        assertThat(a.getCameraId()).isEqualTo("cam-7");
        assertThat(a.getLine()).isEqualTo("line-2");
        assertThat(a.getFrameId()).isEqualTo("f1");
        assertThat(a.getCaptureTimeMs()).isEqualTo(CAPTURE);
        assertThat(a.getDetectionTimeMs()).isEqualTo(CAPTURE + 250);
        assertThat(a.getModelName()).isEqualTo("cae");
        assertThat(a.getModelVersion()).isEqualTo("v3");
        assertThat(a.getScore()).isEqualTo(3.5f);
        assertThat(a.getThreshold()).isEqualTo(1.0f);
        assertThat(a.getPixelThreshold()).isEqualTo(0.5f);
        assertThat(a.getImageWidth()).isEqualTo(64);
        assertThat(a.getImageHeight()).isEqualTo(32);
        assertThat(a.getRegionCount()).isEqualTo(1);
        // Map 8x8 of a 64x32 frame: a map pixel is 8x4 frame pixels.
        assertThat(a.getRegions()).containsExactly(
                new DefectRegion(24, 8, 16, 4, 64, 4f, 3f, 3, 2, 2, 1, 2));
        assertThat(a.getHeatmapPng()).as("no heatmap unless asked for").isNull();
    }

    @Test
    void sameFrameAndModelGiveTheSameAlertIdAcrossRuns() {
        DefectAlert first = Alerts.build(scored("f1", new float[64]), 2f, THRESHOLDS, false, CAPTURE + 1);
        DefectAlert again = Alerts.build(scored("f1", new float[64]), 2.5f, THRESHOLDS, false, 999_999);
        assertThat(again.getAlertId()).isEqualTo(first.getAlertId());
    }

    @Test
    void attachesASmallHeatmapPngWhenEnabled() throws Exception {
        float[] map = new float[128 * 128];
        map[5000] = 3f;
        ScoredFrame f = scored("f1", map);
        f.setMapWidth(128);
        f.setMapHeight(128);
        String png = Alerts.build(f, 2f, THRESHOLDS, true, CAPTURE).getHeatmapPng();
        BufferedImage image = ImageIO.read(new ByteArrayInputStream(Base64.getDecoder().decode(png)));
        assertThat(image.getWidth()).isEqualTo(64);
        assertThat(image.getHeight()).isEqualTo(64);
    }

    @Test
    void listsAtMostMaxRegionsButCountsThemAll() {
        float[] map = new float[100 * 100];
        for (int i = 0; i < 50; i++) {
            int y = (i / 10) * 20;
            int x = (i % 10) * 10;
            map[y * 100 + x] = 1f + i;
            map[y * 100 + x + 1] = 1f + i;
        }
        ScoredFrame f = scored("f1", map);
        f.setMapWidth(100);
        f.setMapHeight(100);
        DefectAlert a = Alerts.build(f, 2f, THRESHOLDS, false, CAPTURE);
        assertThat(a.getRegionCount()).isEqualTo(50);
        assertThat(a.getRegions()).hasSize(Alerts.MAX_REGIONS);
        assertThat(a.getRegions().get(0).maxError()).as("the strongest are listed").isEqualTo(50f);
    }

    /** An 8x8 map of a 64x32 frame. */
    private static ScoredFrame scored(String frameId, float[] map) {
        ScoredFrame f = new ScoredFrame();
        f.setCameraId("cam-7");
        f.setFrameId(frameId);
        f.setLine("line-2");
        f.setCaptureTimeMs(CAPTURE);
        f.setIngestTimeMs(CAPTURE + 5);
        f.setImageWidth(64);
        f.setImageHeight(32);
        f.setModelName("cae");
        f.setModelVersion("v3");
        f.setErrorMap(map);
        f.setMapWidth(8);
        f.setMapHeight(8);
        return f;
    }
}
