package io.defectdetector.job.control;

import java.util.Objects;

/**
 * What one control command did, as each thresholds subtask reports it ({@code acks} = 1) and, once every subtask
 * has applied it, as {@link AuditAggregator} publishes it ({@code acks} = parallelism). {@code body} is the JSON
 * object of docs/operations.md without the fields only known at the end ({@code applied_at}, {@code subtasks}).
 * A Flink POJO.
 */
public class AuditRecord {
    private String auditId;
    private String target;
    private String body;
    /** When it was applied (the latest subtask, once aggregated), epoch ms. */
    private long appliedAtMs;
    private int parallelism;
    private int acks;

    public AuditRecord() {
    }

    public AuditRecord(String auditId, String target, String body, long appliedAtMs, int parallelism) {
        this.auditId = auditId;
        this.target = target;
        this.body = body;
        this.appliedAtMs = appliedAtMs;
        this.parallelism = parallelism;
        this.acks = 1;
    }

    public String getAuditId() {
        return auditId;
    }

    public void setAuditId(String auditId) {
        this.auditId = auditId;
    }

    public String getTarget() {
        return target;
    }

    public void setTarget(String target) {
        this.target = target;
    }

    public String getBody() {
        return body;
    }

    public void setBody(String body) {
        this.body = body;
    }

    public long getAppliedAtMs() {
        return appliedAtMs;
    }

    public void setAppliedAtMs(long appliedAtMs) {
        this.appliedAtMs = appliedAtMs;
    }

    public int getParallelism() {
        return parallelism;
    }

    public void setParallelism(int parallelism) {
        this.parallelism = parallelism;
    }

    public int getAcks() {
        return acks;
    }

    public void setAcks(int acks) {
        this.acks = acks;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof AuditRecord a && appliedAtMs == a.appliedAtMs && parallelism == a.parallelism
                && acks == a.acks && Objects.equals(auditId, a.auditId) && Objects.equals(target, a.target)
                && Objects.equals(body, a.body);
    }

    @Override
    public int hashCode() {
        return Objects.hash(auditId, acks);
    }

    @Override
    public String toString() {
        return "AuditRecord{" + auditId + " " + acks + "/" + parallelism + ": " + body + "}";
    }
}
