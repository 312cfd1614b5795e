package io.defectdetector.job.control;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import io.defectdetector.job.alerts.DefectAlert;
import io.defectdetector.job.alerts.ScoreRecord;
import io.defectdetector.job.thresholds.DebounceFunction;
import io.defectdetector.job.thresholds.Verdict;
import io.defectdetector.job.testing.TestingMetrics;
import java.time.Duration;
import java.util.List;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.Histogram;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.streaming.api.operators.KeyedProcessOperator;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.Test;

class DebounceFunctionTest {
    private static final long CAPTURE = 1_764_057_600_000L;

    private static KeyedOneInputStreamOperatorTestHarness<String, Verdict, DefectAlert> harness() throws Exception {
        return new KeyedOneInputStreamOperatorTestHarness<>(new KeyedProcessOperator<>(new DebounceFunction(true, Duration.ZERO)),
                Verdict::getCameraId, Types.STRING);
    }

    private static Verdict verdict(String camera, String frameId, boolean over, int k, int n) {
        Verdict v = new Verdict();
        v.setCameraId(camera);
        v.setFrameId(frameId);
        v.setScore(over ? 2f : 0.5f);
        v.setThreshold(1.0);
        v.setOver(over);
        v.setDebounceK(k);
        v.setDebounceN(n);
        if (over) {
            DefectAlert a = new DefectAlert();
            a.setCameraId(camera);
            a.setFrameId(frameId);
            v.setCandidate(a);
        }
        return v;
    }

    private static List<String> alertedFrames(KeyedOneInputStreamOperatorTestHarness<String, Verdict, DefectAlert> h) {
        return h.extractOutputValues().stream().map(DefectAlert::getFrameId).toList();
    }

    @Test
    void withoutDebounceEveryFrameOverTheThresholdAlerts() throws Exception {
        try (var h = harness()) {
            h.open();
            h.processElement(verdict("c1", "f1", true, 1, 1), 1);
            h.processElement(verdict("c1", "f2", false, 1, 1), 2);
            h.processElement(verdict("c1", "f3", true, 1, 1), 3);
            assertThat(alertedFrames(h)).containsExactly("f1", "f3");
            assertThat(h.numKeyedStateEntries()).as("no history kept without debounce").isZero();
        }
    }

    @Test
    void alertsOnlyWhenKOfTheLastNFramesAreOver() throws Exception {
        try (var h = harness()) {
            h.open();
            // 2 of 3: a lone noisy frame is held back; the second within three frames alerts.
            h.processElement(verdict("c1", "f1", true, 2, 3), 1);
            h.processElement(verdict("c1", "f2", false, 2, 3), 2);
            h.processElement(verdict("c1", "f3", false, 2, 3), 3);
            h.processElement(verdict("c1", "f4", true, 2, 3), 4); // f1 has left the window of 3
            h.processElement(verdict("c1", "f5", false, 2, 3), 5);
            h.processElement(verdict("c1", "f6", true, 2, 3), 6); // f4, f6 within the last 3
            h.processElement(verdict("c1", "f7", true, 2, 3), 7);
            assertThat(alertedFrames(h)).containsExactly("f6", "f7");

            List<ScoreRecord> scores = h.getSideOutput(DebounceFunction.SCORES).stream().map(StreamRecord::getValue)
                    .toList();
            assertThat(scores).extracting(ScoreRecord::isAlert)
                    .containsExactly(false, false, false, false, false, true, true);
        }
    }

    @Test
    void keepsOneHistoryPerCamera() throws Exception {
        try (var h = harness()) {
            h.open();
            h.processElement(verdict("c1", "a1", true, 2, 2), 1);
            h.processElement(verdict("c2", "b1", true, 2, 2), 2);
            h.processElement(verdict("c2", "b2", true, 2, 2), 3);
            h.processElement(verdict("c1", "a2", false, 2, 2), 4);
            assertThat(alertedFrames(h)).containsExactly("b2");
        }
    }

    @Test
    void aCameraOutOfInputRangeAlertsOnceAndThenAtMostOncePerIntervalOfCaptureTime() throws Exception {
        TestingMetrics metrics = new TestingMetrics();
        try (var h = new KeyedOneInputStreamOperatorTestHarness<>(new KeyedProcessOperator<>(
                new DebounceFunction(true, Duration.ofMinutes(1))), Verdict::getCameraId, Types.STRING,
                metrics.environment())) {
            h.open();
            h.processElement(fault("c1", "f1", 0), 1);
            h.processElement(fault("c2", "g1", 5_000), 2);     // another camera: its own first alert
            h.processElement(fault("c1", "f2", 10_000), 3);    // held back
            h.processElement(fault("c1", "f3", 60_000), 4);    // a minute after f1
            h.processElement(fault("c1", "f4", 90_000), 5);    // held back
            h.processElement(atCapture(verdict("c1", "f5", false, 1, 1), 91_000), 6);  // back in range
            h.processElement(fault("c1", "f6", 92_000), 7);    // a new episode, but within the minute of f3
            h.processElement(fault("c1", "f7", 120_000), 8);   // a minute after f3

            assertThat(alertedFrames(h)).containsExactly("f1", "g1", "f3", "f7");
            List<ScoreRecord> scores = h.getSideOutput(DebounceFunction.SCORES).stream().map(StreamRecord::getValue)
                    .toList();
            assertThat(scores).extracting(ScoreRecord::getFrameId, ScoreRecord::isAlert, ScoreRecord::getCause)
                    .containsExactly(tuple("f1", true, "frame"), tuple("g1", true, "frame"),
                            tuple("f2", false, "frame"), tuple("f3", true, "frame"), tuple("f4", false, "frame"),
                            tuple("f5", false, null), tuple("f6", false, "frame"), tuple("f7", true, "frame"));
            assertThat(metrics.<Counter>get("frameFaultAlertsHeldBack").getCount()).isEqualTo(3);
            assertThat(scores.get(2).getInputLevel()).as("held back, the record still says how").isEqualTo(1.0);
            assertThat(scores.get(5).getInputLevel()).as("in range: no statistics").isNull();
            assertThat(metrics.<Counter>get("alertsDebounced").getCount()).as("defects only").isZero();
        }
    }

    @Test
    void aCameraFlickeringAcrossTheRangesEdgeIsLimitedLikeOneThatStaysOut() throws Exception {
        try (var h = new KeyedOneInputStreamOperatorTestHarness<>(new KeyedProcessOperator<>(
                new DebounceFunction(false, Duration.ofMinutes(1))), Verdict::getCameraId, Types.STRING)) {
            h.open();
            for (int i = 0; i < 100; i++) {  // 10 frames/s for 10 s, every other one out of range
                long at = 100L * i;
                h.processElement(i % 2 == 0 ? fault("c1", "f" + i, at)
                        : atCapture(verdict("c1", "f" + i, false, 1, 1), at), i);
            }
            assertThat(alertedFrames(h)).containsExactly("f0");
        }
    }

    @Test
    void frameFaultsCountAsFramesNotOverInTheDefectDebounce() throws Exception {
        try (var h = harness()) {
            h.open();
            // 2 of 3: a blank frame, then one frame over the threshold, is one defect frame, not two.
            Verdict blank = fault("c1", "blank", 0);
            blank.setDebounceK(2);
            blank.setDebounceN(3);
            h.processElement(blank, 1);
            h.processElement(verdict("c1", "d1", true, 2, 3), 2);
            assertThat(alertedFrames(h)).as("the fault alerts (interval 0), the lone defect frame does not")
                    .containsExactly("blank");
            h.processElement(verdict("c1", "d2", true, 2, 3), 3);
            assertThat(alertedFrames(h)).containsExactly("blank", "d2");
            // 2 of 2: defect, fault, defect: the fault between them is a frame not over.
            h.processElement(verdict("c1", "d3", true, 2, 2), 4);
            Verdict between = fault("c1", "blank-2", 1_000);
            between.setDebounceK(2);
            between.setDebounceN(2);
            h.processElement(between, 5);
            h.processElement(verdict("c1", "d4", true, 2, 2), 6);
            assertThat(alertedFrames(h)).containsExactly("blank", "d2", "d3", "blank-2");
        }
    }

    @Test
    void theFrameFaultStateSurvivesSnapshotAndRestore() throws Exception {
        OperatorSubtaskState snapshot;
        DebounceFunction f = new DebounceFunction(false, Duration.ofMinutes(1));
        try (var h = new KeyedOneInputStreamOperatorTestHarness<>(new KeyedProcessOperator<>(f),
                Verdict::getCameraId, Types.STRING)) {
            h.open();
            h.processElement(fault("c1", "f1", 0), 1);
            snapshot = h.snapshot(1, 10);
        }
        try (var h = new KeyedOneInputStreamOperatorTestHarness<>(new KeyedProcessOperator<>(
                new DebounceFunction(false, Duration.ofMinutes(1))), Verdict::getCameraId, Types.STRING)) {
            h.initializeState(snapshot);
            h.open();
            h.processElement(fault("c1", "f2", 30_000), 2);
            h.processElement(fault("c1", "f3", 60_000), 3);
            assertThat(alertedFrames(h)).as("f2 is within the interval of f1, before the checkpoint")
                    .containsExactly("f3");
        }
    }

    /** A frame outside the input range (cause frame), captured {@code offsetMs} after CAPTURE. */
    private static Verdict fault(String camera, String frameId, long offsetMs) {
        Verdict v = atCapture(verdict(camera, frameId, true, 1, 1), offsetMs);
        v.setCause(DefectAlert.CAUSE_FRAME);
        v.getCandidate().setCause(DefectAlert.CAUSE_FRAME);
        v.getCandidate().setInputLevel(1.0);
        v.getCandidate().setInputSpread(Math.log(1e-6));
        return v;
    }

    private static Verdict atCapture(Verdict v, long offsetMs) {
        v.setCaptureTimeMs(CAPTURE + offsetMs);
        return v;
    }

    @Test
    void historySurvivesSnapshotAndRestore() throws Exception {
        OperatorSubtaskState snapshot;
        try (var h = harness()) {
            h.open();
            h.processElement(verdict("c1", "f1", true, 2, 3), 1);
            snapshot = h.snapshot(1, 10);
        }
        try (var h = harness()) {
            h.initializeState(snapshot);
            h.open();
            h.processElement(verdict("c1", "f2", true, 2, 3), 2);
            assertThat(alertedFrames(h)).containsExactly("f2");
        }
    }

    @Test
    void emitsOneScoreRecordPerFrameOnlyWhenEnabled() throws Exception {
        Verdict ok = scored("ok", 0.2f, false);
        Verdict bad = scored("bad", 1.5f, true);
        try (var h = harness()) {
            h.open();
            h.setProcessingTime(CAPTURE + 40);
            h.processElement(ok, 1);
            h.processElement(bad, 2);
            List<ScoreRecord> scores = h.getSideOutput(DebounceFunction.SCORES).stream()
                    .map(StreamRecord::getValue).toList();
            assertThat(scores).extracting(ScoreRecord::getFrameId).containsExactly("ok", "bad");
            assertThat(scores).extracting(ScoreRecord::isAlert).containsExactly(false, true);
            ScoreRecord r = scores.get(0);
            assertThat(r.getScore()).isEqualTo(0.2f);
            assertThat(r.getThreshold()).isEqualTo(1.0f);
            assertThat(r.getThresholdSource()).isEqualTo("line:line-2");
            assertThat(r.getCameraId()).isEqualTo("cam-7");
            assertThat(r.getLine()).isEqualTo("line-2");
            assertThat(r.getCaptureTimeMs()).isEqualTo(CAPTURE);
            assertThat(r.getDetectionTimeMs()).isEqualTo(CAPTURE + 40);
            assertThat(r.getModelName()).isEqualTo("cae");
            assertThat(r.getModelVersion()).isEqualTo("v3");
        }
        try (var h = new KeyedOneInputStreamOperatorTestHarness<>(
                new KeyedProcessOperator<>(new DebounceFunction(false, Duration.ZERO)), Verdict::getCameraId, Types.STRING)) {
            h.open();
            h.processElement(bad, 1);
            assertThat(h.extractOutputValues()).hasSize(1);
            assertThat(h.getSideOutput(DebounceFunction.SCORES)).isNull();
        }
    }

    @Test
    void countsAlertsAndRecordsTheLatencyOfEveryFrame() throws Exception {
        TestingMetrics metrics = new TestingMetrics();
        try (var h = new KeyedOneInputStreamOperatorTestHarness<>(
                new KeyedProcessOperator<>(new DebounceFunction(false, Duration.ZERO)), Verdict::getCameraId, Types.STRING,
                metrics.environment())) {
            h.open();
            h.setProcessingTime(CAPTURE + 120);
            h.processElement(scored("a", 0.5f, false), 1);
            h.processElement(scored("b", 2.25f, true), 2);
            assertThat(metrics.<Counter>get("alertsOut").getCount()).isEqualTo(1);
            Histogram latency = metrics.get("endToEndLatencyMs");
            assertThat(latency.getCount()).isEqualTo(2);
            assertThat(latency.getStatistics().getMax()).isEqualTo(120);

            // A camera whose clock is not set (0, or the 2000-01-01 a clock without battery resets to): counted,
            // kept out of the latency figures; a backlog of 29 days is latency
            Verdict unset = scored("c", 0.5f, false);
            unset.setCaptureTimeMs(0);
            Verdict reset = scored("d", 2.25f, true);
            reset.setCaptureTimeMs(946_684_800_000L);
            Verdict backlog = scored("e", 0.5f, false);
            backlog.setCaptureTimeMs(CAPTURE + 120 - Duration.ofDays(29).toMillis());
            h.processElement(unset, 3);
            h.processElement(reset, 4);
            h.processElement(backlog, 5);
            assertThat(metrics.<Counter>get("alertsOut").getCount()).as("it still alerts").isEqualTo(2);
            assertThat(latency.getCount()).isEqualTo(3);
            assertThat(latency.getStatistics().getMax()).isEqualTo(Duration.ofDays(29).toMillis());
            assertThat(metrics.<Counter>get("captureTimesOver30DaysOld").getCount()).isEqualTo(2);
        }
    }

    /** A verdict without debounce (1 of 1), with the identity fields a score record copies. */
    private static Verdict scored(String frameId, float score, boolean over) {
        Verdict v = verdict("cam-7", frameId, over, 1, 1);
        v.setLine("line-2");
        v.setCaptureTimeMs(CAPTURE);
        v.setScore(score);
        v.setModelName("cae");
        v.setModelVersion("v3");
        v.setThresholdSource("line:line-2");
        return v;
    }
}
