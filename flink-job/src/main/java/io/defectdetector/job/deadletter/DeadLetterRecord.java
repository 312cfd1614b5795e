package io.defectdetector.job.deadletter;

import io.defectdetector.frame.RejectReason;
import io.defectdetector.job.frames.RawFrameRecord;
import java.util.Objects;

/** A frame record the job rejected, with why and when; copied to the dead-letter topic. A Flink POJO. */
public class DeadLetterRecord {
    private RejectReason reason;
    private String detail;
    private long rejectedAtMs;
    private RawFrameRecord original;

    public DeadLetterRecord() {
    }

    public DeadLetterRecord(RejectReason reason, String detail, long rejectedAtMs, RawFrameRecord original) {
        this.reason = Objects.requireNonNull(reason, "reason");
        this.detail = detail;
        this.rejectedAtMs = rejectedAtMs;
        this.original = Objects.requireNonNull(original, "original");
    }

    public RejectReason getReason() {
        return reason;
    }

    public void setReason(RejectReason reason) {
        this.reason = reason;
    }

    public String getDetail() {
        return detail;
    }

    public void setDetail(String detail) {
        this.detail = detail;
    }

    public long getRejectedAtMs() {
        return rejectedAtMs;
    }

    public void setRejectedAtMs(long rejectedAtMs) {
        this.rejectedAtMs = rejectedAtMs;
    }

    public RawFrameRecord getOriginal() {
        return original;
    }

    public void setOriginal(RawFrameRecord original) {
        this.original = original;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof DeadLetterRecord other && reason == other.reason && rejectedAtMs == other.rejectedAtMs
                && Objects.equals(detail, other.detail) && Objects.equals(original, other.original);
    }

    @Override
    public int hashCode() {
        return Objects.hash(reason, detail, rejectedAtMs, original);
    }

    @Override
    public String toString() {
        return "DeadLetterRecord{" + reason + ": " + detail + ", " + original + "}";
    }
}
