package io.defectdetector.job.control;

/** A refused control command: the reason code and a sentence naming the field and what is accepted. */
public final class ControlCommandException extends Exception {
    private static final long serialVersionUID = 1L;
    private final ControlRejectReason reason;

    public ControlCommandException(ControlRejectReason reason, String detail) {
        super(detail);
        this.reason = reason;
    }

    public ControlRejectReason reason() {
        return reason;
    }
}
