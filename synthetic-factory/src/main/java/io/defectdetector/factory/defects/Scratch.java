package io.defectdetector.factory.defects;

import java.util.SplittableRandom;

/**
 * A scratch: a thin, slightly curved line, tapered at both ends, either bright (bare material catching the
 * light, typical on metal) or dark (a groove in shadow).
 */
final class Scratch implements DefectPainter {
    @Override
    public void paint(Canvas cv, SplittableRandom rng) {
        double s = cv.scale;
        double len = (25 + 115 * rng.nextDouble()) * s;
        double angle = rng.nextDouble() * StrictMath.PI;
        double[] c = cv.randomPoint(rng, 20 * s);
        double hx = StrictMath.cos(angle) * len / 2;
        double hy = StrictMath.sin(angle) * len / 2;
        double bend = (rng.nextDouble() * 2 - 1) * 0.25 * len;
        double halfWidth = (0.45 + 1.1 * rng.nextDouble()) * s;
        double strength = 0.12 + 0.88 * rng.nextDouble() * rng.nextDouble();
        boolean bright = rng.nextDouble() < (cv.channels == 1 && cv.scene.surface().exposedColor()[0] > 200 ? 0.65
                : 0.5);
        double[] darkFactor = {0.35, 0.33, 0.30};

        Stroke stroke = new Stroke();
        int n = Math.max(8, (int) (len / 2));
        for (int i = 0; i <= n; i++) {
            double t = (double) i / n;
            // quadratic Bezier with the control point pushed sideways by `bend`
            double bx = -hx + 2 * hx * t;
            double by = -hy + 2 * hy * t;
            double lift = 4 * t * (1 - t) * bend;
            double taper = Math.min(1, Math.min(t, 1 - t) * 6 + 0.25);
            stroke.add(c[0] + bx - StrictMath.sin(angle) * lift, c[1] + by + StrictMath.cos(angle) * lift,
                    halfWidth * taper, t);
        }
        double[] d = new double[2];
        double[] exposed = cv.scene.surface().exposedColor();
        for (int y = Math.max(0, stroke.minY(1)); y <= Math.min(cv.height - 1, stroke.maxY(1)); y++) {
            for (int x = Math.max(0, stroke.minX(1)); x <= Math.min(cv.width - 1, stroke.maxX(1)); x++) {
                stroke.distance(x + 0.5, y + 0.5, d);
                double cover = Math.max(0, Math.min(1, 0.5 - d[0]));
                if (cover <= 0) {
                    continue;
                }
                double fade = Math.min(1, Math.min(d[1], 1 - d[1]) * 8 + 0.3);
                double alpha = cover * fade * strength;
                if (bright) {
                    cv.blendLit(x, y, alpha, exposed);
                } else {
                    cv.multiply(x, y, alpha, darkFactor);
                }
            }
        }
    }
}
