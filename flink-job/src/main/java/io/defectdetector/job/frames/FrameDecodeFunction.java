package io.defectdetector.job.frames;

import io.defectdetector.frame.Frame;
import io.defectdetector.frame.FrameDecoder;
import io.defectdetector.frame.FrameLimits;
import io.defectdetector.frame.FrameRejectedException;
import io.defectdetector.frame.RejectReason;
import io.defectdetector.job.deadletter.DeadLetterRecord;
import java.util.EnumMap;
import java.util.Map;
import java.util.Objects;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.streaming.api.functions.ProcessFunction;
import org.apache.flink.util.Collector;
import org.apache.flink.util.OutputTag;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Decodes raw frame records and checks them against the model's input; every record that cannot be used goes to
 * the {@link #DEAD_LETTERS} side output with its reason, so bad input never fails or restarts the job.
 *
 * <p>Metrics: {@code framesIn}, {@code framesRejected} (all reasons) and, in the group {@code reason=<CODE>},
 * {@code framesRejectedByReason} (registered for every reason up front so dashboards show zeros).
 */
public class FrameDecodeFunction extends ProcessFunction<RawFrameRecord, Frame> {
    private static final long serialVersionUID = 1L;
    private static final Logger LOG = LoggerFactory.getLogger(FrameDecodeFunction.class);

    public static final OutputTag<DeadLetterRecord> DEAD_LETTERS =
            new OutputTag<>("dead-letters", TypeInformation.of(DeadLetterRecord.class));

    // FrameLimits itself is not Serializable; its three numbers are.
    private final int maxBytes;
    private final int maxSide;
    private final long maxSamples;
    private final FrameShapeCheck shapeCheck;

    private transient FrameDecoder decoder;
    private transient Counter framesIn;
    private transient Counter framesRejected;
    private transient Map<RejectReason, Counter> rejectedByReason;
    /** Unexpected decoder exceptions in this subtask, for rate-limiting their log lines. */
    private transient long decoderFailures;

    public FrameDecodeFunction(FrameLimits limits, FrameShapeCheck shapeCheck) {
        Objects.requireNonNull(limits, "limits");
        this.maxBytes = limits.maxBytes();
        this.maxSide = limits.maxSide();
        this.maxSamples = limits.maxSamples();
        this.shapeCheck = Objects.requireNonNull(shapeCheck, "shapeCheck");
    }

    @Override
    public void open(OpenContext openContext) {
        decoder = new FrameDecoder(new FrameLimits(maxBytes, maxSide, maxSamples));
        MetricGroup metrics = getRuntimeContext().getMetricGroup();
        framesIn = metrics.counter("framesIn");
        framesRejected = metrics.counter("framesRejected");
        rejectedByReason = new EnumMap<>(RejectReason.class);
        for (RejectReason reason : RejectReason.values()) {
            rejectedByReason.put(reason, metrics.addGroup("reason", reason.name()).counter("framesRejectedByReason"));
        }
    }

    @Override
    public void processElement(RawFrameRecord record, Context ctx, Collector<Frame> out) {
        framesIn.inc();
        Frame frame;
        try {
            frame = decoder.decode(record.getKey(), record.getValue(), record.kafkaHeaders());
            shapeCheck.check(frame);
        } catch (FrameRejectedException e) {
            reject(record, e.reason(), e.detail(), ctx);
            return;
        } catch (RuntimeException e) {
            // A decoder bug on odd input must not become a poison pill that restarts the job forever. A camera
            // that keeps sending such frames would flood the log: the stack trace once, then every 1000th.
            decoderFailures++;
            if (decoderFailures % 1000 == 1) {
                LOG.warn("Decoder failed on {} ({} such frames in this subtask); sending it to the dead-letter "
                        + "topic", record, decoderFailures, e);
            }
            reject(record, RejectReason.UNDECODABLE_IMAGE, "decoder failed: " + e, ctx);
            return;
        }
        out.collect(frame);
    }

    private void reject(RawFrameRecord record, RejectReason reason, String detail, Context ctx) {
        framesRejected.inc();
        rejectedByReason.get(reason).inc();
        ctx.output(DEAD_LETTERS, new DeadLetterRecord(reason, detail, System.currentTimeMillis(), record));
    }
}
