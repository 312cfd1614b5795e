package io.defectdetector.job.testing;

import io.defectdetector.frame.Frame;
import java.util.Arrays;
import java.util.Random;

/** Decoded frames built in memory. */
public final class TestingFrames {
    public static final long CAPTURE_TIME = 1_764_057_600_000L;

    private TestingFrames() {
    }

    /** A uniform gray frame. */
    public static Frame gray(String frameId, int width, int height, int value) {
        byte[] px = new byte[width * height];
        Arrays.fill(px, (byte) value);
        return new Frame("cam-1", frameId, CAPTURE_TIME, "line-a", width, height, 1, px);
    }

    /** A uniform RGB frame. */
    public static Frame rgb(String frameId, int width, int height, int r, int g, int b) {
        byte[] px = new byte[width * height * 3];
        for (int i = 0; i < width * height; i++) {
            px[3 * i] = (byte) r;
            px[3 * i + 1] = (byte) g;
            px[3 * i + 2] = (byte) b;
        }
        return new Frame("cam-1", frameId, CAPTURE_TIME, "line-a", width, height, 3, px);
    }

    /** A frame with pseudo-random samples (fixed seed per call site). */
    public static Frame random(String frameId, int width, int height, int channels, long seed) {
        byte[] px = new byte[width * height * channels];
        new Random(seed).nextBytes(px);
        return new Frame("cam-1", frameId, CAPTURE_TIME, null, width, height, channels, px);
    }
}
