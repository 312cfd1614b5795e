package io.defectdetector.factory.defects;

import io.defectdetector.factory.surface.GradientNoise;
import java.util.SplittableRandom;

/**
 * A hole: material missing, so the camera sees the dark conveyor behind it, with a torn, shadowed rim; the
 * dark does not follow the surface's illumination.
 */
final class Hole implements DefectPainter {
    @Override
    public void paint(Canvas cv, SplittableRandom rng) {
        double s = cv.scale;
        double radius = (2.5 + 13 * rng.nextDouble() * rng.nextDouble()) * s;
        double[] c = cv.randomPoint(rng, radius + 4 * s);
        Blob blob = new Blob(c[0], c[1], radius, rng, 0.45);
        double depth = 10 + 35 * rng.nextDouble();
        double[] behind = cv.channels == 1 ? new double[] {depth} : new double[] {depth, depth * 0.95, depth * 1.1};
        double[] shadow = {0.55, 0.55, 0.55};
        double rimWidth = (1 + 1.5 * rng.nextDouble()) * s;
        GradientNoise fray = new GradientNoise(rng.nextLong());
        int e = blob.extent() + (int) Math.ceil(rimWidth) + 2;
        for (int y = Math.max(0, (int) c[1] - e); y <= Math.min(cv.height - 1, (int) c[1] + e); y++) {
            for (int x = Math.max(0, (int) c[0] - e); x <= Math.min(cv.width - 1, (int) c[0] + e); x++) {
                double d = blob.distance(x + 0.5, y + 0.5) + 0.8 * s * fray.at(x / (1.5 * s), y / (1.5 * s));
                double rim = Math.max(0, Math.min(1, (rimWidth - d) / rimWidth)) * 0.8;
                cv.multiply(x, y, d < rimWidth ? rim : 0, shadow);
                double inside = Math.max(0, Math.min(1, 0.5 - d));
                double[] deep = behind.clone();
                for (int k = 0; k < deep.length; k++) {
                    deep[k] *= 0.8 + 0.4 * Math.min(1, Math.max(0, -d / (radius + 1e-9)));
                }
                cv.blendAbsolute(x, y, inside, deep);
            }
        }
    }
}
