package io.defectdetector.factory.surface;

import java.util.SplittableRandom;

/**
 * Plain-woven fabric, gray: warp threads run vertically, weft horizontally, each passing over then under the
 * other. A thread is brightest along its crown and dips where it goes under; yarns differ slightly in
 * brightness, carry fibre streaks along their length, and the whole weave wanders a little.
 */
final class FabricSurface implements Surface {
    static final double PERIOD = 8.0;

    @Override
    public int channels() {
        return 1;
    }

    @Override
    public Pattern newPattern(SplittableRandom rng) {
        double offU = rng.nextDouble() * 4096;
        double offV = rng.nextDouble() * 4096;
        double tone = 0.96 + 0.08 * rng.nextDouble();
        GradientNoise wander = new GradientNoise(rng.nextLong());
        GradientNoise fibre = new GradientNoise(rng.nextLong());
        GradientNoise yarn = new GradientNoise(rng.nextLong());
        return (u0, v0, out) -> {
            double u = u0 + offU;
            double v = v0 + offV;
            double a = u / PERIOD + 0.10 * wander.at(u / 70, v / 90);
            double b = v / PERIOD + 0.10 * wander.at(u / 90 + 50, v / 70);
            double ia = Math.floor(a);
            double ib = Math.floor(b);
            double fu = a - ia;
            double fv = b - ib;
            boolean warpOver = (((long) ia + (long) ib) & 1L) == 0;
            double value;
            if (warpOver) {
                double across = Math.sqrt(StrictMath.sin(Math.PI * fu));
                double along = 0.78 + 0.22 * StrictMath.sin(Math.PI * fv);
                double thread = 1 + 0.06 * yarn.cell((long) ia, 1) + 0.05 * yarn.at(ia * 3.1, v / 40);
                double streak = 0.10 * fibre.at(u * 1.3, v * 0.12) + 0.05 * fibre.at(u * 3.0, v * 0.4);
                value = 178 * thread * (0.38 + 0.62 * across) * along * (1 + streak);
            } else {
                double across = Math.sqrt(StrictMath.sin(Math.PI * fv));
                double along = 0.78 + 0.22 * StrictMath.sin(Math.PI * fu);
                double thread = 1 + 0.06 * yarn.cell((long) ib, 2) + 0.05 * yarn.at(u / 40, ib * 3.1);
                double streak = 0.10 * fibre.at(u * 0.12, v * 1.3) + 0.05 * fibre.at(u * 0.4, v * 3.0);
                value = 150 * thread * (0.38 + 0.62 * across) * along * (1 + streak);
            }
            out[0] = value * tone;
        };
    }

    @Override
    public Misalignment misalignment(SplittableRandom rng) {
        // Half a thread period swaps over and under: a misweave.
        double d = PERIOD * (0.4 + 0.2 * rng.nextDouble());
        return rng.nextBoolean() ? new Misalignment(d, 0, 0) : new Misalignment(0, d, 0);
    }

    @Override
    public double[] exposedColor() {
        return new double[] {215};
    }
}
