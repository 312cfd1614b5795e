package io.defectdetector.factory.defects;

import io.defectdetector.factory.surface.Pattern;
import io.defectdetector.factory.surface.Pose;
import io.defectdetector.factory.surface.Surface;
import java.util.SplittableRandom;

/**
 * A misprint: inside a rectangular patch the product's own pattern is shifted (and for some materials
 * rotated) against the rest — a misweave, a misaligned tile, a misregistered print or patch.
 */
final class Misprint implements DefectPainter {
    @Override
    public void paint(Canvas cv, SplittableRandom rng) {
        double s = cv.scale;
        Surface.Misalignment m = cv.scene.surface().misalignment(rng);
        double w = (22 + 70 * rng.nextDouble()) * s;
        double h = (22 + 70 * rng.nextDouble()) * s;
        double[] c = cv.randomPoint(rng, Math.max(w, h) / 2);
        int x0 = Math.max(0, (int) Math.round(c[0] - w / 2));
        int y0 = Math.max(0, (int) Math.round(c[1] - h / 2));
        int x1 = Math.min(cv.width - 1, (int) Math.round(c[0] + w / 2));
        int y1 = Math.min(cv.height - 1, (int) Math.round(c[1] + h / 2));

        Pose pose = cv.scene.pose();
        Pattern pattern = cv.scene.pattern();
        double cu = pose.u(c[0], c[1]);
        double cvv = pose.v(c[0], c[1]);
        double a = StrictMath.toRadians(m.rotationDegrees());
        double cos = StrictMath.cos(a);
        double sin = StrictMath.sin(a);
        double[] px = new double[cv.channels];
        for (int y = y0; y <= y1; y++) {
            for (int x = x0; x <= x1; x++) {
                double u = pose.u(x + 0.5, y + 0.5) - cu;
                double v = pose.v(x + 0.5, y + 0.5) - cvv;
                pattern.sample(cu + cos * u - sin * v + m.dx(), cvv + sin * u + cos * v + m.dy(), px);
                int p = y * cv.width + x;
                float g = cv.scene.gain(p);
                for (int k = 0; k < cv.channels; k++) {
                    cv.light[p * cv.channels + k] = (float) (px[k] * g);
                }
            }
        }
    }
}
