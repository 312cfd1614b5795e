package io.defectdetector.factory.defects;

import java.util.ArrayList;
import java.util.List;

/**
 * Thin line-like shapes (scratches, cracks, fibres) as chains of segments with a half-width at each point;
 * {@link #distance} gives the distance from a pixel to the stroke's edge and how far along the stroke it is.
 */
final class Stroke {
    private final List<double[]> points = new ArrayList<>(); // x, y, half-width, position along [0, 1]
    private double minX = Double.MAX_VALUE;
    private double minY = Double.MAX_VALUE;
    private double maxX = -Double.MAX_VALUE;
    private double maxY = -Double.MAX_VALUE;
    private double maxHalfWidth;

    void add(double x, double y, double halfWidth, double along) {
        points.add(new double[] {x, y, halfWidth, along});
        minX = Math.min(minX, x);
        minY = Math.min(minY, y);
        maxX = Math.max(maxX, x);
        maxY = Math.max(maxY, y);
        maxHalfWidth = Math.max(maxHalfWidth, halfWidth);
    }

    int size() {
        return points.size();
    }

    double[] point(int i) {
        return points.get(i);
    }

    int minX(double pad) {
        return (int) Math.floor(minX - maxHalfWidth - pad);
    }

    int minY(double pad) {
        return (int) Math.floor(minY - maxHalfWidth - pad);
    }

    int maxX(double pad) {
        return (int) Math.ceil(maxX + maxHalfWidth + pad);
    }

    int maxY(double pad) {
        return (int) Math.ceil(maxY + maxHalfWidth + pad);
    }

    /** {signed distance to the edge (negative inside), position along the stroke} for the point (x, y). */
    double[] distance(double x, double y, double[] out) {
        double best = Double.MAX_VALUE;
        double along = 0;
        for (int i = 0; i + 1 < points.size(); i++) {
            double[] a = points.get(i);
            double[] b = points.get(i + 1);
            double dx = b[0] - a[0];
            double dy = b[1] - a[1];
            double len2 = dx * dx + dy * dy;
            double t = len2 == 0 ? 0 : Math.max(0, Math.min(1, ((x - a[0]) * dx + (y - a[1]) * dy) / len2));
            double ex = x - (a[0] + t * dx);
            double ey = y - (a[1] + t * dy);
            double d = Math.sqrt(ex * ex + ey * ey) - (a[2] + t * (b[2] - a[2]));
            if (d < best) {
                best = d;
                along = a[3] + t * (b[3] - a[3]);
            }
        }
        out[0] = best;
        out[1] = along;
        return out;
    }
}
