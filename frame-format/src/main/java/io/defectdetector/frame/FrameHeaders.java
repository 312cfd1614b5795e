package io.defectdetector.frame;

/** Kafka header names of the frame wire format (docs/wire-format.md). */
public final class FrameHeaders {
    public static final String FRAME_ID = "frame-id";
    public static final String CAPTURE_TIME = "capture-time";
    public static final String CONTENT_TYPE = "content-type";
    public static final String WIDTH = "width";
    public static final String HEIGHT = "height";
    public static final String CHANNELS = "channels";
    public static final String LINE = "line";

    // Added to a rejected record when it is copied to the dead-letter topic.
    public static final String DLQ_REASON = "dlq-reason";
    public static final String DLQ_DETAIL = "dlq-detail";
    public static final String DLQ_SOURCE_TOPIC = "dlq-source-topic";
    public static final String DLQ_SOURCE_PARTITION = "dlq-source-partition";
    public static final String DLQ_SOURCE_OFFSET = "dlq-source-offset";
    public static final String DLQ_TIME = "dlq-time";
    /** What was left out of a dead letter too large to copy whole, e.g. {@code value=2097152} (bytes). */
    public static final String DLQ_OMITTED = "dlq-omitted";

    private FrameHeaders() {
    }
}
