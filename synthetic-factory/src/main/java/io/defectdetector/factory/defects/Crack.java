package io.defectdetector.factory.defects;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/** A crack: a jagged, dark, wandering line with an occasional branch, narrowing toward its tips. */
final class Crack implements DefectPainter {
    @Override
    public void paint(Canvas cv, SplittableRandom rng) {
        double s = cv.scale;
        double[] start = cv.randomPoint(rng, 24 * s);
        double heading = rng.nextDouble() * 2 * StrictMath.PI;
        double length = (30 + 100 * rng.nextDouble()) * s;
        double width = (0.35 + 0.9 * rng.nextDouble()) * s;
        double darkness = 0.25 + 0.6 * rng.nextDouble() * rng.nextDouble(); // fraction of light that remains

        List<Stroke> strokes = new ArrayList<>();
        walk(strokes, rng, start[0], start[1], heading, length, width, s, 2);
        double[] factor = {darkness, darkness * 0.97, darkness * 0.95};
        double[] d = new double[2];
        for (Stroke stroke : strokes) {
            for (int y = Math.max(0, stroke.minY(1)); y <= Math.min(cv.height - 1, stroke.maxY(1)); y++) {
                for (int x = Math.max(0, stroke.minX(1)); x <= Math.min(cv.width - 1, stroke.maxX(1)); x++) {
                    stroke.distance(x + 0.5, y + 0.5, d);
                    double cover = Math.max(0, Math.min(1, 0.5 - d[0]));
                    cv.multiply(x, y, cover, factor);
                }
            }
        }
    }

    private static void walk(List<Stroke> out, SplittableRandom rng, double x, double y, double heading,
            double length, double width, double s, int branches) {
        Stroke stroke = new Stroke();
        double step = 1.6 * s;
        int steps = Math.max(4, (int) (length / step));
        double dir = heading;
        for (int i = 0; i <= steps; i++) {
            double t = (double) i / steps;
            stroke.add(x, y, Math.max(0.3 * s, width * (1 - 0.8 * t)), t);
            // jagged: big random turns, pulled back toward the main heading
            dir += (rng.nextDouble() * 2 - 1) * 0.7;
            dir = heading + 0.75 * (dir - heading);
            x += StrictMath.cos(dir) * step;
            y += StrictMath.sin(dir) * step;
            if (branches > 0 && i > 2 && i < steps - 4 && rng.nextDouble() < 0.035) {
                branches--;
                double side = rng.nextBoolean() ? 1 : -1;
                walk(out, rng, x, y, dir + side * (0.5 + 0.6 * rng.nextDouble()), length * (1 - t) * 0.5,
                        width * 0.6, s, 0);
            }
        }
        out.add(stroke);
    }
}
