package io.defectdetector.job.control;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.defectdetector.job.alerts.AlertJson;
import io.defectdetector.job.alerts.DefectAlert;
import io.defectdetector.job.alerts.ScoreRecord;
import io.defectdetector.job.scoring.ScoredFrame;
import io.defectdetector.job.testing.TestingMetrics;
import io.defectdetector.job.thresholds.ThresholdSettings;
import io.defectdetector.job.thresholds.ThresholdsFunction;
import io.defectdetector.job.thresholds.Verdict;
import java.nio.charset.StandardCharsets;
import java.math.BigDecimal;
import java.util.List;
import java.util.Random;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.Histogram;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.streaming.api.operators.co.CoBroadcastWithNonKeyedOperator;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.AbstractStreamOperatorTestHarness;
import org.apache.flink.streaming.util.BroadcastOperatorTestHarness;
import org.apache.flink.streaming.util.ProcessFunctionTestHarnesses;
import org.junit.jupiter.api.Test;

class ThresholdsFunctionTest {
    private static final ThresholdSettings CARD = new ThresholdSettings(1.0, 1.0, 4);
    /** Reads numbers exactly, as a consumer comparing them in decimal would. */
    private static final ObjectMapper READER = new ObjectMapper()
            .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS);

    private static BroadcastOperatorTestHarness<ScoredFrame, ControlCommand, Verdict>
            harness(String scale) throws Exception {
        return ProcessFunctionTestHarnesses.forBroadcastProcessFunction(
                new ThresholdsFunction(CARD, scale, ControlTesting.MODEL, false), ThresholdsFunction.STATE);
    }

    /** A harness not yet opened, so state can be restored into it first. */
    private static BroadcastOperatorTestHarness<ScoredFrame, ControlCommand, Verdict> unopened(ThresholdsFunction f)
            throws Exception {
        return new BroadcastOperatorTestHarness<>(new CoBroadcastWithNonKeyedOperator<>(f,
                List.of(ThresholdsFunction.STATE)), 1, 1, 0);
    }

    private static List<JsonNode> audit(BroadcastOperatorTestHarness<?, ?, ?> h) {
        return h.getSideOutput(ThresholdsFunction.AUDIT).stream().map(StreamRecord::getValue)
                .map(a -> (JsonNode) ControlJson.read(a.getBody())).toList();
    }

    @Test
    void appliesModelCardThresholdsUntilACommandChangesThem() throws Exception {
        try (var h = harness(ControlTesting.SCALE)) {
            h.processElement(ControlTesting.frame("cam-01", "line-1", "f1", 1.2f, 2f), 1);
            h.processBroadcastElement(ControlTesting.command(
                    "{\"action\":\"set\",\"target\":\"camera:cam-01\",\"by\":\"alice\",\"image_score\":1.5}", 7), 2);
            h.processElement(ControlTesting.frame("cam-01", "line-1", "f2", 1.2f, 2f), 3);
            h.processElement(ControlTesting.frame("cam-02", "line-1", "f3", 1.2f, 2f), 4);

            List<Verdict> verdicts = h.extractOutputValues();
            assertThat(verdicts).extracting(Verdict::getFrameId, Verdict::isOver, Verdict::getThreshold,
                            Verdict::getThresholdSource)
                    .containsExactly(tuple("f1", true, 1.0, "model"), tuple("f2", false, 1.5, "camera:cam-01"),
                            tuple("f3", true, 1.0, "model"));
            assertThat(verdicts.get(1).getCandidate()).as("no alert is built under the threshold").isNull();
            assertThat(verdicts.get(0).getCandidate().getThresholdSource()).isEqualTo("model");
        }
    }

    @Test
    void cutsRegionsWithTheEffectivePixelThresholdAndArea() throws Exception {
        try (var h = harness(ControlTesting.SCALE)) {
            // The 2x2 blob (area 4) at error 1.5: a region at the card's pixel threshold 1.0 ...
            h.processElement(ControlTesting.frame("cam-01", null, "f1", 2f, 1.5f), 1);
            // ... none once the line's pixel threshold is 2.0 (the frame has no line) or the default's is 2.0.
            h.processBroadcastElement(ControlTesting.command(
                    "{\"action\":\"set\",\"target\":\"default\",\"by\":\"a\",\"pixel\":2.0}", 1), 2);
            h.processElement(ControlTesting.frame("cam-01", null, "f2", 2f, 1.5f), 3);
            // ... and none when the minimum area is raised above 4 pixels.
            h.processBroadcastElement(ControlTesting.command(
                    "{\"action\":\"set\",\"target\":\"camera:cam-01\",\"by\":\"a\",\"pixel\":1.0,"
                            + "\"min_region_area\":5}", 2), 4);
            h.processElement(ControlTesting.frame("cam-01", null, "f3", 2f, 1.5f), 5);

            List<Verdict> v = h.extractOutputValues();
            assertThat(v.get(0).getCandidate().getRegions()).hasSize(1);
            assertThat(v.get(0).getCandidate().getRegions().get(0).mapArea()).isEqualTo(4);
            assertThat(v.get(0).getCandidate().getPixelThreshold()).isEqualTo(1.0f);
            assertThat(v.get(1).getCandidate().getRegions()).isEmpty();
            assertThat(v.get(1).getCandidate().getPixelThreshold()).isEqualTo(2.0f);
            assertThat(v.get(2).getCandidate().getRegions()).isEmpty();
        }
    }

    @Test
    void reportsEveryChangeWithOldAndNewValue() throws Exception {
        try (var h = harness(ControlTesting.SCALE)) {
            h.processBroadcastElement(ControlTesting.command(
                    "{\"action\":\"set\",\"target\":\"line:line-1\",\"by\":\"alice\",\"pixel\":1.3,"
                            + "\"request_id\":\"T-1\"}", 1), 1);
            h.processBroadcastElement(ControlTesting.command(
                    "{\"action\":\"set\",\"target\":\"line:line-1\",\"by\":\"bob\",\"pixel\":1.6}", 2), 2);
            h.processBroadcastElement(ControlTesting.command(
                    "{\"action\":\"reset\",\"target\":\"line:line-1\",\"by\":\"carol\"}", 3), 3);

            List<JsonNode> audit = audit(h);
            assertThat(audit).hasSize(3);
            assertThat(audit.get(0).get("by").asText()).isEqualTo("alice");
            assertThat(audit.get(0).get("request_id").asText()).isEqualTo("T-1");
            assertThat(audit.get(0).get("old").isNull()).isTrue();
            assertThat(audit.get(0).get("new").get("pixel").asDouble()).isEqualTo(1.3);
            assertThat(audit.get(1).get("old").get("pixel").asDouble()).isEqualTo(1.3);
            assertThat(audit.get(1).get("new").get("pixel").asDouble()).isEqualTo(1.6);
            assertThat(audit.get(1).get("effective").get("pixel").asDouble()).isEqualTo(1.6);
            assertThat(audit.get(2).get("old").get("updated_by").asText()).isEqualTo("bob");
            assertThat(audit.get(2).get("new").isNull()).isTrue();
            assertThat(audit.get(2).get("effective").get("from").get("pixel").asText()).isEqualTo("model");
            assertThat(audit.get(2).get("requested_at").asText()).isEqualTo("2023-11-14T22:13:20.003Z");
            assertThat(h.getBroadcastState(ThresholdsFunction.STATE).immutableEntries()).isEmpty();
        }
    }

    @Test
    void showReportsStoredAndEffectiveSettingsWithoutChangingThem() throws Exception {
        try (var h = harness(ControlTesting.SCALE)) {
            h.processBroadcastElement(ControlTesting.command(
                    "{\"action\":\"set\",\"target\":\"line:line-1\",\"by\":\"a\",\"image_score\":2.0}", 1), 1);
            h.processBroadcastElement(ControlTesting.command(
                    "{\"action\":\"show\",\"target\":\"camera:cam-01\",\"line\":\"line-1\",\"by\":\"b\"}", 2), 2);
            h.processBroadcastElement(ControlTesting.command(
                    "{\"action\":\"show\",\"target\":\"all\",\"by\":\"b\"}", 3), 3);

            JsonNode camera = audit(h).get(1);
            assertThat(camera.get("stored").isNull()).isTrue();
            assertThat(camera.get("effective").get("image_score").asDouble()).isEqualTo(2.0);
            assertThat(camera.get("effective").get("from").get("image_score").asText()).isEqualTo("line:line-1");
            JsonNode all = audit(h).get(2);
            assertThat(all.get("overrides").get("line:line-1").get("image_score").asDouble()).isEqualTo(2.0);
            assertThat(all.get("model_defaults").get("min_region_area").asInt()).isEqualTo(4);
            assertThat(h.getBroadcastState(ThresholdsFunction.STATE).immutableEntries()).hasSize(1);
        }
    }

    @Test
    void overridesSurviveSnapshotAndRestore() throws Exception {
        OperatorSubtaskState snapshot;
        try (var h = harness(ControlTesting.SCALE)) {
            h.processBroadcastElement(ControlTesting.command(
                    "{\"action\":\"set\",\"target\":\"camera:cam-01\",\"by\":\"a\",\"image_score\":3.0,"
                            + "\"debounce\":{\"k\":2,\"n\":3}}", 1), 1);
            snapshot = h.snapshot(1, 10);
        }
        try (var h = unopened(new ThresholdsFunction(CARD, ControlTesting.SCALE, ControlTesting.MODEL, false))) {
            h.initializeState(snapshot);
            h.open();
            h.processElement(ControlTesting.frame("cam-01", null, "f1", 2.5f, 0f), 2);
            Verdict v = h.extractOutputValues().get(0);
            assertThat(v.isOver()).isFalse();
            assertThat(v.getThreshold()).isEqualTo(3.0);
            assertThat(v.getDebounceK()).isEqualTo(2);
            assertThat(v.getDebounceN()).isEqualTo(3);
        }
    }

    @Test
    void ignoresScoreSettingsTunedForAnotherModelScale() throws Exception {
        OperatorSubtaskState snapshot;
        try (var h = harness("raw:old@1:8x8")) {
            h.processBroadcastElement(ControlTesting.command(
                    "{\"action\":\"set\",\"target\":\"camera:cam-01\",\"by\":\"a\",\"image_score\":50.0}", 1), 1);
            snapshot = h.snapshot(1, 10);
        }
        try (var h = unopened(new ThresholdsFunction(CARD, ControlTesting.SCALE, "cae 2", false))) {
            h.initializeState(snapshot);
            h.open();
            h.processElement(ControlTesting.frame("cam-01", null, "f1", 1.2f, 0f), 2);
            assertThat(h.extractOutputValues().get(0)).as("the new model's card")
                    .extracting(Verdict::getThreshold, Verdict::getThresholdSource).containsExactly(1.0, "model");
            h.processBroadcastElement(ControlTesting.command(
                    "{\"action\":\"show\",\"target\":\"camera:cam-01\",\"by\":\"a\"}", 2), 3);
            JsonNode shown = audit(h).get(0);
            assertThat(shown.get("stored").get("score_settings_active").asBoolean()).isFalse();
            assertThat(shown.get("stored").get("tuned_on").asText()).isEqualTo(ControlTesting.MODEL);
        }
    }

    @Test
    void framesAtOrAboveTheImageThresholdAreOverAndOnlyTheyGetACandidateAlert() throws Exception {
        try (var h = harness(ControlTesting.SCALE)) {
            h.processElement(ControlTesting.frame("cam-01", null, "below", 0.999f, 0f), 1);
            h.processElement(ControlTesting.frame("cam-01", null, "at", 1.0f, 0f), 2);
            h.processElement(ControlTesting.frame("cam-01", null, "above", 7.5f, 0f), 3);

            assertThat(h.extractOutputValues())
                    .extracting(Verdict::getFrameId, Verdict::isOver, v -> v.getCandidate() != null)
                    .containsExactly(tuple("below", false, false), tuple("at", true, true),
                            tuple("above", true, true));
        }
    }

    @Test
    void theScoreAndThresholdAnAlertShowsAreThePairItWasDecidedOn() throws Exception {
        try (var h = harness(ControlTesting.SCALE)) {
            // 0.7 as a double is above the float score written "0.7"; a 9-digit threshold falls between the
            // exact value of the float 1.0000001 and its written digits.
            h.processBroadcastElement(ControlTesting.command(
                    "{\"action\":\"set\",\"target\":\"camera:a\",\"by\":\"x\",\"image_score\":0.7}", 1), 1);
            h.processBroadcastElement(ControlTesting.command(
                    "{\"action\":\"set\",\"target\":\"camera:b\",\"by\":\"x\",\"image_score\":1.00000011}", 2),
                    2);
            h.processElement(ControlTesting.frame("a", null, "at", 0.7f, 0f), 3);
            h.processElement(ControlTesting.frame("b", null, "at", Math.nextUp(1.0f), 0f), 4);
            h.processElement(ControlTesting.frame("b", null, "below", 1.0f, 0f), 5);

            List<Verdict> v = h.extractOutputValues();
            assertThat(v).extracting(Verdict::isOver).containsExactly(true, true, false);
            for (Verdict verdict : v.subList(0, 2)) {
                JsonNode json = READER.readTree(AlertJson.toBytes(verdict.getCandidate()));
                assertThat(json.get("score").decimalValue()).as(verdict.getCameraId())
                        .isGreaterThanOrEqualTo(json.get("threshold").decimalValue());
            }
            assertThat(READER.readTree(AlertJson.toBytes(v.get(0).getCandidate())).get("threshold")
                    .asText()).isEqualTo("0.7");
        }
    }

    @Test
    void overOrNotAgreesWithTheWrittenScoreAndThresholdForAnyThreshold() throws Exception {
        Random random = new Random(7);
        try (var h = harness(ControlTesting.SCALE)) {
            for (int i = 0; i < 2000; i++) {
                float score = 0.5f + random.nextFloat();
                // Thresholds within a few float steps of the score, with up to 17 digits.
                double threshold = score + (random.nextInt(7) - 3) * (double) Math.ulp(score)
                        + random.nextGaussian() * Math.ulp(score);
                h.processBroadcastElement(ControlTesting.command("{\"action\":\"set\",\"target\":\"camera:c\","
                        + "\"by\":\"x\",\"image_score\":" + threshold + "}", i), 2L * i);
                h.processElement(ControlTesting.frame("c", null, "f" + i, score, 0f), 2L * i + 1);
            }
            for (Verdict v : h.extractOutputValues()) {
                // What a consumer reads: the numbers as a score record writes them (DebounceFunction's copy).
                ScoreRecord r = new ScoreRecord();
                r.setScore(v.getScore());
                r.setThreshold((float) v.getThreshold());
                assertThat((double) r.getThreshold()).isEqualTo(v.getThreshold());
                JsonNode json = READER.readTree(AlertJson.toBytes(r));
                BigDecimal score = json.get("score").decimalValue();
                BigDecimal threshold = json.get("threshold").decimalValue();
                assertThat(v.isOver()).as(v.getFrameId() + ": " + score + " vs " + threshold)
                        .isEqualTo(score.compareTo(threshold) >= 0);
            }
        }
    }

    @Test
    void aFrameOutsideTheInputRangeAlertsWithCauseFrameWhateverItsScore() throws Exception {
        ScoredFrame flat = ControlTesting.frame("cam-01", null, "flat", 0.1f, 2f);  // a blob that would be a region
        flat.setInputOutOfRange(true);
        flat.setInputLevel(1.0);
        flat.setInputSpread(Math.log(1e-6));
        ScoredFrame measuredInRange = ControlTesting.frame("cam-01", null, "in-range", 0.1f, 0f);
        measuredInRange.setInputLevel(0.5);
        measuredInRange.setInputSpread(-3.0);
        try (var h = ProcessFunctionTestHarnesses.forBroadcastProcessFunction(new ThresholdsFunction(CARD,
                ControlTesting.SCALE, ControlTesting.MODEL, true), ThresholdsFunction.STATE)) {
            h.processElement(flat, 1);
            h.processElement(measuredInRange, 2);
            h.processElement(ControlTesting.frame("cam-01", null, "defect", 2f, 2f), 3);

            List<Verdict> verdicts = h.extractOutputValues();
            assertThat(verdicts).extracting(Verdict::getFrameId, Verdict::isOver, Verdict::getCause)
                    .containsExactly(tuple("flat", true, "frame"), tuple("in-range", false, null),
                            tuple("defect", true, null));
            DefectAlert frameAlert = verdicts.get(0).getCandidate();
            assertThat(frameAlert.getCause()).isEqualTo(DefectAlert.CAUSE_FRAME);
            assertThat(frameAlert.getScore()).as("the model's own score is kept").isEqualTo(0.1f);
            assertThat(frameAlert.getInputLevel()).isEqualTo(1.0);
            assertThat(frameAlert.getInputSpread()).isEqualTo(Math.log(1e-6));
            assertThat(frameAlert.getRegions()).as("the map of an unknown scene localises nothing").isEmpty();
            assertThat(frameAlert.getHeatmapPng()).isNull();
            DefectAlert defect = verdicts.get(2).getCandidate();
            assertThat(defect.getCause()).as("defect alerts stay as they were").isNull();
            assertThat(defect.getInputLevel()).as("the input is reported only for frame faults").isNull();
            assertThat(defect.getRegions()).hasSize(1);
            assertThat(defect.getHeatmapPng()).isNotNull();
        }
    }

    @Test
    void scoreOverThresholdWithNoRegionLargeEnoughStillAlerts() throws Exception {
        ScoredFrame f = ControlTesting.frame("cam-01", null, "f1", 1.2f, 0f);
        float[] map = new float[64];
        map[10] = 1.5f; // one pixel over the pixel threshold; the card's minimum area is 4
        f.setErrorMap(map);
        try (var h = harness(ControlTesting.SCALE)) {
            h.processElement(f, 1);
            Verdict v = h.extractOutputValues().get(0);
            assertThat(v.isOver()).as("the image score decides; regions only localise").isTrue();
            assertThat(v.getCandidate().getRegions()).isEmpty();
            assertThat(v.getCandidate().getRegionCount()).isZero();
        }
    }

    @Test
    void attachesTheHeatmapOnlyWhenEnabled() throws Exception {
        try (var with = ProcessFunctionTestHarnesses.forBroadcastProcessFunction(
                new ThresholdsFunction(CARD, ControlTesting.SCALE, ControlTesting.MODEL, true),
                ThresholdsFunction.STATE);
                var without = harness(ControlTesting.SCALE)) {
            with.processElement(ControlTesting.frame("cam-01", null, "f1", 2f, 1.5f), 1);
            without.processElement(ControlTesting.frame("cam-01", null, "f1", 2f, 1.5f), 1);
            assertThat(with.extractOutputValues().get(0).getCandidate().getHeatmapPng()).isNotEmpty();
            assertThat(without.extractOutputValues().get(0).getCandidate().getHeatmapPng()).isNull();
        }
    }

    @Test
    void infiniteScoresAreOverWithFiniteNumbersSoTheAlertJsonStaysValid() throws Exception {
        try (var h = harness(ControlTesting.SCALE)) {
            h.processElement(ControlTesting.frame("cam-01", null, "inf", Float.POSITIVE_INFINITY,
                    Float.POSITIVE_INFINITY), 1);
            Verdict v = h.extractOutputValues().get(0);
            assertThat(v.isOver()).isTrue();
            assertThat(v.getScore()).isEqualTo(Float.MAX_VALUE);
            DefectAlert a = v.getCandidate();
            assertThat(a.getScore()).isEqualTo(Float.MAX_VALUE);
            assertThat(a.getRegions()).singleElement().satisfies(r -> {
                assertThat(r.maxError()).isEqualTo(Float.MAX_VALUE);
                assertThat(r.meanError()).isEqualTo(Float.MAX_VALUE);
            });
            assertThat(new String(AlertJson.toBytes(a), StandardCharsets.UTF_8)).doesNotContain("Infinity");
        }
    }

    @Test
    void nanScoresGiveNoVerdictAndAreCounted() throws Exception {
        TestingMetrics metrics = new TestingMetrics();
        var op = operator();
        try (var h = metered(op, metrics)) {
            op.processElement1(new StreamRecord<>(ControlTesting.frame("cam-01", null, "f1", Float.NaN, 0f), 1));
            assertThat(h.extractOutputValues()).isEmpty();
            assertThat(metrics.<Counter>get("nonFiniteScores").getCount()).isEqualTo(1);
        }
    }

    @Test
    void infiniteScoresAreDecidedAndCountedAsNonFinite() throws Exception {
        TestingMetrics metrics = new TestingMetrics();
        var op = operator();
        try (var h = metered(op, metrics)) {
            op.processElement1(new StreamRecord<>(ControlTesting.frame("cam-01", null, "f1",
                    Float.POSITIVE_INFINITY, 0f), 1));
            assertThat(h.extractOutputValues()).singleElement()
                    .satisfies(v -> assertThat(v.getScore()).isEqualTo(Float.MAX_VALUE));
            assertThat(metrics.<Counter>get("nonFiniteScores").getCount()).isEqualTo(1);
        }
    }

    @Test
    void countsDecidedFramesAndRecordsTheirScores() throws Exception {
        TestingMetrics metrics = new TestingMetrics();
        var op = operator();
        try (var h = metered(op, metrics)) {
            op.processElement1(new StreamRecord<>(ControlTesting.frame("cam-01", null, "a", 0.5f, 0f), 1));
            op.processElement1(new StreamRecord<>(ControlTesting.frame("cam-01", null, "b", 2.25f, 0f), 2));
            assertThat(h.extractOutputValues()).hasSize(2);
            assertThat(metrics.<Counter>get("framesDecided").getCount()).isEqualTo(2);
            Histogram scores = metrics.get("scoreMilli");
            assertThat(scores.getStatistics().getMin()).isEqualTo(500);
            assertThat(scores.getStatistics().getMax()).isEqualTo(2250);
        }
    }

    private static CoBroadcastWithNonKeyedOperator<ScoredFrame, ControlCommand, Verdict> operator() {
        return new CoBroadcastWithNonKeyedOperator<>(
                new ThresholdsFunction(CARD, ControlTesting.SCALE, ControlTesting.MODEL, false),
                List.of(ThresholdsFunction.STATE));
    }

    /**
     * An opened harness whose environment reports the operator's metrics. The broadcast harness cannot take an
     * environment, so the test feeds the operator directly: {@code processElement1} is the frames input.
     */
    private static AbstractStreamOperatorTestHarness<Verdict> metered(
            CoBroadcastWithNonKeyedOperator<ScoredFrame, ControlCommand, Verdict> op, TestingMetrics metrics)
            throws Exception {
        var h = new AbstractStreamOperatorTestHarness<>(op, metrics.environment());
        h.open();
        return h;
    }
}
