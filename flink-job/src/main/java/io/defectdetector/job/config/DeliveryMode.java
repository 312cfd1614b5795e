package io.defectdetector.job.config;

import org.apache.flink.connector.base.DeliveryGuarantee;

/**
 * How alerts, dead letters and scores are written to Kafka. Flink's {@code NONE} is deliberately not offered:
 * an alert that is silently lost on a failure defeats the purpose of the job.
 */
public enum DeliveryMode {
    /**
     * Kafka transactions committed on each checkpoint: after any failure, a {@code read_committed} consumer sees
     * every alert exactly once, but only after the checkpoint that covers it completes.
     */
    EXACTLY_ONCE,
    /**
     * Records are flushed on each checkpoint and visible as soon as they are written; after a failure, alerts
     * since the last checkpoint are written again (same alert id, so consumers can de-duplicate).
     */
    AT_LEAST_ONCE;

    public DeliveryGuarantee guarantee() {
        return this == EXACTLY_ONCE ? DeliveryGuarantee.EXACTLY_ONCE : DeliveryGuarantee.AT_LEAST_ONCE;
    }
}
