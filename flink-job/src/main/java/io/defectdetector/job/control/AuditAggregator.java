package io.defectdetector.job.control;

import java.util.Objects;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.util.Collector;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Publishes one audit record per control command, once every parallel thresholds instance has applied it: so an
 * audit record on the topic means the change is in effect for every camera (what tests and operators wait
 * for). Keyed by audit id (the command's Kafka coordinates); the pending acknowledgements are keyed state, taken
 * consistently with the thresholds state in every checkpoint.
 */
public class AuditAggregator extends KeyedProcessFunction<String, AuditRecord, AuditRecord> {
    private static final long serialVersionUID = 1L;
    private static final Logger LOG = LoggerFactory.getLogger(AuditAggregator.class);

    private transient ValueState<AuditRecord> pending;

    @Override
    public void open(OpenContext openContext) {
        pending = getRuntimeContext().getState(new ValueStateDescriptor<>("pending-audit",
                TypeInformation.of(AuditRecord.class)));
    }

    @Override
    public void processElement(AuditRecord ack, Context ctx, Collector<AuditRecord> out) throws Exception {
        AuditRecord seen = pending.value();
        AuditRecord joined;
        if (seen == null) {
            joined = ack;
        } else {
            if (!Objects.equals(seen.getBody(), ack.getBody())) {
                // Every instance applies the same command to the same state; a difference is a bug worth a log.
                LOG.error("Thresholds instances disagree on control command {}: {} vs {}", ack.getAuditId(),
                        seen.getBody(), ack.getBody());
            }
            joined = seen;
            joined.setAcks(seen.getAcks() + ack.getAcks());
            joined.setAppliedAtMs(Math.max(seen.getAppliedAtMs(), ack.getAppliedAtMs()));
        }
        if (joined.getAcks() >= joined.getParallelism()) {
            pending.clear();
            out.collect(joined);
        } else {
            pending.update(joined);
        }
    }
}
