package io.defectdetector.job.control;

/**
 * Why a control command was refused. The dead-letter topic carries it as {@code dlq-reason} with the prefix
 * {@code CONTROL_} (for example {@code CONTROL_NOT_JSON}), so these never clash with the frame reasons of
 * docs/wire-format.md that share the topic.
 */
public enum ControlRejectReason {
    /** The record value is null or empty. */
    EMPTY,
    /** The record value exceeds {@link ControlCommandParser#MAX_BYTES}. */
    OVERSIZED,
    /** Not UTF-8 JSON, not one JSON object, or a field given twice. */
    NOT_JSON,
    /** A field this version does not know (a typo would otherwise be ignored silently). */
    UNKNOWN_FIELD,
    /** A required field (action, target, by, or for set at least one setting) is absent. */
    MISSING_FIELD,
    /** {@code action} is not set, reset or show. */
    BAD_ACTION,
    /** {@code target} is not default, line:&lt;id&gt; or camera:&lt;id&gt; (or all, for show only). */
    BAD_TARGET,
    /** A value of the wrong type or out of range (negative, zero or NaN threshold, k > n, ...). */
    BAD_VALUE;

    public String code() {
        return "CONTROL_" + name();
    }
}
