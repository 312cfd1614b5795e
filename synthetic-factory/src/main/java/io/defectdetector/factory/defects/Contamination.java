package io.defectdetector.factory.defects;

import io.defectdetector.factory.surface.GradientNoise;
import java.util.SplittableRandom;

/**
 * Contamination: foreign matter on the surface. Mostly a particle or a smear of a colour (or, in gray, an
 * intensity) that does not belong; sometimes a stray fibre or hair.
 */
final class Contamination implements DefectPainter {
    private static final double[][] COLOURS = {
        {40, 70, 170}, // blue ink
        {175, 35, 30}, // red paint
        {25, 25, 25}, // soot
        {240, 240, 232}, // dust / powder
        {150, 70, 25}, // rust flake
        {60, 150, 200}, // coolant
    };

    @Override
    public void paint(Canvas cv, SplittableRandom rng) {
        double s = cv.scale;
        boolean fibre = rng.nextDouble() < 0.3;
        double[] c = cv.randomPoint(rng, 16 * s);
        double[] local = cv.meanAround(c[0], c[1], 8 * s);
        double[] colour = pick(cv, rng, local);
        double opacity = 0.35 + 0.65 * rng.nextDouble();
        GradientNoise texture = new GradientNoise(rng.nextLong());
        if (fibre) {
            paintFibre(cv, rng, c, colour, opacity, s);
            return;
        }
        double radius = (2.5 + 14 * rng.nextDouble() * rng.nextDouble()) * s;
        Blob blob = new Blob(c[0], c[1], radius, rng, 0.5);
        int e = blob.extent();
        double[] shade = colour.clone();
        for (int y = Math.max(0, (int) c[1] - e); y <= Math.min(cv.height - 1, (int) c[1] + e); y++) {
            for (int x = Math.max(0, (int) c[0] - e); x <= Math.min(cv.width - 1, (int) c[0] + e); x++) {
                double cover = Math.max(0, Math.min(1, 0.5 - blob.distance(x + 0.5, y + 0.5)));
                if (cover <= 0) {
                    continue;
                }
                double t = 1 + 0.18 * texture.fbm(x / (2.5 * s), y / (2.5 * s), 2);
                for (int k = 0; k < shade.length; k++) {
                    shade[k] = colour[k] * t;
                }
                cv.blendLit(x, y, cover * opacity, shade);
            }
        }
    }

    private static void paintFibre(Canvas cv, SplittableRandom rng, double[] c, double[] colour, double opacity,
            double s) {
        GradientNoise curl = new GradientNoise(rng.nextLong());
        double length = (40 + 110 * rng.nextDouble()) * s;
        double dir = rng.nextDouble() * 2 * StrictMath.PI;
        double halfWidth = (0.35 + 0.45 * rng.nextDouble()) * s;
        Stroke stroke = new Stroke();
        double x = c[0];
        double y = c[1];
        int steps = (int) (length / s);
        for (int i = 0; i <= steps; i++) {
            stroke.add(x, y, halfWidth, (double) i / steps);
            double turn = 0.9 * curl.at(i * 0.05, 3.3);
            x += StrictMath.cos(dir + turn) * s;
            y += StrictMath.sin(dir + turn) * s;
        }
        double[] d = new double[2];
        for (int py = Math.max(0, stroke.minY(1)); py <= Math.min(cv.height - 1, stroke.maxY(1)); py++) {
            for (int px = Math.max(0, stroke.minX(1)); px <= Math.min(cv.width - 1, stroke.maxX(1)); px++) {
                stroke.distance(px + 0.5, py + 0.5, d);
                double cover = Math.max(0, Math.min(1, 0.5 - d[0]));
                cv.blendLit(px, py, cover * opacity, colour);
            }
        }
    }

    /** A colour far from the local material, so the particle is foreign by construction. */
    private static double[] pick(Canvas cv, SplittableRandom rng, double[] local) {
        if (cv.channels == 1) {
            double lum = local[0];
            boolean brighter = lum < 90 || (lum < 200 && rng.nextBoolean());
            double delta = 30 + 90 * rng.nextDouble();
            return new double[] {brighter ? Math.min(255, lum + delta) : Math.max(5, lum - delta)};
        }
        double[] best = COLOURS[0];
        for (int tries = 0; tries < 8; tries++) {
            double[] cand = COLOURS[rng.nextInt(COLOURS.length)];
            double dist = Math.abs(cand[0] - local[0]) + Math.abs(cand[1] - local[1]) + Math.abs(cand[2] - local[2]);
            best = cand;
            if (dist > 120) {
                break;
            }
        }
        return best;
    }
}
