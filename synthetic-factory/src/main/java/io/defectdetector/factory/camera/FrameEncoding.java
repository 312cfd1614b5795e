package io.defectdetector.factory.camera;

import io.defectdetector.frame.ContentType;
import java.util.Locale;

/**
 * How the simulator sends pixels: raw samples (gray or RGB by the product's channels), PNG or JPEG. The
 * product decides gray versus colour, so the user only picks the encoding.
 */
public enum FrameEncoding {
    RAW,
    PNG,
    JPEG;

    public ContentType contentType(int channels) {
        return switch (this) {
            case RAW -> ContentType.rawFor(channels);
            case PNG -> ContentType.PNG;
            case JPEG -> ContentType.JPEG;
        };
    }

    public static FrameEncoding fromId(String id) {
        String s = id.trim().toLowerCase(Locale.ROOT);
        return switch (s) {
            case "raw", "image/x-raw-gray8", "image/x-raw-rgb8" -> RAW;
            case "png", "image/png" -> PNG;
            case "jpeg", "jpg", "image/jpeg" -> JPEG;
            default -> throw new IllegalArgumentException("unknown content type '" + id + "'; use raw, png or jpeg");
        };
    }

    @Override
    public String toString() {
        return name().toLowerCase(Locale.ROOT);
    }
}
