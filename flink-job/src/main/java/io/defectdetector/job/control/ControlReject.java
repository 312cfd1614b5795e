package io.defectdetector.job.control;

import io.defectdetector.job.frames.RawFrameRecord;
import java.util.Objects;

/** A refused control record, copied to the dead-letter topic with why (DeadLetterSerializer). A Flink POJO. */
public class ControlReject {
    private ControlRejectReason reason;
    private String detail;
    private long rejectedAtMs;
    private RawFrameRecord original;

    public ControlReject() {
    }

    public ControlReject(ControlRejectReason reason, String detail, long rejectedAtMs, RawFrameRecord original) {
        this.reason = Objects.requireNonNull(reason, "reason");
        this.detail = detail;
        this.rejectedAtMs = rejectedAtMs;
        this.original = Objects.requireNonNull(original, "original");
    }

    public ControlRejectReason getReason() {
        return reason;
    }

    public void setReason(ControlRejectReason reason) {
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
        return o instanceof ControlReject r && reason == r.reason && rejectedAtMs == r.rejectedAtMs
                && Objects.equals(detail, r.detail) && Objects.equals(original, r.original);
    }

    @Override
    public int hashCode() {
        return Objects.hash(reason, detail, rejectedAtMs);
    }

    @Override
    public String toString() {
        return "ControlReject{" + reason + ": " + detail + "}";
    }
}
