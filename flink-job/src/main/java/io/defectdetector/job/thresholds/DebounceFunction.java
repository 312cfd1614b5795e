package io.defectdetector.job.thresholds;

import io.defectdetector.job.alerts.DefectAlert;
import io.defectdetector.job.alerts.ScoreRecord;
import io.defectdetector.job.control.DurationConverter;
import java.time.Duration;
import java.time.Instant;
import java.util.Locale;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.StateTtlConfig;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.Histogram;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.runtime.metrics.DescriptiveStatisticsHistogram;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.util.Collector;
import org.apache.flink.util.OutputTag;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The last decision, per camera: a frame over its image threshold alerts only when at least k of the camera's
 * last n frames (itself included) were over, so one noisy frame does not page anyone. With the default 1 of 1
 * every frame over the threshold alerts.
 *
 * <p>State per camera: one long, bit i set when the frame i frames ago was over its threshold. A change of n
 * takes effect at once (the history is read through the new window). The state expires one hour after a
 * camera's last frame ({@link #HISTORY_TTL}), so removed cameras do not accumulate and a camera that was silent
 * that long starts with a clean history.
 *
 * <p>Frames outside the model's input range (cause "frame") count in that history as frames not over the
 * threshold, and alert by their own rule ({@link FrameFaultThrottle}): a camera whose frames go out of range
 * (covered, lights off) alerts on the first, then at most once per {@code frameFaultInterval} of capture time, so a
 * blank line does not flood the alerts topic; each of those alerts is logged.
 * State per camera: the capture time of its last frame-fault alert, expiring an hour after its last frame fault;
 * read only for frame faults.
 *
 * <p>Metrics: {@code alertsOut}, {@code alertsDebounced} (frames over the threshold held back by the debounce),
 * {@code frameFaultAlertsHeldBack} (frame faults held back by the interval), histogram {@code endToEndLatencyMs}
 * (capture time to this decision, every frame captured in the last 30 days), {@code captureTimesOver30DaysOld}
 * (frames captured earlier: a camera whose clock is not set).
 */
public class DebounceFunction extends KeyedProcessFunction<String, Verdict, DefectAlert> {
    private static final long serialVersionUID = 1L;
    private static final Logger LOG = LoggerFactory.getLogger(DebounceFunction.class);
    private static final int HISTOGRAM_WINDOW = 1024;
    public static final Duration HISTORY_TTL = Duration.ofHours(1);
    /**
     * A capture time further back is a camera whose clock is not set (0, time since boot, or the 2000-01-01 a
     * clock without a battery resets to): its "latency" of years would fill the latency histogram and page the
     * slow-alerts rule for good. A backlog after an outage, hours or days old, is real latency and is kept.
     */
    static final Duration IMPLAUSIBLE_CAPTURE_AGE = Duration.ofDays(30);

    /** One record per decided frame, when enabled. */
    public static final OutputTag<ScoreRecord> SCORES = new OutputTag<>("scores") {
    };

    /** Name and type are part of the savepoint format. */
    public static ValueStateDescriptor<Long> historyDescriptor() {
        return perCameraLong("debounce-history");
    }

    /** Name and type are part of the savepoint format. */
    public static ValueStateDescriptor<Long> frameFaultDescriptor() {
        return perCameraLong("frame-fault-last-alert");
    }

    /** A long per camera that expires {@link #HISTORY_TTL} after it was last written. */
    private static ValueStateDescriptor<Long> perCameraLong(String name) {
        ValueStateDescriptor<Long> d = new ValueStateDescriptor<>(name, Types.LONG);
        d.enableTimeToLive(StateTtlConfig.newBuilder(HISTORY_TTL)
                .updateTtlOnCreateAndWrite()
                .neverReturnExpired()
                .build());
        return d;
    }

    private final boolean emitScores;
    private final Duration frameFaultInterval;

    private transient ValueState<Long> history;
    private transient ValueState<Long> lastFrameFault;
    private transient Counter alertsOut;
    private transient Counter alertsDebounced;
    private transient Counter frameFaultAlertsHeldBack;
    private transient Histogram endToEndLatencyMs;
    private transient Counter captureTimesOver30DaysOld;

    /**
     * @param frameFaultInterval the capture time between two frame-fault alerts of a camera, at least
     *                           (FrameFaultThrottle); 0 alerts on every such frame
     */
    public DebounceFunction(boolean emitScores, Duration frameFaultInterval) {
        if (frameFaultInterval.isNegative()) {
            throw new IllegalArgumentException("frame-fault interval must not be negative, got " + frameFaultInterval);
        }
        this.emitScores = emitScores;
        this.frameFaultInterval = frameFaultInterval;
    }

    @Override
    public void open(OpenContext openContext) {
        history = getRuntimeContext().getState(historyDescriptor());
        lastFrameFault = getRuntimeContext().getState(frameFaultDescriptor());
        MetricGroup metrics = getRuntimeContext().getMetricGroup();
        alertsOut = metrics.counter("alertsOut");
        alertsDebounced = metrics.counter("alertsDebounced");
        frameFaultAlertsHeldBack = metrics.counter("frameFaultAlertsHeldBack");
        endToEndLatencyMs = metrics.histogram("endToEndLatencyMs",
                new DescriptiveStatisticsHistogram(HISTOGRAM_WINDOW));
        captureTimesOver30DaysOld = metrics.counter("captureTimesOver30DaysOld");
    }

    @Override
    public void processElement(Verdict v, Context ctx, Collector<DefectAlert> out) throws Exception {
        long now = ctx.timerService().currentProcessingTime();
        if (now - v.getCaptureTimeMs() <= IMPLAUSIBLE_CAPTURE_AGE.toMillis()) {
            endToEndLatencyMs.update(Math.max(0, now - v.getCaptureTimeMs()));
        } else {
            captureTimesOver30DaysOld.inc();
            long count = captureTimesOver30DaysOld.getCount();
            if (Long.bitCount(count) == 1) { // the 1st, 2nd, 4th, 8th... on this subtask: a trace, not a flood
                LOG.warn("Camera {} sent frame {} with capture time {} ({} ms), more than 30 days ago: its clock is "
                        + "not set (frames like it are scored, but left out of the latency histogram; {} so far on "
                        + "this subtask)", v.getCameraId(), v.getFrameId(),
                        Instant.ofEpochMilli(v.getCaptureTimeMs()), v.getCaptureTimeMs(), count);
            }
        }
        boolean frameFault = DefectAlert.CAUSE_FRAME.equals(v.getCause());
        boolean defect = v.isOver() && !frameFault;
        boolean alert = false;
        if (v.getDebounceN() <= 1 && v.getDebounceK() <= 1) {
            // No debounce: no history to keep (and none left behind if it was switched off).
            if (history.value() != null) {
                history.clear();
            }
            alert = defect;
        } else {
            Long previous = history.value();
            long bits = ((previous == null ? 0L : previous) << 1) | (defect ? 1L : 0L);
            history.update(bits);
            int n = Math.min(v.getDebounceN(), 64);
            long window = n == 64 ? bits : bits & ((1L << n) - 1);
            alert = defect && Long.bitCount(window) >= v.getDebounceK();
        }
        if (frameFault) {
            // Capture time, not the clock: a replay after a failure decides as the first run did (but for the
            // state's expiry, an hour of processing time after the camera's last frame fault).
            Long lastAlert = lastFrameFault.value();
            alert = FrameFaultThrottle.alerts(lastAlert, v.getCaptureTimeMs(), frameFaultInterval.toMillis());
            if (alert) {
                // As limited as the alerts: a camera flickering at the range's edge must not flood the log either.
                LOG.warn("Camera {}: frame {} is outside the model's input range (input level {}, spread {}; "
                        + "-13.8 is a flat frame): covered, blank or dark camera, or another scene? It alerts with "
                        + "cause \"frame\", at most once per {} while its frames are out",
                        v.getCameraId(), v.getFrameId(), String.format(Locale.ROOT, "%.3f",
                                v.getCandidate().getInputLevel()), String.format(Locale.ROOT, "%.2f",
                                v.getCandidate().getInputSpread()), DurationConverter.format(frameFaultInterval));
            }
            // Written on every frame fault, so that the state expires an hour after the camera's last one.
            lastFrameFault.update(alert ? v.getCaptureTimeMs() : lastAlert);
        }
        if (alert) {
            DefectAlert a = v.getCandidate();
            a.setDetectionTimeMs(now);
            out.collect(a);
            alertsOut.inc();
        } else if (frameFault) {
            frameFaultAlertsHeldBack.inc();
        } else if (v.isOver()) {
            alertsDebounced.inc();
        }
        if (emitScores) {
            ctx.output(SCORES, scoreRecord(v, alert, now));
        }
    }

    private static ScoreRecord scoreRecord(Verdict v, boolean alert, long now) {
        ScoreRecord r = new ScoreRecord();
        r.setCameraId(v.getCameraId());
        r.setLine(v.getLine());
        r.setFrameId(v.getFrameId());
        r.setCaptureTimeMs(v.getCaptureTimeMs());
        r.setDetectionTimeMs(now);
        r.setScore(v.getScore());
        r.setThreshold((float) v.getThreshold()); // a float32 value (ThresholdSettings.asFloat32)
        r.setThresholdSource(v.getThresholdSource());
        r.setAlert(alert);
        r.setCause(v.getCause());
        if (v.getCause() != null) {
            r.setInputLevel(v.getCandidate().getInputLevel());
            r.setInputSpread(v.getCandidate().getInputSpread());
        }
        r.setModelName(v.getModelName());
        r.setModelVersion(v.getModelVersion());
        return r;
    }
}
