package io.defectdetector.factory.defects;

import io.defectdetector.factory.surface.GradientNoise;
import java.util.SplittableRandom;

/**
 * A stain: a soft, irregular, translucent spot that darkens and tints the surface (oil, water, rust), sometimes
 * with the darker rim a drying liquid leaves.
 */
final class Stain implements DefectPainter {
    private static final double[][] TINTS = {
        {0.70, 0.62, 0.45}, // rust / coffee
        {0.62, 0.62, 0.66}, // oil
        {0.80, 0.74, 0.55}, // water with dirt
        {1.18, 1.12, 1.02}, // bleached
    };

    @Override
    public void paint(Canvas cv, SplittableRandom rng) {
        double s = cv.scale;
        double radius = (5 + 27 * rng.nextDouble()) * s;
        double[] c = cv.randomPoint(rng, radius * 0.6);
        Blob blob = new Blob(c[0], c[1], radius, rng, 0.35);
        double soft = (1 + 3 * rng.nextDouble()) * s;
        double opacity = 0.2 + 0.8 * rng.nextDouble() * rng.nextDouble();
        boolean ring = rng.nextDouble() < 0.4;
        double[] tint = TINTS[rng.nextInt(TINTS.length)].clone();
        if (cv.channels == 1) {
            tint = new double[] {(tint[0] + tint[1] + tint[2]) / 3};
        }
        GradientNoise mottle = new GradientNoise(rng.nextLong());
        int e = blob.extent();
        for (int y = Math.max(0, (int) c[1] - e); y <= Math.min(cv.height - 1, (int) c[1] + e); y++) {
            for (int x = Math.max(0, (int) c[0] - e); x <= Math.min(cv.width - 1, (int) c[0] + e); x++) {
                double d = blob.distance(x + 0.5, y + 0.5);
                double inside = Math.max(0, Math.min(1, 0.5 - d / soft));
                if (inside <= 0) {
                    continue;
                }
                double rim = ring ? 0.6 * Math.max(0, 1 - Math.abs(d + 1.5 * s) / (2 * s)) : 0;
                double alpha = inside * opacity * (0.75 + 0.25 * mottle.at(x / (6 * s), y / (6 * s))) + rim * opacity;
                cv.multiply(x, y, Math.min(1, alpha), tint);
            }
        }
    }
}
