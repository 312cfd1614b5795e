package io.defectdetector.job.inference;

import io.defectdetector.frame.Frame;
import io.defectdetector.job.batching.MicroBatcher;
import io.defectdetector.job.model.InputRange;
import io.defectdetector.job.model.ModelBundle;
import io.defectdetector.job.model.ModelCard;
import io.defectdetector.job.scoring.ScoredFrame;
import java.nio.FloatBuffer;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ScheduledFuture;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.Gauge;
import org.apache.flink.metrics.Histogram;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.runtime.metrics.DescriptiveStatisticsHistogram;
import org.apache.flink.streaming.api.operators.AbstractStreamOperator;
import org.apache.flink.streaming.api.operators.BoundedOneInput;
import org.apache.flink.streaming.api.operators.OneInputStreamOperator;
import org.apache.flink.streaming.api.watermark.Watermark;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;

/**
 * Micro-batches frames, preprocesses them into the engine's input buffer and runs one inference per batch.
 *
 * <p>A batch is released when full, when its first frame has waited {@code maxWaitMs} (processing-time timer),
 * and unconditionally before every checkpoint barrier ({@link #prepareSnapshotPreBarrier}) and at end of input.
 * Nothing is therefore buffered across a barrier and the operator needs no state: after a failure the source
 * rewinds to the checkpoint and every frame is scored again, none lost, none scored twice in the restored run.
 * Watermarks are held back while frames are buffered so the frames never become late behind their own watermark.
 *
 * <p>The ONNX session lives per subtask (see {@link OnnxInferenceEngine}); it is opened in {@link #open()} and
 * closed in {@link #close()}.
 *
 * <p>Metrics: histograms {@code batchSize}, {@code batchLatencyMs} (first frame's arrival to results emitted),
 * {@code preprocessTimeUs}, {@code inferenceTimeUs} (microseconds: a GPU batch takes well under a millisecond);
 * counter {@code framesScored}; gauges {@code inFlightFrames} (buffered), {@code executionProvider} (string, e.g.
 * "CPU", "CUDA:0", for the web UI and JMX), {@code executionProviderActive} (1, in the group {@code provider=<it>},
 * so Prometheus gets the provider as a label: its reporter exports a string gauge as 0) and {@code usingCuda} (0/1).
 *
 * <p>With an input range (the model card's, unless switched off), each frame's preprocessed input is measured
 * against it (model.InputRange) and a frame outside is marked on its {@link ScoredFrame}; counter
 * {@code framesOutOfInputRange}.
 */
public final class BatchInferenceOperator extends AbstractStreamOperator<ScoredFrame>
        implements OneInputStreamOperator<Frame, ScoredFrame>, BoundedOneInput {
    private static final long serialVersionUID = 1L;
    private static final int HISTOGRAM_WINDOW = 1024;

    private final ModelBundle model;
    private final InferenceSettings settings;
    private final InferenceEngineFactory engines;
    private final InputRange inputRange;

    private transient InferenceEngine engine;
    private transient Preprocessor preprocessor;
    /** One preprocessed frame, copied out of the batch to measure it against the input range. */
    private transient float[] inputScratch;
    private transient MicroBatcher<Pending> batcher;
    private transient ScheduledFuture<?> timer;
    private transient Watermark heldWatermark;
    private transient volatile int buffered;

    private transient Histogram batchSize;
    private transient Histogram batchLatencyMs;
    private transient Histogram preprocessTimeUs;
    private transient Histogram inferenceTimeUs;
    private transient Counter framesScored;
    private transient Counter framesOutOfInputRange;

    /** With the model card's input range, if it has one. */
    public BatchInferenceOperator(ModelBundle model, InferenceSettings settings, InferenceEngineFactory engines) {
        this(model, settings, engines, model.card().inputRange());
    }

    /** @param inputRange the range frames are checked against; null checks none */
    public BatchInferenceOperator(ModelBundle model, InferenceSettings settings, InferenceEngineFactory engines,
            InputRange inputRange) {
        this.model = Objects.requireNonNull(model, "model");
        this.settings = Objects.requireNonNull(settings, "settings");
        this.engines = Objects.requireNonNull(engines, "engines");
        this.inputRange = inputRange;
    }

    /** A buffered frame with what its output record needs. */
    private record Pending(Frame frame, long timestamp, boolean hasTimestamp, long ingestTimeMs) {
    }

    @Override
    public void open() throws Exception {
        super.open();
        engine = engines.open(model, settings);
        if (engine.maxBatchSize() < settings.maxBatchSize()) {
            throw new IllegalStateException("engine holds batches of " + engine.maxBatchSize() + " but "
                    + settings.maxBatchSize() + " are configured");
        }
        preprocessor = new Preprocessor(model.card());
        inputScratch = inputRange == null ? null : new float[preprocessor.imageSize()];
        batcher = new MicroBatcher<>(settings.maxBatchSize(), settings.maxWaitMs());

        MetricGroup metrics = getMetricGroup();
        batchSize = metrics.histogram("batchSize", new DescriptiveStatisticsHistogram(HISTOGRAM_WINDOW));
        batchLatencyMs = metrics.histogram("batchLatencyMs", new DescriptiveStatisticsHistogram(HISTOGRAM_WINDOW));
        preprocessTimeUs = metrics.histogram("preprocessTimeUs",
                new DescriptiveStatisticsHistogram(HISTOGRAM_WINDOW));
        inferenceTimeUs = metrics.histogram("inferenceTimeUs", new DescriptiveStatisticsHistogram(HISTOGRAM_WINDOW));
        framesScored = metrics.counter("framesScored");
        framesOutOfInputRange = metrics.counter("framesOutOfInputRange");
        metrics.gauge("inFlightFrames", (Gauge<Integer>) () -> buffered);
        String provider = engine.activeExecutionProvider();
        metrics.gauge("executionProvider", (Gauge<String>) () -> provider);
        metrics.addGroup("provider", provider).gauge("executionProviderActive", (Gauge<Integer>) () -> 1);
        metrics.gauge("usingCuda", (Gauge<Integer>) () -> provider.startsWith("CUDA") ? 1 : 0);
    }

    /** The range frames are checked against, or null when none is. */
    public InputRange inputRange() {
        return inputRange;
    }

    /** The provider the engine runs on, once opened ("CPU", "CUDA:0"). */
    public String activeExecutionProvider() {
        return engine == null ? null : engine.activeExecutionProvider();
    }

    @Override
    public void processElement(StreamRecord<Frame> element) throws Exception {
        long now = getProcessingTimeService().getCurrentProcessingTime();
        Pending pending = new Pending(element.getValue(), element.getTimestamp(), element.hasTimestamp(), now);
        List<Pending> full = batcher.add(pending, now);
        if (!full.isEmpty()) {
            infer(full);
        } else {
            buffered = batcher.size();
            scheduleTimer();
        }
    }

    /** One timer at a time; when it fires for a batch already released by size, it re-arms for the next one. */
    private void scheduleTimer() {
        if (timer == null && batcher.size() > 0) {
            timer = getProcessingTimeService().registerTimer(batcher.nextDeadline(), this::onTimer);
        }
    }

    private void onTimer(long time) throws Exception {
        timer = null;
        List<Pending> expired = batcher.pollExpired(time);
        if (!expired.isEmpty()) {
            infer(expired);
        }
        scheduleTimer();
    }

    @Override
    public void processWatermark(Watermark mark) throws Exception {
        if (batcher.size() == 0) {
            super.processWatermark(mark);
        } else {
            heldWatermark = mark;
        }
    }

    /** Before the barrier goes downstream: the checkpoint then covers no buffered frame. */
    @Override
    public void prepareSnapshotPreBarrier(long checkpointId) throws Exception {
        flush();
        super.prepareSnapshotPreBarrier(checkpointId);
    }

    @Override
    public void endInput() throws Exception {
        flush();
    }

    @Override
    public void finish() throws Exception {
        flush();
        super.finish();
    }

    @Override
    public void close() throws Exception {
        try {
            if (timer != null) {
                timer.cancel(false);
                timer = null;
            }
            if (engine != null) {
                engine.close();
                engine = null;
            }
        } finally {
            super.close();
        }
    }

    private void flush() throws Exception {
        List<Pending> rest = batcher.drain();
        if (!rest.isEmpty()) {
            infer(rest);
        }
    }

    private void markInputRange(ScoredFrame s, InputRange.Statistics stats) {
        s.setInputLevel(stats.level());
        s.setInputSpread(stats.spread());
        if (!inputRange.contains(stats)) {
            // The debounce stage logs each camera's first frame out of range (and its return); this counts all.
            s.setInputOutOfRange(true);
            framesOutOfInputRange.inc();
        }
    }

    private void infer(List<Pending> batch) throws Exception {
        int n = batch.size();
        long start = System.nanoTime();
        FloatBuffer input = engine.inputBuffer();
        InputRange.Statistics[] measured = inputRange == null ? null : new InputRange.Statistics[n];
        for (int i = 0; i < n; i++) {
            preprocessor.write(batch.get(i).frame(), input, i);
            if (measured != null) {
                // A heap copy first: summing from the array is 2x faster than through the direct buffer.
                input.get(i * inputScratch.length, inputScratch, 0, inputScratch.length);
                measured[i] = InputRange.measure(inputScratch, 0, inputScratch.length);
            }
        }
        long preprocessed = System.nanoTime();
        BatchResult result = engine.run(n);
        long inferred = System.nanoTime();
        if (result.size() != n) {
            throw new IllegalStateException("engine returned " + result.size() + " results for " + n + " frames");
        }

        ModelCard card = model.card();
        for (int i = 0; i < n; i++) {
            Pending p = batch.get(i);
            Frame f = p.frame();
            ScoredFrame s = new ScoredFrame();
            s.setCameraId(f.getCameraId());
            s.setFrameId(f.getFrameId());
            s.setLine(f.getLine());
            s.setCaptureTimeMs(f.getCaptureTimeMs());
            s.setIngestTimeMs(p.ingestTimeMs());
            s.setImageWidth(f.getWidth());
            s.setImageHeight(f.getHeight());
            s.setModelName(card.name());
            s.setModelVersion(card.version());
            s.setScore(result.scores()[i]);
            s.setErrorMap(result.errorMaps()[i]);
            s.setMapWidth(result.mapWidth());
            s.setMapHeight(result.mapHeight());
            if (measured != null) {
                markInputRange(s, measured[i]);
            }
            output.collect(p.hasTimestamp() ? new StreamRecord<>(s, p.timestamp()) : new StreamRecord<>(s));
        }

        long now = getProcessingTimeService().getCurrentProcessingTime();
        batchSize.update(n);
        preprocessTimeUs.update((preprocessed - start) / 1_000);
        inferenceTimeUs.update((inferred - preprocessed) / 1_000);
        batchLatencyMs.update(Math.max(0, now - batch.get(0).ingestTimeMs()));
        framesScored.inc(n);
        buffered = batcher.size();
        if (heldWatermark != null && batcher.size() == 0) {
            Watermark mark = heldWatermark;
            heldWatermark = null;
            super.processWatermark(mark);
        }
    }
}
