package io.defectdetector.frame;

import java.util.Arrays;
import java.util.Objects;

/**
 * A decoded, validated camera frame. A Flink POJO (public no-arg constructor, getters and setters), so it
 * travels between operators without Kryo.
 *
 * <p>{@code pixels} holds {@code width*height*channels} unsigned 8-bit samples, rows top to bottom, RGB
 * interleaved when {@code channels == 3}. The array is not copied by the constructor or the accessors: frames
 * are handed from operator to operator, and copying megabytes per frame would dominate the cost.
 */
public class Frame {
    private String cameraId;
    private String frameId;
    private long captureTimeMs;
    private String line;
    private int width;
    private int height;
    private int channels;
    private byte[] pixels;

    public Frame() {
    }

    public Frame(String cameraId, String frameId, long captureTimeMs, String line, int width, int height,
            int channels, byte[] pixels) {
        this.cameraId = cameraId;
        this.frameId = frameId;
        this.captureTimeMs = captureTimeMs;
        this.line = line;
        this.width = width;
        this.height = height;
        this.channels = channels;
        this.pixels = pixels;
    }

    public String getCameraId() {
        return cameraId;
    }

    public void setCameraId(String cameraId) {
        this.cameraId = cameraId;
    }

    public String getFrameId() {
        return frameId;
    }

    public void setFrameId(String frameId) {
        this.frameId = frameId;
    }

    public long getCaptureTimeMs() {
        return captureTimeMs;
    }

    public void setCaptureTimeMs(long captureTimeMs) {
        this.captureTimeMs = captureTimeMs;
    }

    /** Production line id, or null when the record had no {@code line} header. */
    public String getLine() {
        return line;
    }

    public void setLine(String line) {
        this.line = line;
    }

    public int getWidth() {
        return width;
    }

    public void setWidth(int width) {
        this.width = width;
    }

    public int getHeight() {
        return height;
    }

    public void setHeight(int height) {
        this.height = height;
    }

    public int getChannels() {
        return channels;
    }

    public void setChannels(int channels) {
        this.channels = channels;
    }

    public byte[] getPixels() {
        return pixels;
    }

    public void setPixels(byte[] pixels) {
        this.pixels = pixels;
    }

    /** Sample {@code c} of pixel (x, y) as 0..255. */
    public int sample(int x, int y, int c) {
        return pixels[(y * width + x) * channels + c] & 0xFF;
    }

    @Override
    public boolean equals(Object o) {
        if (this == o) {
            return true;
        }
        if (!(o instanceof Frame other)) {
            return false;
        }
        return captureTimeMs == other.captureTimeMs
                && width == other.width
                && height == other.height
                && channels == other.channels
                && Objects.equals(cameraId, other.cameraId)
                && Objects.equals(frameId, other.frameId)
                && Objects.equals(line, other.line)
                && Arrays.equals(pixels, other.pixels);
    }

    @Override
    public int hashCode() {
        int result = Objects.hash(cameraId, frameId, captureTimeMs, line, width, height, channels);
        return 31 * result + Arrays.hashCode(pixels);
    }

    @Override
    public String toString() {
        return "Frame{cameraId=" + cameraId + ", frameId=" + frameId + ", captureTimeMs=" + captureTimeMs
                + ", line=" + line + ", " + width + "x" + height + "x" + channels
                + ", pixels=" + (pixels == null ? "null" : pixels.length + " bytes") + "}";
    }
}
