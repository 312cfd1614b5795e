package io.defectdetector.factory.surface;

import java.util.SplittableRandom;

/**
 * Glazed ceramic tiles, gray: a square grid of tiles with bevelled edges, each a slightly different shade with
 * a mottled glaze and fine speckles, separated by rough grout.
 */
final class TilesSurface implements Surface {
    static final double TILE = 64.0;
    static final double GROUT = 5.0;

    @Override
    public int channels() {
        return 1;
    }

    @Override
    public Pattern newPattern(SplittableRandom rng) {
        double offU = rng.nextDouble() * TILE;
        double offV = rng.nextDouble() * TILE;
        long batch = rng.nextLong();
        GradientNoise shade = new GradientNoise(batch);
        GradientNoise glaze = new GradientNoise(rng.nextLong());
        GradientNoise sand = new GradientNoise(rng.nextLong());
        double tileBase = 196 + 12 * rng.nextDouble();
        double groutBase = 105 + 15 * rng.nextDouble();
        return (u0, v0, out) -> {
            double u = u0 + offU;
            double v = v0 + offV;
            double iu = Math.floor(u / TILE);
            double iv = Math.floor(v / TILE);
            double fu = u - iu * TILE;
            double fv = v - iv * TILE;
            // distance from the grout centre line (grout straddles the multiples of TILE)
            double du = Math.min(fu, TILE - fu);
            double dv = Math.min(fv, TILE - fv);
            double edge = Math.min(du, dv);
            double half = GROUT / 2;
            double tileCover = smooth(half - 0.6, half + 0.6, edge);
            double bevel = smooth(half, half + 3.5, edge);
            double tile = tileBase * (1 + 0.035 * shade.cell((long) iu, (long) iv))
                    + 6 * glaze.fbm(u / 30, v / 30, 3);
            double speck = glaze.at(u / 1.6 + 500, v / 1.6);
            if (speck > 0.62) {
                tile -= (speck - 0.62) * 90;
            }
            tile *= 0.80 + 0.20 * bevel;
            double grout = groutBase + 10 * sand.at(u / 1.8, v / 1.8) + 7 * sand.at(u / 6 + 99, v / 6);
            out[0] = grout + (tile - grout) * tileCover;
        };
    }

    @Override
    public double maxShift() {
        return 0; // the grid phase is already random per piece
    }

    @Override
    public Misalignment misalignment(SplittableRandom rng) {
        double d = 6 + 8 * rng.nextDouble();
        return rng.nextBoolean() ? new Misalignment(d, d * 0.3 * rng.nextDouble(), 0)
                : new Misalignment(d * 0.3 * rng.nextDouble(), d, 0);
    }

    @Override
    public double[] exposedColor() {
        return new double[] {150};
    }

    static double smooth(double e0, double e1, double x) {
        double t = Math.max(0, Math.min(1, (x - e0) / (e1 - e0)));
        return t * t * (3 - 2 * t);
    }
}
