package io.defectdetector.job.thresholds;

import io.defectdetector.job.alerts.DefectAlert;
import io.defectdetector.job.alerts.ScoreRecord;
import io.defectdetector.job.control.AuditAggregator;
import io.defectdetector.job.control.AuditRecord;
import io.defectdetector.job.control.ControlCommand;
import io.defectdetector.job.control.ControlReject;
import io.defectdetector.job.control.ParseControlFunction;
import io.defectdetector.job.frames.RawFrameRecord;
import io.defectdetector.job.model.ModelCard;
import io.defectdetector.job.scoring.ScoredFrame;
import java.time.Duration;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.streaming.api.datastream.BroadcastStream;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;

/**
 * The decision part of the pipeline, from scored frames and control records to alerts:
 *
 * <pre>
 * control records -> parse-control --(rejects)--> control dead letters
 *                         | broadcast
 * scored frames ---> thresholds (broadcast state) --(acks)--> control-audit -> audit records
 *                         | keyBy(camera): small verdicts
 *                    debounce-alerts --(scores)--> score records
 *                         |
 *                       alerts
 * </pre>
 *
 * Scored frames reach {@code thresholds} through a forward connection at the inference operator's parallelism:
 * Flink does not chain a two-input operator to its upstream, but a forward edge stays inside the slot (a local
 * channel, no network), and the error maps end there: only verdicts are keyed by camera.
 */
public final class ThresholdStage {
    public static final String PARSE_CONTROL_UID = "parse-control";
    public static final String THRESHOLDS_UID = "thresholds";
    public static final String DEBOUNCE_UID = "debounce-alerts";
    public static final String AUDIT_UID = "control-audit";

    private ThresholdStage() {
    }

    /** What the stage produces, before any sink is attached. */
    public record Outputs(DataStream<DefectAlert> alerts, DataStream<ScoreRecord> scores,
            DataStream<ControlReject> controlRejects, DataStream<AuditRecord> audit) {
    }

    /**
     * @param control        raw control records; one source subtask keeps the commands in topic order
     * @param emitScores     emit one score record per decided frame
     * @param includeHeatmap attach the error heatmap to alerts
     * @param frameFaultInterval least capture time between two frame-fault alerts of a camera (DebounceFunction)
     */
    public static Outputs apply(DataStream<ScoredFrame> scored, DataStream<RawFrameRecord> control, ModelCard card,
            boolean emitScores, boolean includeHeatmap, Duration frameFaultInterval) {
        // One instance: commands are applied in the order they were sent, and they are rare.
        SingleOutputStreamOperator<ControlCommand> commands = control
                .process(new ParseControlFunction())
                .setParallelism(1)
                .uid(PARSE_CONTROL_UID)
                .name(PARSE_CONTROL_UID);
        BroadcastStream<ControlCommand> broadcast = commands.broadcast(ThresholdsFunction.STATE);

        SingleOutputStreamOperator<Verdict> verdicts = scored
                .connect(broadcast)
                .process(new ThresholdsFunction(card.defaultThresholds(), ScoreScale.of(card),
                        ScoreScale.modelLabel(card), includeHeatmap), TypeInformation.of(Verdict.class))
                .uid(THRESHOLDS_UID)
                .name(THRESHOLDS_UID);

        SingleOutputStreamOperator<DefectAlert> alerts = verdicts
                .keyBy(Verdict::getCameraId, Types.STRING)
                .process(new DebounceFunction(emitScores, frameFaultInterval), TypeInformation.of(DefectAlert.class))
                .uid(DEBOUNCE_UID)
                .name(DEBOUNCE_UID);

        DataStream<AuditRecord> audit = verdicts.getSideOutput(ThresholdsFunction.AUDIT)
                .keyBy(AuditRecord::getAuditId, Types.STRING)
                .process(new AuditAggregator(), TypeInformation.of(AuditRecord.class))
                .uid(AUDIT_UID)
                .name(AUDIT_UID);

        return new Outputs(alerts, alerts.getSideOutput(DebounceFunction.SCORES),
                commands.getSideOutput(ParseControlFunction.REJECTS), audit);
    }
}
