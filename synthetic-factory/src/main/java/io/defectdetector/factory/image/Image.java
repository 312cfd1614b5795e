package io.defectdetector.factory.image;

import java.util.Arrays;

/**
 * An 8-bit image, rows top to bottom, channels interleaved (1 = gray, 3 = R,G,B): the same layout as the raw
 * wire format, so pixels can be published without conversion.
 */
public final class Image {
    private final int width;
    private final int height;
    private final int channels;
    private final byte[] pixels;

    public Image(int width, int height, int channels, byte[] pixels) {
        if (width < 1 || height < 1) {
            throw new IllegalArgumentException("image size must be positive, got " + width + "x" + height);
        }
        if (channels != 1 && channels != 3) {
            throw new IllegalArgumentException("channels must be 1 or 3, got " + channels);
        }
        if (pixels.length != width * height * channels) {
            throw new IllegalArgumentException("expected " + (width * height * channels) + " bytes for "
                    + width + "x" + height + "x" + channels + ", got " + pixels.length);
        }
        this.width = width;
        this.height = height;
        this.channels = channels;
        this.pixels = pixels;
    }

    public static Image blank(int width, int height, int channels) {
        return new Image(width, height, channels, new byte[width * height * channels]);
    }

    public int width() {
        return width;
    }

    public int height() {
        return height;
    }

    public int channels() {
        return channels;
    }

    /** The backing array (not a copy): callers that keep or publish it must not modify it. */
    public byte[] pixels() {
        return pixels;
    }

    public int get(int x, int y, int channel) {
        return pixels[(y * width + x) * channels + channel] & 0xff;
    }

    public Image copy() {
        return new Image(width, height, channels, pixels.clone());
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Image other && width == other.width && height == other.height
                && channels == other.channels && Arrays.equals(pixels, other.pixels);
    }

    @Override
    public int hashCode() {
        return 31 * (31 * (31 * width + height) + channels) + Arrays.hashCode(pixels);
    }

    @Override
    public String toString() {
        return "Image[" + width + "x" + height + "x" + channels + "]";
    }
}
