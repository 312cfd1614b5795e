package io.defectdetector.job.scoring;

import java.nio.FloatBuffer;

/**
 * The Java fallback for models that output only a reconstruction (card {@code score.source = "java-fallback"}):
 * error = per-pixel squared difference averaged over channels, score = the map's maximum.
 */
public final class ReconstructionError {

    private ReconstructionError() {
    }

    /**
     * Computes the error map of image {@code index} of two NCHW batches into {@code dst} ({@code height*width}
     * floats) and returns its maximum, the image score. Reads with absolute gets: buffer positions are unchanged.
     */
    public static float squaredErrorMap(FloatBuffer input, FloatBuffer reconstruction, int index, int channels,
            int height, int width, float[] dst) {
        int plane = height * width;
        if (dst.length < plane) {
            throw new IllegalArgumentException("error map needs " + plane + " floats, got " + dst.length);
        }
        int base = index * channels * plane;
        float max = Float.NEGATIVE_INFINITY;
        for (int p = 0; p < plane; p++) {
            float sum = 0f;
            for (int c = 0; c < channels; c++) {
                int i = base + c * plane + p;
                float d = input.get(i) - reconstruction.get(i);
                sum += d * d;
            }
            float e = sum / channels;
            dst[p] = e;
            if (e > max) {
                max = e;
            }
        }
        return max;
    }

    /** Array form of {@link #squaredErrorMap(FloatBuffer, FloatBuffer, int, int, int, int, float[])}. */
    public static float squaredErrorMap(float[] input, float[] reconstruction, int channels, int height, int width,
            float[] dst) {
        return squaredErrorMap(FloatBuffer.wrap(input), FloatBuffer.wrap(reconstruction), 0, channels, height,
                width, dst);
    }
}
