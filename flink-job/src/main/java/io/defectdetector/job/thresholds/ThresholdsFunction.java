package io.defectdetector.job.thresholds;

import com.fasterxml.jackson.databind.node.NullNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.defectdetector.job.alerts.DefectAlert;
import io.defectdetector.job.alerts.IsoMillis;
import io.defectdetector.job.control.AuditAggregator;
import io.defectdetector.job.control.AuditRecord;
import io.defectdetector.job.control.ControlAction;
import io.defectdetector.job.control.ControlCommand;
import io.defectdetector.job.control.ControlJson;
import io.defectdetector.job.scoring.ScoredFrame;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.BroadcastState;
import org.apache.flink.api.common.state.MapStateDescriptor;
import org.apache.flink.api.common.state.ReadOnlyBroadcastState;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.Histogram;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.runtime.metrics.DescriptiveStatisticsHistogram;
import org.apache.flink.streaming.api.functions.co.BroadcastProcessFunction;
import org.apache.flink.util.Collector;
import org.apache.flink.util.OutputTag;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Holds the threshold overrides as broadcast state and applies them to every scored frame.
 *
 * <p>Broadcast input: validated control commands; every parallel instance applies each one to its own copy of
 * the state (so the change reaches all of them) and reports it on {@link #AUDIT}. Main input: scored frames,
 * forwarded from the inference operator; each gets its camera's effective thresholds ({@link ThresholdResolver}),
 * is compared with the image threshold and, when over it, gets its candidate alert with regions cut at the
 * effective pixel threshold. Only the small {@link Verdict} leaves this operator, keyed by camera to the debounce.
 *
 * <p>The state (descriptor {@link #STATE}, operator uid {@code thresholds}) is what the savepoint CLI reads and
 * rewrites; its name and types are part of the savepoint format.
 *
 * <p>Metrics: {@code framesDecided}, {@code nonFiniteScores} (NaN scores: no verdict; infinite ones: a verdict at
 * the largest float), histogram {@code scoreMilli} (score x 1000), {@code controlCommandsApplied}, gauge {@code inactiveOverrides} (overrides
 * whose score settings were tuned for another score scale and are skipped).
 */
public class ThresholdsFunction extends BroadcastProcessFunction<ScoredFrame, ControlCommand, Verdict> {
    private static final long serialVersionUID = 1L;
    private static final Logger LOG = LoggerFactory.getLogger(ThresholdsFunction.class);
    private static final int HISTOGRAM_WINDOW = 1024;

    /** The overrides by {@link ThresholdTarget} key. Name and types are fixed by existing savepoints. */
    public static final MapStateDescriptor<String, ThresholdOverride> STATE = new MapStateDescriptor<>(
            "threshold-overrides", Types.STRING, TypeInformation.of(ThresholdOverride.class));
    /** One record per applied command per parallel instance; {@link AuditAggregator} joins them. */
    public static final OutputTag<AuditRecord> AUDIT = new OutputTag<>("threshold-audit") {
    };

    private final ThresholdResolver resolver;
    private final String modelLabel;
    private final boolean includeHeatmap;

    private transient Counter framesDecided;
    private transient Counter nonFiniteScores;
    private transient Counter commandsApplied;
    private transient Histogram scoreMilli;
    private transient volatile int inactiveOverrides;
    private transient boolean checkedRestoredState;

    /**
     * @param modelDefaults  the model card's thresholds
     * @param scoreScale     {@link ScoreScale} of the running model
     * @param modelLabel     "name version" of the running model
     * @param includeHeatmap attach the error heatmap to alerts
     */
    public ThresholdsFunction(ThresholdSettings modelDefaults, String scoreScale, String modelLabel,
            boolean includeHeatmap) {
        this.resolver = new ThresholdResolver(modelDefaults, scoreScale);
        this.modelLabel = Objects.requireNonNull(modelLabel, "modelLabel");
        this.includeHeatmap = includeHeatmap;
    }

    @Override
    public void open(OpenContext openContext) {
        MetricGroup metrics = getRuntimeContext().getMetricGroup();
        framesDecided = metrics.counter("framesDecided");
        nonFiniteScores = metrics.counter("nonFiniteScores");
        commandsApplied = metrics.counter("controlCommandsApplied");
        scoreMilli = metrics.histogram("scoreMilli", new DescriptiveStatisticsHistogram(HISTOGRAM_WINDOW));
        metrics.gauge("inactiveOverrides", () -> inactiveOverrides);
    }

    @Override
    public void processElement(ScoredFrame frame, ReadOnlyContext ctx, Collector<Verdict> out) throws Exception {
        ReadOnlyBroadcastState<String, ThresholdOverride> overrides = ctx.getBroadcastState(STATE);
        if (!checkedRestoredState) {
            // Restored state is visible only from a context; report overrides a model change made inactive.
            checkedRestoredState = true;
            countInactive(overrides.immutableEntries(), true);
        }
        framesDecided.inc();
        float score = frame.getScore();
        if (!Float.isFinite(score)) {
            // Both point at a broken model; an infinite score still alerts (at the largest float), NaN cannot.
            if (nonFiniteScores.getCount() == 0) {
                LOG.warn("Model produced a score of {} for {}/{}: NaN scores raise no alert, infinite ones alert "
                        + "(metric nonFiniteScores counts both)", score, frame.getCameraId(), frame.getFrameId());
            }
            nonFiniteScores.inc();
            if (Float.isNaN(score)) {
                return;
            }
        }
        score = Alerts.finite(score);
        scoreMilli.update((long) Math.max(Long.MIN_VALUE, Math.min(Long.MAX_VALUE, score * 1000.0)));

        EffectiveThresholds t = resolver.resolve(frame.getCameraId(), frame.getLine(), overrides::get);
        // Compared as a float32, as the score is and as the alert writes it (ThresholdSettings.asFloat32).
        float threshold = ThresholdSettings.toFloat32(t.imageScore());
        Verdict v = new Verdict();
        v.setCameraId(frame.getCameraId());
        v.setLine(frame.getLine());
        v.setFrameId(frame.getFrameId());
        v.setCaptureTimeMs(frame.getCaptureTimeMs());
        v.setScore(score);
        v.setThreshold(threshold);
        v.setThresholdSource(t.imageScoreSource());
        v.setDebounceK(t.debounceK());
        v.setDebounceN(t.debounceN());
        v.setModelName(frame.getModelName());
        v.setModelVersion(frame.getModelVersion());
        // A frame outside the model's input range alerts whatever its score: the score of a scene the model
        // does not know (covered lens, lights off) says nothing, and a flat frame can score low.
        boolean frameFault = frame.isInputOutOfRange();
        if (frameFault || score >= threshold) {
            v.setOver(true);
            v.setCause(frameFault ? DefectAlert.CAUSE_FRAME : null);
            DefectAlert candidate = Alerts.build(frame, score, t.settings().asFloat32(), includeHeatmap,
                    ctx.currentProcessingTime());
            candidate.setThresholdSource(t.imageScoreSource());
            v.setCandidate(candidate);
        }
        out.collect(v);
    }

    @Override
    public void processBroadcastElement(ControlCommand c, Context ctx, Collector<Verdict> out) throws Exception {
        BroadcastState<String, ThresholdOverride> state = ctx.getBroadcastState(STATE);
        String scale = resolver.scoreScale();
        ObjectNode body = auditHeader(c);
        switch (c.getAction()) {
            case SET, RESET -> {
                ThresholdOverride old = state.get(c.getTarget());
                ThresholdOverride next = c.getAction() == ControlAction.SET
                        ? OverrideEdits.set(old, c, scale, modelLabel)
                        : OverrideEdits.reset(old, c.getResetFields(), c, modelLabel);
                if (next == null) {
                    state.remove(c.getTarget());
                } else {
                    state.put(c.getTarget(), next);
                }
                body.set("old", old == null ? NullNode.getInstance() : ControlJson.override(old, scale));
                body.set("new", next == null ? NullNode.getInstance() : ControlJson.override(next, scale));
                body.set("effective", ControlJson.effective(resolveTarget(c, state)));
                countInactive(state.immutableEntries(), false);
                commandsApplied.inc();
                if (isFirstSubtask()) {
                    LOG.info("Thresholds {} {} by {}: {} -> {}", c.getAction().jsonName(), c.getTarget(),
                            c.getBy(), old, next);
                }
            }
            case SHOW -> {
                if (c.targetsAll()) {
                    body.set("overrides", ControlJson.overrides(state.immutableEntries(), scale));
                    body.set("model_defaults", ControlJson.effective(resolver.resolve(null, null, key -> null)));
                } else {
                    ThresholdOverride stored = state.get(c.getTarget());
                    body.set("stored", stored == null ? NullNode.getInstance() : ControlJson.override(stored, scale));
                    body.set("effective", ControlJson.effective(resolveTarget(c, state)));
                }
            }
            default -> throw new IllegalStateException("unknown action " + c.getAction());
        }
        ctx.output(AUDIT, new AuditRecord(c.getCommandId(), c.getTarget(), ControlJson.write(body),
                ctx.currentProcessingTime(), getRuntimeContext().getTaskInfo().getNumberOfParallelSubtasks()));
    }

    private ObjectNode auditHeader(ControlCommand c) {
        ObjectNode body = ControlJson.object();
        body.put("audit_id", c.getCommandId());
        if (c.getRequestId() != null) {
            body.put("request_id", c.getRequestId());
        }
        body.put("action", c.getAction().jsonName());
        body.put("target", c.getTarget());
        body.put("by", c.getBy());
        if (c.getComment() != null) {
            body.put("comment", c.getComment());
        }
        body.put("requested_at", IsoMillis.format(c.getRequestedAtMs()));
        ObjectNode model = body.putObject("model");
        model.put("name", modelLabel);
        model.put("score_scale", resolver.scoreScale());
        return body;
    }

    /** The effective thresholds at a command's target: a camera (with the line the command names), a line, all. */
    private EffectiveThresholds resolveTarget(ControlCommand c, ReadOnlyBroadcastState<String, ThresholdOverride>
            state) throws Exception {
        ThresholdTarget target = ThresholdTarget.parse(c.getTarget());
        return switch (target.kind()) {
            case CAMERA -> resolver.resolve(target.id(), c.getLine(), state::get);
            case LINE -> resolver.resolve(null, target.id(), state::get);
            case DEFAULT -> resolver.resolve(null, null, state::get);
        };
    }

    private void countInactive(Iterable<Map.Entry<String, ThresholdOverride>> entries, boolean log) {
        List<String> inactive = new ArrayList<>();
        for (Map.Entry<String, ThresholdOverride> e : entries) {
            if (!e.getValue().appliesTo(resolver.scoreScale())) {
                inactive.add(e.getKey() + " (" + e.getValue().getScoreScale() + ", tuned on "
                        + e.getValue().getTunedOn() + ")");
            }
        }
        inactiveOverrides = inactive.size();
        if (log && !inactive.isEmpty() && isFirstSubtask()) {
            LOG.warn("{} threshold override(s) were tuned for another score scale than the running model ({}, {}); "
                    + "their score settings are skipped and the model card's apply until they are set again: {}",
                    inactive.size(), modelLabel, resolver.scoreScale(), inactive);
        }
    }

    private boolean isFirstSubtask() {
        return getRuntimeContext().getTaskInfo().getIndexOfThisSubtask() == 0;
    }
}
