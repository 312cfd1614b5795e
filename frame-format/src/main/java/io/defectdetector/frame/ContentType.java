package io.defectdetector.frame;

import java.util.Locale;
import java.util.Optional;

/** The four value encodings of a frame record (header {@code content-type}). */
public enum ContentType {
    RAW_GRAY8("image/x-raw-gray8", 1),
    RAW_RGB8("image/x-raw-rgb8", 3),
    PNG("image/png"),
    JPEG("image/jpeg");

    private final String mimeType;
    /** Samples per pixel for raw types; 0 for encoded types, whose file header says it. */
    private final int rawChannels;

    ContentType(String mimeType, int rawChannels) {
        this.mimeType = mimeType;
        this.rawChannels = rawChannels;
    }

    ContentType(String mimeType) {
        this(mimeType, 0);
    }

    public String mimeType() {
        return mimeType;
    }

    public boolean isRaw() {
        return rawChannels > 0;
    }

    /** Channels of a raw type (1 or 3); 0 for PNG and JPEG. */
    public int rawChannels() {
        return rawChannels;
    }

    /** Case-insensitive, surrounding whitespace ignored; empty for null or unknown values. */
    public static Optional<ContentType> parse(String value) {
        if (value == null) {
            return Optional.empty();
        }
        String wanted = value.trim().toLowerCase(Locale.ROOT);
        for (ContentType type : values()) {
            if (type.mimeType.equals(wanted)) {
                return Optional.of(type);
            }
        }
        return Optional.empty();
    }

    /** The raw type that carries {@code channels} samples per pixel. */
    public static ContentType rawFor(int channels) {
        return switch (channels) {
            case 1 -> RAW_GRAY8;
            case 3 -> RAW_RGB8;
            default -> throw new IllegalArgumentException("channels must be 1 or 3, got " + channels);
        };
    }

    @Override
    public String toString() {
        return mimeType;
    }
}
