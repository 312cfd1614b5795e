package io.defectdetector.frame;

/**
 * Size limits applied before (bytes, header dimensions) and after decoding.
 *
 * @param maxBytes   largest accepted record value
 * @param maxSide    largest accepted width or height, in pixels
 * @param maxSamples largest accepted {@code width*height*channels}
 */
public record FrameLimits(int maxBytes, int maxSide, long maxSamples) {
    public static final int DEFAULT_MAX_BYTES = 16 * 1024 * 1024;
    public static final int DEFAULT_MAX_SIDE = 16384;
    public static final long DEFAULT_MAX_SAMPLES = 64L * 1024 * 1024;

    public FrameLimits {
        if (maxBytes <= 0 || maxSide <= 0 || maxSamples <= 0) {
            throw new IllegalArgumentException(
                    "frame limits must be positive: maxBytes=" + maxBytes + ", maxSide=" + maxSide
                            + ", maxSamples=" + maxSamples);
        }
    }

    public static FrameLimits defaults() {
        return new FrameLimits(DEFAULT_MAX_BYTES, DEFAULT_MAX_SIDE, DEFAULT_MAX_SAMPLES);
    }
}
