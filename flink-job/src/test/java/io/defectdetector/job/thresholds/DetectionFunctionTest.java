package io.defectdetector.job.thresholds;

import static org.assertj.core.api.Assertions.assertThat;

import io.defectdetector.job.alerts.AlertIds;
import io.defectdetector.job.alerts.AlertJson;
import io.defectdetector.job.alerts.DefectAlert;
import io.defectdetector.job.alerts.ScoreRecord;
import io.defectdetector.job.scoring.DefectRegion;
import io.defectdetector.job.scoring.ScoredFrame;
import io.defectdetector.job.testing.TestingMetrics;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.util.Base64;
import java.util.List;
import javax.imageio.ImageIO;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.Histogram;
import org.apache.flink.streaming.api.operators.ProcessOperator;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.OneInputStreamOperatorTestHarness;
import org.apache.flink.streaming.util.ProcessFunctionTestHarnesses;
import org.junit.jupiter.api.Test;

class DetectionFunctionTest {
    private static final ThresholdSettings THRESHOLDS = new ThresholdSettings(1.0, 0.5, 2);
    private static final long CAPTURE = 1_764_057_600_000L;

    @Test
    void alertsWhenTheScoreReachesTheThreshold() throws Exception {
        try (var h = harness(new DetectionFunction(THRESHOLDS, false, false))) {
            h.processElement(scored("below", 0.999f, new float[64]), 1);
            h.processElement(scored("at", 1.0f, new float[64]), 2);
            h.processElement(scored("above", 7.5f, new float[64]), 3);
            assertThat(h.extractOutputValues()).extracting(DefectAlert::getFrameId).containsExactly("at", "above");
            assertThat(h.getSideOutput(DetectionFunction.SCORES)).isNull();
        }
    }

    @Test
    void alertCarriesIdentityTimesThresholdsAndRegionsInBothCoordinateSystems() throws Exception {
        float[] map = new float[64];
        map[2 * 8 + 3] = 4f;
        map[2 * 8 + 4] = 2f;
        map[6 * 8 + 6] = 9f; // alone: below the minimum area of 2
        try (var h = harness(new DetectionFunction(THRESHOLDS, false, false))) {
            h.setProcessingTime(CAPTURE + 250);
            h.processElement(scored("f1", 3.5f, map), 1);
            DefectAlert a = h.extractOutputValues().get(0);
            assertThat(a.getAlertId()).isEqualTo(AlertIds.alertId("cam-7", "f1", "cae", "v3"));
            assertThat(a.getCameraId()).isEqualTo("cam-7");
            assertThat(a.getLine()).isEqualTo("line-2");
            assertThat(a.getCaptureTimeMs()).isEqualTo(CAPTURE);
            assertThat(a.getDetectionTimeMs()).isEqualTo(CAPTURE + 250);
            assertThat(a.getModelName()).isEqualTo("cae");
            assertThat(a.getModelVersion()).isEqualTo("v3");
            assertThat(a.getScore()).isEqualTo(3.5f);
            assertThat(a.getThreshold()).isEqualTo(1.0);
            assertThat(a.getPixelThreshold()).isEqualTo(0.5);
            assertThat(a.getImageWidth()).isEqualTo(64);
            assertThat(a.getImageHeight()).isEqualTo(32);
            assertThat(a.getRegionCount()).isEqualTo(1);
            // Map 8x8 of a 64x32 frame: a map pixel is 8x4 frame pixels.
            assertThat(a.getRegions()).containsExactly(
                    new DefectRegion(24, 8, 16, 4, 64, 4f, 3f, 3, 2, 2, 1, 2));
            assertThat(a.getHeatmapPng()).isNull();
        }
    }

    @Test
    void scoreOverThresholdWithNoRegionLargeEnoughStillAlerts() throws Exception {
        float[] map = new float[64];
        map[10] = 0.9f; // one pixel, minimum area 2
        try (var h = harness(new DetectionFunction(THRESHOLDS, false, false))) {
            h.processElement(scored("f1", 1.2f, map), 1);
            DefectAlert a = h.extractOutputValues().get(0);
            assertThat(a.getRegions()).isEmpty();
            assertThat(a.getRegionCount()).isZero();
        }
    }

    @Test
    void sameFrameAndModelGiveTheSameAlertIdAcrossRuns() throws Exception {
        String first;
        try (var h = harness(new DetectionFunction(THRESHOLDS, false, false))) {
            h.processElement(scored("f1", 2f, new float[64]), 1);
            first = h.extractOutputValues().get(0).getAlertId();
        }
        try (var h = harness(new DetectionFunction(THRESHOLDS, false, false))) {
            h.setProcessingTime(999_999);
            h.processElement(scored("f1", 2.5f, new float[64]), 1);
            assertThat(h.extractOutputValues().get(0).getAlertId()).isEqualTo(first);
        }
    }

    @Test
    void emitsOneScoreRecordPerFrameWhenEnabled() throws Exception {
        try (var h = harness(new DetectionFunction(THRESHOLDS, true, false))) {
            h.setProcessingTime(CAPTURE + 40);
            h.processElement(scored("ok", 0.2f, new float[64]), 1);
            h.processElement(scored("bad", 1.5f, new float[64]), 2);
            List<ScoreRecord> scores = h.getSideOutput(DetectionFunction.SCORES).stream()
                    .map(StreamRecord::getValue).toList();
            assertThat(scores).extracting(ScoreRecord::getFrameId).containsExactly("ok", "bad");
            assertThat(scores).extracting(ScoreRecord::isAlert).containsExactly(false, true);
            ScoreRecord ok = scores.get(0);
            assertThat(ok.getScore()).isEqualTo(0.2f);
            assertThat(ok.getThreshold()).isEqualTo(1.0);
            assertThat(ok.getCameraId()).isEqualTo("cam-7");
            assertThat(ok.getLine()).isEqualTo("line-2");
            assertThat(ok.getCaptureTimeMs()).isEqualTo(CAPTURE);
            assertThat(ok.getDetectionTimeMs()).isEqualTo(CAPTURE + 40);
            assertThat(ok.getModelVersion()).isEqualTo("v3");
        }
    }

    @Test
    void attachesASmallHeatmapPngWhenEnabled() throws Exception {
        float[] map = new float[128 * 128];
        map[5000] = 3f;
        try (var h = harness(new DetectionFunction(THRESHOLDS, false, true))) {
            ScoredFrame f = scored("f1", 2f, map);
            f.setMapWidth(128);
            f.setMapHeight(128);
            h.processElement(f, 1);
            String png = h.extractOutputValues().get(0).getHeatmapPng();
            BufferedImage image = ImageIO.read(new ByteArrayInputStream(Base64.getDecoder().decode(png)));
            assertThat(image.getWidth()).isEqualTo(64);
            assertThat(image.getHeight()).isEqualTo(64);
        }
    }

    @Test
    void listsAtMostMaxRegionsButCountsThemAll() throws Exception {
        float[] map = new float[100 * 100];
        for (int i = 0; i < 50; i++) {
            int y = (i / 10) * 20;
            int x = (i % 10) * 10;
            map[y * 100 + x] = 1f + i;
            map[y * 100 + x + 1] = 1f + i;
        }
        try (var h = harness(new DetectionFunction(THRESHOLDS, false, false))) {
            ScoredFrame f = scored("f1", 2f, map);
            f.setMapWidth(100);
            f.setMapHeight(100);
            h.processElement(f, 1);
            DefectAlert a = h.extractOutputValues().get(0);
            assertThat(a.getRegionCount()).isEqualTo(50);
            assertThat(a.getRegions()).hasSize(DetectionFunction.MAX_REGIONS);
            assertThat(a.getRegions().get(0).maxError()).isEqualTo(50f);
        }
    }

    @Test
    void nanScoresRaiseNothingAndAreCounted() throws Exception {
        TestingMetrics metrics = new TestingMetrics();
        try (var h = harness(new DetectionFunction(THRESHOLDS, true, false), metrics)) {
            h.processElement(scored("nan", Float.NaN, new float[64]), 1);
            assertThat(h.extractOutputValues()).isEmpty();
            assertThat(h.getSideOutput(DetectionFunction.SCORES)).isNull();
            assertThat(metrics.<Counter>get("nonFiniteScores").getCount()).isEqualTo(1);
        }
    }

    @Test
    void infiniteScoresAlertWithFiniteNumbersSoTheJsonStaysValid() throws Exception {
        float[] map = new float[64];
        map[0] = Float.POSITIVE_INFINITY;
        map[1] = Float.POSITIVE_INFINITY;
        try (var h = harness(new DetectionFunction(THRESHOLDS, false, false))) {
            h.processElement(scored("inf", Float.POSITIVE_INFINITY, map), 1);
            DefectAlert a = h.extractOutputValues().get(0);
            assertThat(a.getScore()).isEqualTo(Float.MAX_VALUE);
            assertThat(a.getRegions().get(0).maxError()).isEqualTo(Float.MAX_VALUE);
            assertThat(new String(AlertJson.toBytes(a))).doesNotContain("Infinity");
        }
    }

    @Test
    void countsAlertsAndRecordsScoresAndLatency() throws Exception {
        TestingMetrics metrics = new TestingMetrics();
        try (var h = harness(new DetectionFunction(THRESHOLDS, false, false), metrics)) {
            h.setProcessingTime(CAPTURE + 120);
            h.processElement(scored("a", 0.5f, new float[64]), 1);
            h.processElement(scored("b", 2.25f, new float[64]), 2);
            assertThat(metrics.<Counter>get("alertsOut").getCount()).isEqualTo(1);
            assertThat(metrics.<Counter>get("framesDecided").getCount()).isEqualTo(2);
            Histogram scores = metrics.get("scoreMilli");
            assertThat(scores.getStatistics().getMin()).isEqualTo(500);
            assertThat(scores.getStatistics().getMax()).isEqualTo(2250);
            Histogram latency = metrics.get("endToEndLatencyMs");
            assertThat(latency.getCount()).isEqualTo(2);
            assertThat(latency.getStatistics().getMax()).isEqualTo(120);
        }
    }

    @Test
    void thresholdLookupIsOneOverridableMethod() throws Exception {
        DetectionFunction perCamera = new DetectionFunction(THRESHOLDS, false, false) {
            @Override
            protected ThresholdSettings thresholdsFor(ScoredFrame frame) {
                return frame.getCameraId().equals("cam-7") ? new ThresholdSettings(5.0, 0.5, 1) : THRESHOLDS;
            }
        };
        try (var h = harness(perCamera)) {
            h.processElement(scored("f1", 3f, new float[64]), 1);
            assertThat(h.extractOutputValues()).isEmpty();
        }
    }

    private static OneInputStreamOperatorTestHarness<ScoredFrame, DefectAlert> harness(DetectionFunction fn)
            throws Exception {
        return ProcessFunctionTestHarnesses.forProcessFunction(fn);
    }

    private static OneInputStreamOperatorTestHarness<ScoredFrame, DefectAlert> harness(DetectionFunction fn,
            TestingMetrics metrics) throws Exception {
        var h = new OneInputStreamOperatorTestHarness<>(new ProcessOperator<>(fn), metrics.environment());
        h.open();
        return h;
    }

    /** An 8x8 map of a 64x32 frame. */
    static ScoredFrame scored(String frameId, float score, float[] map) {
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
        f.setScore(score);
        f.setErrorMap(map);
        f.setMapWidth(8);
        f.setMapHeight(8);
        return f;
    }
}
