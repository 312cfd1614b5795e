package io.defectdetector.job.inference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;
import static org.assertj.core.api.Assertions.within;

import io.defectdetector.frame.Frame;
import io.defectdetector.job.model.InputRange;
import io.defectdetector.job.model.ModelBundle;
import io.defectdetector.job.scoring.ScoredFrame;
import io.defectdetector.job.testing.TestModels;
import io.defectdetector.job.testing.TestingFrames;
import io.defectdetector.job.testing.TestingInferenceEngine;
import io.defectdetector.job.testing.TestingMetrics;
import java.util.List;
import java.util.UUID;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.Gauge;
import org.apache.flink.metrics.Histogram;
import org.apache.flink.streaming.api.watermark.Watermark;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.OneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Batching, flushing and output of the inference operator, with the fake engine (tiny-graph card: 1x16x16). */
class BatchInferenceOperatorTest {
    private final String key = UUID.randomUUID().toString();
    private OneInputStreamOperatorTestHarness<Frame, ScoredFrame> harness;

    @AfterEach
    void closeHarness() throws Exception {
        if (harness != null) {
            harness.close();
        }
    }

    @Test
    void runsOneInferenceWhenTheBatchIsFull() throws Exception {
        open(3, 1_000);
        harness.processElement(frame("f1", 0), 10);
        harness.processElement(frame("f2", 0), 11);
        assertThat(harness.extractOutputValues()).isEmpty();
        harness.processElement(frame("f3", 0), 12);
        assertThat(frameIds()).containsExactly("f1", "f2", "f3");
        assertThat(engine().batchSizes()).containsExactly(3);
    }

    @Test
    void releasesAPartialBatchWhenItsFirstFrameHasWaitedMaxWait() throws Exception {
        open(4, 50);
        harness.setProcessingTime(100);
        harness.processElement(frame("f1", 0), 1);
        harness.setProcessingTime(130);
        harness.processElement(frame("f2", 0), 2);
        harness.setProcessingTime(149);
        assertThat(harness.extractOutputValues()).isEmpty();
        harness.setProcessingTime(150);
        assertThat(frameIds()).containsExactly("f1", "f2");
        assertThat(engine().batchSizes()).containsExactly(2);
        assertThat(harness.getProcessingTimeService().getNumActiveTimers()).isZero();
    }

    @Test
    void timerOfABatchReleasedBySizeRearmsForTheNextBatch() throws Exception {
        open(2, 50);
        harness.setProcessingTime(0);
        harness.processElement(frame("f1", 0), 1);
        harness.processElement(frame("f2", 0), 2); // full: released, its timer (t=50) stays armed
        harness.setProcessingTime(20);
        harness.processElement(frame("f3", 0), 3); // new batch, deadline 70
        assertThat(harness.getProcessingTimeService().getActiveTimerTimestamps()).containsExactly(50L);
        harness.setProcessingTime(50);
        assertThat(harness.getProcessingTimeService().getActiveTimerTimestamps()).containsExactly(70L);
        assertThat(frameIds()).containsExactly("f1", "f2");
        harness.setProcessingTime(69);
        assertThat(frameIds()).containsExactly("f1", "f2");
        harness.setProcessingTime(70);
        assertThat(frameIds()).containsExactly("f1", "f2", "f3");
        assertThat(engine().batchSizes()).containsExactly(2, 1);
    }

    @Test
    void flushesBeforeTheCheckpointBarrierSoNothingIsBufferedAcrossIt() throws Exception {
        open(8, 60_000);
        harness.processElement(frame("f1", 0), 1);
        harness.processElement(frame("f2", 0), 2);
        harness.prepareSnapshotPreBarrier(1L);
        assertThat(frameIds()).containsExactly("f1", "f2");
        harness.snapshot(1L, 1L);
        assertThat(engine().batchSizes()).containsExactly(2);
        harness.prepareSnapshotPreBarrier(2L);
        assertThat(engine().batchSizes()).containsExactly(2);
    }

    @Test
    void flushesAtEndOfInput() throws Exception {
        open(8, 60_000);
        harness.processElement(frame("f1", 0), 1);
        harness.endInput();
        assertThat(frameIds()).containsExactly("f1");
    }

    @Test
    void outputCarriesIdentityTimingScoreAndMapAndKeepsTimestamps() throws Exception {
        open(2, 1_000);
        harness.setProcessingTime(5_000);
        Frame bright = TestingFrames.gray("f1", 32, 32, 255);
        Frame dark = TestingFrames.rgb("f2", 640, 480, 0, 0, 0);
        harness.processElement(bright, 111);
        harness.processElement(new StreamRecord<>(dark));
        List<StreamRecord<? extends ScoredFrame>> records = harness.extractOutputStreamRecords();
        assertThat(records).hasSize(2);
        assertThat(records.get(0).getTimestamp()).isEqualTo(111);
        assertThat(records.get(1).hasTimestamp()).isFalse();

        ScoredFrame s = records.get(0).getValue();
        assertThat(s.getCameraId()).isEqualTo("cam-1");
        assertThat(s.getFrameId()).isEqualTo("f1");
        assertThat(s.getLine()).isEqualTo("line-a");
        assertThat(s.getCaptureTimeMs()).isEqualTo(TestingFrames.CAPTURE_TIME);
        assertThat(s.getIngestTimeMs()).isEqualTo(5_000);
        assertThat(s.getImageWidth()).isEqualTo(32);
        assertThat(s.getImageHeight()).isEqualTo(32);
        assertThat(s.getModelName()).isEqualTo("tiny-graph");
        assertThat(s.getModelVersion()).isEqualTo("test.1");
        assertThat(s.getScore()).isEqualTo(1f);
        assertThat(s.getMapWidth()).isEqualTo(16);
        assertThat(s.getMapHeight()).isEqualTo(16);
        assertThat(s.getErrorMap()).hasSize(256).containsOnly(1f);

        ScoredFrame d = records.get(1).getValue();
        assertThat(d.getImageWidth()).isEqualTo(640);
        assertThat(d.getScore()).isZero();
    }

    @Test
    void framesOfDifferentSizesAndChannelsShareABatch() throws Exception {
        open(4, 1_000);
        harness.processElement(TestingFrames.gray("tiny", 1, 1, 51), 1);
        harness.processElement(TestingFrames.rgb("wide", 300, 17, 255, 255, 255), 2);
        harness.processElement(TestingFrames.gray("big", 1024, 1024, 102), 3);
        harness.processElement(TestingFrames.random("odd", 37, 23, 3, 9), 4);
        List<ScoredFrame> out = harness.extractOutputValues();
        assertThat(out).extracting(ScoredFrame::getFrameId).containsExactly("tiny", "wide", "big", "odd");
        assertThat(out.get(0).getScore()).isEqualTo((float) (51 / 255.0));
        assertThat(out.get(1).getScore()).isEqualTo(1f);
        assertThat(out.get(2).getScore()).isEqualTo((float) (102 / 255.0));
        assertThat(out.get(3).getScore()).isBetween(0.3f, 0.7f);
    }

    @Test
    void holdsWatermarksBackWhileFramesAreBuffered() throws Exception {
        open(4, 1_000);
        harness.processWatermark(new Watermark(5));
        harness.processElement(frame("f1", 0), 10);
        harness.processWatermark(new Watermark(20));
        assertThat(harness.getOutput()).containsExactly(new Watermark(5));
        harness.endInput();
        assertThat(harness.getOutput()).hasSize(3);
        assertThat(harness.getOutput().toArray()[1]).isInstanceOf(StreamRecord.class);
        assertThat(harness.getOutput().toArray()[2]).isEqualTo(new Watermark(20));
    }

    @Test
    void closingClosesTheEngine() throws Exception {
        open(2, 1_000);
        TestingInferenceEngine engine = engine();
        harness.close();
        harness = null;
        assertThat(engine.isClosed()).isTrue();
    }

    @Test
    void reportsBatchMetricsAndTheExecutionProvider() throws Exception {
        TestingMetrics metrics = new TestingMetrics();
        open(2, 1_000, metrics);
        harness.processElement(frame("f1", 0), 1);
        assertThat(metrics.<Gauge<Integer>>get("inFlightFrames").getValue()).isEqualTo(1);
        harness.processElement(frame("f2", 0), 2);
        assertThat(metrics.<Gauge<Integer>>get("inFlightFrames").getValue()).isZero();
        assertThat(metrics.<Histogram>get("batchSize").getStatistics().getMax()).isEqualTo(2);
        assertThat(metrics.<Histogram>get("inferenceTimeUs").getCount()).isEqualTo(1);
        assertThat(metrics.<Histogram>get("preprocessTimeUs").getCount()).isEqualTo(1);
        assertThat(metrics.<Histogram>get("batchLatencyMs").getCount()).isEqualTo(1);
        assertThat(metrics.<Gauge<String>>get("executionProvider").getValue()).isEqualTo("TESTING");
        assertThat(metrics.<Gauge<Integer>>get("provider.TESTING.executionProviderActive").getValue()).isOne();
        assertThat(metrics.<Gauge<Integer>>get("usingCuda").getValue()).isZero();
        assertThat(((BatchInferenceOperator) harness.getOneInputOperator()).activeExecutionProvider())
                .isEqualTo("TESTING");
    }

    @Test
    void marksFramesOutsideTheInputRangeAndCountsThem() throws Exception {
        // Flat frames have spread ln(1e-6); this range accepts them at level 0.5 +- 0.1 (128/255 is inside).
        InputRange range = new InputRange(0.5, 0.1, Math.log(1e-6), 1.0);
        TestingMetrics metrics = new TestingMetrics();
        open(3, 1_000, metrics, range);
        harness.processElement(frame("grey", 128), 1);
        harness.processElement(frame("white", 255), 2);
        harness.processElement(TestingFrames.random("noise", 16, 16, 1, 7), 3);

        List<ScoredFrame> out = harness.extractOutputValues();
        assertThat(out).extracting(ScoredFrame::getFrameId, ScoredFrame::isInputOutOfRange)
                .containsExactly(tuple("grey", false), tuple("white", true), tuple("noise", true));
        assertThat(out.get(0).getInputLevel()).isCloseTo(128 / 255.0, within(1e-6));
        assertThat(out.get(1).getInputLevel()).isCloseTo(1.0, within(1e-6));
        assertThat(out.get(1).getInputSpread()).isCloseTo(Math.log(1e-6), within(1e-6));
        assertThat(out.get(2).getInputSpread()).as("noise is far from flat").isGreaterThan(-3);
        assertThat(metrics.<Counter>get("framesOutOfInputRange").getCount()).isEqualTo(2);
    }

    @Test
    void measuresEachFrameOfAnRgbBatchOverItsThreeChannels() throws Exception {
        ModelBundle model = ModelBundle.locate(TestModels.rgbCaeFolder().toString());
        InputRange range = new InputRange(0.5, 0.1, Math.log(1e-6), 1.0);
        harness = new OneInputStreamOperatorTestHarness<>(new BatchInferenceOperator(model,
                new InferenceSettings("cpu", 1, 1, 3, 1_000, false), TestingInferenceEngine.factory(key), range));
        harness.open();
        // Grey (level 0.502) in range; red (255, 0, 0: level 1/3) and cyan (0, 255, 255: 2/3) out, read over
        // all three channels of their own slot of the batch.
        harness.processElement(TestingFrames.rgb("grey", 32, 32, 128, 128, 128), 1);
        harness.processElement(TestingFrames.rgb("red", 32, 32, 255, 0, 0), 2);
        harness.processElement(TestingFrames.rgb("cyan", 32, 32, 0, 255, 255), 3);

        List<ScoredFrame> out = harness.extractOutputValues();
        assertThat(out).extracting(ScoredFrame::getFrameId, ScoredFrame::isInputOutOfRange)
                .containsExactly(tuple("grey", false), tuple("red", true), tuple("cyan", true));
        assertThat(out).extracting(ScoredFrame::getInputLevel).satisfiesExactly(
                l -> assertThat(l).isCloseTo(128 / 255.0, within(1e-6)),
                l -> assertThat(l).isCloseTo(1 / 3.0, within(1e-6)),
                l -> assertThat(l).isCloseTo(2 / 3.0, within(1e-6)));
        assertThat(out.get(1).getInputSpread()).as("two channels apart: std sqrt(2)/3")
                .isCloseTo(Math.log(Math.sqrt(2) / 3 + 1e-6), within(1e-6));
    }

    @Test
    void withoutAnInputRangeNothingIsMeasured() throws Exception {
        open(1, 1_000);
        harness.processElement(frame("white", 255), 1);
        ScoredFrame s = harness.extractOutputValues().get(0);
        assertThat(s.isInputOutOfRange()).isFalse();
        assertThat(s.getInputLevel()).isNull();
    }

    private void open(int maxBatch, long maxWaitMs) throws Exception {
        open(maxBatch, maxWaitMs, null);
    }

    private void open(int maxBatch, long maxWaitMs, TestingMetrics metrics) throws Exception {
        open(maxBatch, maxWaitMs, metrics, null);
    }

    private void open(int maxBatch, long maxWaitMs, TestingMetrics metrics, InputRange range) throws Exception {
        ModelBundle model = ModelBundle.locate(TestModels.tinyGraph().toString());
        InferenceSettings settings = new InferenceSettings("cpu", 1, 1, maxBatch,
                maxWaitMs, false);
        BatchInferenceOperator operator = new BatchInferenceOperator(model, settings,
                TestingInferenceEngine.factory(key), range);
        harness = metrics == null ? new OneInputStreamOperatorTestHarness<>(operator)
                : new OneInputStreamOperatorTestHarness<>(operator, metrics.environment());
        harness.open();
    }

    private TestingInferenceEngine engine() {
        return TestingInferenceEngine.opened(key);
    }

    private List<String> frameIds() {
        return harness.extractOutputValues().stream().map(ScoredFrame::getFrameId).toList();
    }

    private static Frame frame(String id, int value) {
        return TestingFrames.gray(id, 16, 16, value);
    }
}
