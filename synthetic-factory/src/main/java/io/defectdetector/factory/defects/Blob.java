package io.defectdetector.factory.defects;

import io.defectdetector.factory.surface.GradientNoise;
import java.util.SplittableRandom;

/**
 * An irregular roundish region: an ellipse whose radius wobbles with the angle (seamless noise around the
 * circle). {@link #distance} is an approximate signed distance to its edge, good enough for soft edges.
 */
final class Blob {
    final double cx;
    final double cy;
    final double radius;
    private final double aspect;
    private final double cos;
    private final double sin;
    private final double roughness;
    private final double frequency;
    private final GradientNoise edge;

    Blob(double cx, double cy, double radius, SplittableRandom rng, double maxRoughness) {
        this.cx = cx;
        this.cy = cy;
        this.radius = radius;
        this.aspect = 0.55 + 0.45 * rng.nextDouble();
        double a = rng.nextDouble() * StrictMath.PI;
        this.cos = StrictMath.cos(a);
        this.sin = StrictMath.sin(a);
        this.roughness = maxRoughness * (0.3 + 0.7 * rng.nextDouble());
        this.frequency = 1.0 + 1.5 * rng.nextDouble();
        this.edge = new GradientNoise(rng.nextLong());
    }

    int extent() {
        return (int) Math.ceil(radius * (1 + roughness) + 3);
    }

    double distance(double x, double y) {
        double dx = x - cx;
        double dy = y - cy;
        double lx = cos * dx + sin * dy;
        double ly = (-sin * dx + cos * dy) / aspect;
        double r = Math.sqrt(lx * lx + ly * ly);
        double wobble = 1;
        if (r > 1e-9) {
            // (lx, ly)/r is a point on the unit circle: sampling noise there makes the wobble seamless.
            wobble = 1 + roughness * edge.fbm(lx / r * frequency + 10, ly / r * frequency + 10, 3);
        }
        return (r - radius * wobble) * Math.min(1, 0.5 + 0.5 * aspect);
    }
}
