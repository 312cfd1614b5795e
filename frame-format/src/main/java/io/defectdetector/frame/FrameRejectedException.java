package io.defectdetector.frame;

import java.util.Objects;

/** A record that breaks the wire format; the message is the human-readable {@code dlq-detail}. */
public class FrameRejectedException extends Exception {
    private static final long serialVersionUID = 1L;

    private final RejectReason reason;

    public FrameRejectedException(RejectReason reason, String detail) {
        this(reason, detail, null);
    }

    public FrameRejectedException(RejectReason reason, String detail, Throwable cause) {
        // No stack trace unless there is a cause: rejections are expected input, thrown per bad record.
        super(detail, cause, false, cause != null);
        this.reason = Objects.requireNonNull(reason, "reason");
    }

    public RejectReason reason() {
        return reason;
    }

    public String detail() {
        return getMessage();
    }

    @Override
    public String toString() {
        return reason + ": " + getMessage();
    }
}
