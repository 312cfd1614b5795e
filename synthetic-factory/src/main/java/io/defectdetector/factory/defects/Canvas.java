package io.defectdetector.factory.defects;

import io.defectdetector.factory.surface.Scene;

/** The light of one scene being defaced, with the blending operations the painters share. */
final class Canvas {
    final Scene scene;
    final float[] light;
    final int width;
    final int height;
    final int channels;
    final double scale;

    Canvas(Scene scene, float[] light) {
        this.scene = scene;
        this.light = light;
        this.width = scene.width();
        this.height = scene.height();
        this.channels = scene.channels();
        this.scale = scene.scale();
    }

    boolean inside(int x, int y) {
        return x >= 0 && y >= 0 && x < width && y < height;
    }

    /** Moves the pixel toward {@code target} (material colour, lit by the scene's illumination). */
    void blendLit(int x, int y, double alpha, double[] target) {
        if (alpha <= 0) {
            return;
        }
        int p = y * width + x;
        float g = scene.gain(p);
        int i = p * channels;
        for (int c = 0; c < channels; c++) {
            double t = target[Math.min(c, target.length - 1)] * g;
            light[i + c] += (float) (alpha * (t - light[i + c]));
        }
    }

    /** Moves the pixel toward an absolute colour that ignores the illumination (e.g. the dark behind a hole). */
    void blendAbsolute(int x, int y, double alpha, double[] target) {
        if (alpha <= 0) {
            return;
        }
        int i = (y * width + x) * channels;
        for (int c = 0; c < channels; c++) {
            double t = target[Math.min(c, target.length - 1)];
            light[i + c] += (float) (alpha * (t - light[i + c]));
        }
    }

    /** Multiplies the pixel by {@code factor} per channel, to the extent {@code alpha}. */
    void multiply(int x, int y, double alpha, double[] factor) {
        if (alpha <= 0) {
            return;
        }
        int i = (y * width + x) * channels;
        for (int c = 0; c < channels; c++) {
            double f = factor[Math.min(c, factor.length - 1)];
            light[i + c] *= (float) (1 + alpha * (f - 1));
        }
    }

    /** Mean colour of the undamaged material around (cx, cy), for picking contrasting contaminants. */
    double[] meanAround(double cx, double cy, double radius) {
        double[] sum = new double[channels];
        int n = 0;
        int r = (int) Math.ceil(radius);
        for (int y = (int) cy - r; y <= (int) cy + r; y++) {
            for (int x = (int) cx - r; x <= (int) cx + r; x++) {
                if (inside(x, y)) {
                    int i = (y * width + x) * channels;
                    for (int c = 0; c < channels; c++) {
                        sum[c] += light[i + c];
                    }
                    n++;
                }
            }
        }
        for (int c = 0; c < channels; c++) {
            sum[c] = n == 0 ? 128 : sum[c] / n;
        }
        return sum;
    }

    /** A point at least {@code margin} pixels inside the image. */
    double[] randomPoint(java.util.SplittableRandom rng, double margin) {
        double mx = Math.min(margin, width / 3.0);
        double my = Math.min(margin, height / 3.0);
        return new double[] {mx + rng.nextDouble() * (width - 2 * mx), my + rng.nextDouble() * (height - 2 * my)};
    }
}
