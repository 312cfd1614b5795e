package io.defectdetector.frame;

/** Why a frame record was rejected; the names are the {@code dlq-reason} codes of docs/wire-format.md. */
public enum RejectReason {
    EMPTY,
    OVERSIZED,
    MISSING_KEY,
    GARBLED_KEY,
    MISSING_HEADER,
    GARBLED_HEADER,
    UNSUPPORTED_CONTENT_TYPE,
    SIZE_MISMATCH,
    UNDECODABLE_IMAGE,
    /** Decoded fine but unusable by the loaded model; raised by the job, never by {@link FrameDecoder}. */
    WRONG_SHAPE
}
