package io.defectdetector.factory.surface;

import io.defectdetector.factory.Seeds;

/**
 * Seeded 2-D gradient (Perlin-style) noise in about [-1, 1], and fractal sums of it. Only exact arithmetic and
 * a gradient table built with {@link StrictMath}, so results are bit-identical on every JVM.
 */
public final class GradientNoise {
    private static final int DIRECTIONS = 32;
    private static final double[] GX = new double[DIRECTIONS];
    private static final double[] GY = new double[DIRECTIONS];

    static {
        for (int i = 0; i < DIRECTIONS; i++) {
            double a = 2 * StrictMath.PI * (i + 0.5) / DIRECTIONS;
            GX[i] = StrictMath.cos(a);
            GY[i] = StrictMath.sin(a);
        }
    }

    private final long seed;

    public GradientNoise(long seed) {
        this.seed = Seeds.mix64(seed);
    }

    public double at(double x, double y) {
        double fx0 = Math.floor(x);
        double fy0 = Math.floor(y);
        long x0 = (long) fx0;
        long y0 = (long) fy0;
        double dx = x - fx0;
        double dy = y - fy0;
        double n00 = grad(x0, y0, dx, dy);
        double n10 = grad(x0 + 1, y0, dx - 1, dy);
        double n01 = grad(x0, y0 + 1, dx, dy - 1);
        double n11 = grad(x0 + 1, y0 + 1, dx - 1, dy - 1);
        double sx = fade(dx);
        double sy = fade(dy);
        double a = n00 + sx * (n10 - n00);
        double b = n01 + sx * (n11 - n01);
        return 1.4142 * (a + sy * (b - a));
    }

    /** Sum of {@code octaves} layers, each twice the frequency and half the amplitude; normalised to ~[-1, 1]. */
    public double fbm(double x, double y, int octaves) {
        double sum = 0;
        double amp = 1;
        double norm = 0;
        for (int o = 0; o < octaves; o++) {
            sum += amp * at(x + o * 17.31, y - o * 29.77);
            norm += amp;
            amp *= 0.5;
            x *= 2;
            y *= 2;
        }
        return sum / norm;
    }

    /** A value in [-1, 1) that depends only on the integer cell, e.g. per-thread or per-tile variation. */
    public double cell(long i, long j) {
        long h = Seeds.mix64(seed ^ (i * 0x9E3779B97F4A7C15L) ^ (j * 0xC2B2AE3D27D4EB4FL));
        return ((h >>> 11) * 0x1.0p-53) * 2 - 1;
    }

    private double grad(long xi, long yi, double dx, double dy) {
        long h = Seeds.mix64(seed ^ (xi * 0x9E3779B97F4A7C15L) ^ (yi * 0xC2B2AE3D27D4EB4FL));
        int k = (int) (h >>> 59);
        return GX[k] * dx + GY[k] * dy;
    }

    private static double fade(double t) {
        return t * t * t * (t * (t * 6 - 15) + 10);
    }
}
