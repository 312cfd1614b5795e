package io.defectdetector.job.thresholds;

import java.util.Objects;
import java.util.regex.Pattern;

/**
 * Where a threshold override applies: every camera ({@code default}), the cameras of one production line
 * ({@code line:<id>}) or one camera ({@code camera:<id>}). The text form is also the key of the override in the
 * broadcast state, so it is part of the savepoint format: never change it.
 *
 * <p>Ids follow the camera-id syntax of docs/wire-format.md (1-128 characters from {@code [A-Za-z0-9._:-]}, the
 * first alphanumeric), which frame keys and {@code line} headers are checked against too.
 */
public record ThresholdTarget(Kind kind, String id) {

    /** In ascending precedence: a camera's override wins over its line's, which wins over the default. */
    public enum Kind { DEFAULT, LINE, CAMERA }

    public static final String DEFAULT_KEY = "default";
    private static final String LINE_PREFIX = "line:";
    private static final String CAMERA_PREFIX = "camera:";
    private static final Pattern ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._:-]{0,127}");
    public static final ThresholdTarget DEFAULT = new ThresholdTarget(Kind.DEFAULT, null);

    public ThresholdTarget {
        Objects.requireNonNull(kind, "kind");
        if (kind == Kind.DEFAULT ? id != null : !isValidId(id)) {
            throw new IllegalArgumentException(kind == Kind.DEFAULT ? "the default target has no id"
                    : "'" + id + "' is not a valid " + kind.name().toLowerCase() + " id (1-128 characters from "
                            + "[A-Za-z0-9._:-], first alphanumeric)");
        }
    }

    public static ThresholdTarget camera(String id) {
        return new ThresholdTarget(Kind.CAMERA, id);
    }

    public static ThresholdTarget line(String id) {
        return new ThresholdTarget(Kind.LINE, id);
    }

    /**
     * @throws IllegalArgumentException saying which forms are accepted
     */
    public static ThresholdTarget parse(String text) {
        if (text == null) {
            throw new IllegalArgumentException("target is missing; use 'default', 'line:<id>' or 'camera:<id>'");
        }
        if (text.equals(DEFAULT_KEY)) {
            return DEFAULT;
        }
        if (text.startsWith(CAMERA_PREFIX)) {
            return camera(text.substring(CAMERA_PREFIX.length()));
        }
        if (text.startsWith(LINE_PREFIX)) {
            return line(text.substring(LINE_PREFIX.length()));
        }
        throw new IllegalArgumentException("target '" + text + "' is not 'default', 'line:<id>' or 'camera:<id>'");
    }

    public static boolean isValidId(String id) {
        return id != null && ID.matcher(id).matches();
    }

    /** The broadcast-state key: {@code default}, {@code line:<id>} or {@code camera:<id>}. */
    public String key() {
        return switch (kind) {
            case DEFAULT -> DEFAULT_KEY;
            case LINE -> LINE_PREFIX + id;
            case CAMERA -> CAMERA_PREFIX + id;
        };
    }

    /** Whether this target's overrides apply to frames of {@code cameraId} on {@code line} (null: none). */
    public boolean covers(String cameraId, String line) {
        return switch (kind) {
            case DEFAULT -> true;
            case LINE -> id.equals(line);
            case CAMERA -> id.equals(cameraId);
        };
    }

    /**
     * Whether setting this target's image threshold would change it for a frame it {@link #covers}, whose image
     * threshold now comes from {@code source} (a key as in {@link EffectiveThresholds}, {@code model}, or null when
     * unknown): only when no more specific target sets it.
     */
    public boolean outranks(String source) {
        Kind from = source == null || !(source.startsWith(CAMERA_PREFIX) || source.startsWith(LINE_PREFIX))
                ? Kind.DEFAULT : source.startsWith(CAMERA_PREFIX) ? Kind.CAMERA : Kind.LINE;
        return from.ordinal() <= kind.ordinal();
    }

    public static String cameraKey(String cameraId) {
        return CAMERA_PREFIX + cameraId;
    }

    public static String lineKey(String lineId) {
        return LINE_PREFIX + lineId;
    }

    @Override
    public String toString() {
        return key();
    }
}
