package io.defectdetector.job.thresholds;

import io.defectdetector.job.alerts.DefectAlert;
import io.defectdetector.job.alerts.ScoreRecord;
import io.defectdetector.job.scoring.ScoredFrame;
import java.util.Objects;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.Histogram;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.runtime.metrics.DescriptiveStatisticsHistogram;
import org.apache.flink.streaming.api.functions.ProcessFunction;
import org.apache.flink.util.Collector;
import org.apache.flink.util.OutputTag;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Decides per scored frame: an alert when {@code score >= imageScore} (at the threshold counts as defective, so a
 * threshold of exactly the calibrated value alerts at the calibrated false-alarm rate), with the defect regions of
 * its error map. A frame over the image threshold whose regions all fall below the minimum area still alerts, with
 * an empty region list: the image score is the decision, regions only localise.
 *
 * <p>Thresholds come from {@link #thresholdsFor(ScoredFrame)}, today the model card's defaults or the job's
 * overrides; per-camera thresholds from a control topic replace that one method.
 *
 * <p>Metrics: {@code alertsOut}, {@code framesDecided}, {@code nonFiniteScores} (NaN scores: no alert, no score
 * record), histograms {@code scoreMilli} (score x 1000, as Flink histograms hold longs) and {@code
 * endToEndLatencyMs} (capture time to this decision, for every frame).
 */
public class DetectionFunction extends ProcessFunction<ScoredFrame, DefectAlert> {
    private static final long serialVersionUID = 1L;
    private static final Logger LOG = LoggerFactory.getLogger(DetectionFunction.class);

    /** Side output with one record per decided frame, when enabled. */
    public static final OutputTag<ScoreRecord> SCORES = new OutputTag<>("scores") {
    };
    /** See {@link Alerts#MAX_REGIONS}. */
    public static final int MAX_REGIONS = Alerts.MAX_REGIONS;
    private static final int HISTOGRAM_WINDOW = 1024;

    private final ThresholdSettings defaults;
    private final boolean emitScores;
    private final boolean includeHeatmap;

    private transient Counter alertsOut;
    private transient Counter framesDecided;
    private transient Counter nonFiniteScores;
    private transient Histogram scoreMilli;
    private transient Histogram endToEndLatencyMs;

    /**
     * @param includeHeatmap attach a small base64 PNG of the error map to each alert (a few KB per alert)
     */
    public DetectionFunction(ThresholdSettings defaults, boolean emitScores, boolean includeHeatmap) {
        this.defaults = Objects.requireNonNull(defaults, "defaults");
        this.emitScores = emitScores;
        this.includeHeatmap = includeHeatmap;
    }

    @Override
    public void open(OpenContext openContext) throws Exception {
        MetricGroup metrics = getRuntimeContext().getMetricGroup();
        alertsOut = metrics.counter("alertsOut");
        framesDecided = metrics.counter("framesDecided");
        nonFiniteScores = metrics.counter("nonFiniteScores");
        scoreMilli = metrics.histogram("scoreMilli", new DescriptiveStatisticsHistogram(HISTOGRAM_WINDOW));
        endToEndLatencyMs = metrics.histogram("endToEndLatencyMs",
                new DescriptiveStatisticsHistogram(HISTOGRAM_WINDOW));
    }

    /** The thresholds that apply to this frame. */
    protected ThresholdSettings thresholdsFor(ScoredFrame frame) {
        return defaults;
    }

    @Override
    public void processElement(ScoredFrame frame, Context ctx, Collector<DefectAlert> out) {
        long now = ctx.timerService().currentProcessingTime();
        framesDecided.inc();
        endToEndLatencyMs.update(Math.max(0, now - frame.getCaptureTimeMs()));
        float score = frame.getScore();
        if (Float.isNaN(score)) {
            if (nonFiniteScores.getCount() == 0) {
                LOG.warn("Model produced a NaN score for {}/{}; such frames raise no alert (metric nonFiniteScores)",
                        frame.getCameraId(), frame.getFrameId());
            }
            nonFiniteScores.inc();
            return;
        }
        score = Alerts.finite(score);
        scoreMilli.update((long) Math.max(Long.MIN_VALUE, Math.min(Long.MAX_VALUE, score * 1000.0)));

        ThresholdSettings thresholds = thresholdsFor(frame);
        boolean alert = score >= thresholds.imageScore();
        if (emitScores) {
            ctx.output(SCORES, Alerts.scoreRecord(frame, score, thresholds, alert, now));
        }
        if (alert) {
            out.collect(Alerts.build(frame, score, thresholds, includeHeatmap, now));
            alertsOut.inc();
        }
    }
}
