package io.defectdetector.job.control;

import io.defectdetector.job.frames.RawFrameRecord;
import java.util.EnumMap;
import java.util.Map;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.streaming.api.functions.ProcessFunction;
import org.apache.flink.util.Collector;
import org.apache.flink.util.OutputTag;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns control records into validated commands; a refused record goes to {@link #REJECTS} (then the
 * dead-letter topic) with its reason and changes nothing. Never throws for bad input: a malformed command must
 * not restart the job.
 *
 * <p>Metrics: {@code controlCommandsAccepted}, {@code controlCommandsRejected} and, per reason code (the
 * dead letter's {@code CONTROL_...}), {@code controlCommandsRejectedByReason} in the group {@code reason=<code>}.
 */
public class ParseControlFunction extends ProcessFunction<RawFrameRecord, ControlCommand> {
    private static final long serialVersionUID = 1L;
    private static final Logger LOG = LoggerFactory.getLogger(ParseControlFunction.class);

    public static final OutputTag<ControlReject> REJECTS = new OutputTag<>("control-rejects") {
    };

    private transient Counter accepted;
    private transient Counter rejected;
    private transient Map<ControlRejectReason, Counter> rejectedByReason;

    @Override
    public void open(OpenContext openContext) {
        MetricGroup metrics = getRuntimeContext().getMetricGroup();
        accepted = metrics.counter("controlCommandsAccepted");
        rejected = metrics.counter("controlCommandsRejected");
        rejectedByReason = new EnumMap<>(ControlRejectReason.class);
        for (ControlRejectReason reason : ControlRejectReason.values()) {
            rejectedByReason.put(reason, metrics.addGroup("reason", reason.code())
                    .counter("controlCommandsRejectedByReason"));
        }
    }

    @Override
    public void processElement(RawFrameRecord record, Context ctx, Collector<ControlCommand> out) {
        try {
            ControlCommand command = ControlCommandParser.parse(record.getValue());
            command.setCommandId(commandId(record));
            command.setRequestedAtMs(record.getTimestamp() >= 0 ? record.getTimestamp()
                    : ctx.timerService().currentProcessingTime());
            accepted.inc();
            out.collect(command);
        } catch (ControlCommandException e) {
            rejected.inc();
            rejectedByReason.get(e.reason()).inc();
            // The detail names the field, never a whole record; commands hold no secrets.
            LOG.warn("Refused control record {}: {} {}", commandId(record), e.reason().code(), e.getMessage());
            ctx.output(REJECTS, new ControlReject(e.reason(), e.getMessage(),
                    ctx.timerService().currentProcessingTime(), record));
        }
    }

    /** The record's Kafka coordinates: unique, and the same when the record is read again after a restore. */
    public static String commandId(RawFrameRecord record) {
        return record.getTopic() + "-" + record.getPartition() + "-" + record.getOffset();
    }
}
