package io.defectdetector.factory.surface;

import java.util.SplittableRandom;

/**
 * Planed wood, RGB: growth rings seen edge-on as bands along the board (u), warped by the trunk's
 * irregularity; dark late-wood lines, fine pore streaks, a per-board tint.
 */
final class WoodSurface implements Surface {
    private static final double[] LIGHT = {222, 180, 130};
    private static final double[] DARK = {146, 92, 52};

    @Override
    public int channels() {
        return 3;
    }

    @Override
    public Pattern newPattern(SplittableRandom rng) {
        GradientNoise warp = new GradientNoise(rng.nextLong());
        GradientNoise pores = new GradientNoise(rng.nextLong());
        double offU = rng.nextDouble() * 4096;
        double offV = rng.nextDouble() * 4096;
        double period = 14 + 8 * rng.nextDouble();
        double tintR = 0.96 + 0.08 * rng.nextDouble();
        double tintG = 0.96 + 0.08 * rng.nextDouble();
        return (u0, v0, out) -> {
            double u = u0 + offU;
            double v = v0 + offV;
            double t = v + 11 * warp.fbm(u / 230, v / 95, 3) + 1.2 * warp.at(u / 55 + 77, v / 14);
            double ring = t / period + 0.3 * warp.at(u / 500 + 31, v / 160);
            double f = ring - Math.floor(ring);
            // Earlywood is light and darkens gradually into latewood; the next ring starts abruptly.
            double grow = TilesSurface.smooth(0.30, 0.93, f);
            double late = grow * grow * (1 - TilesSurface.smooth(0.955, 1.0, f));
            double streak = 0.55 * pores.at(u / 90, v / 0.9) + 0.35 * pores.at(u / 30 + 40, v / 0.7);
            double pore = Math.max(0, pores.at(u / 5 + 700, v / 0.8) - 0.45) * 1.6 * (1 - late);
            double mix = Math.max(0, Math.min(1, 0.62 * late + 0.10 + 0.10 * streak + 0.35 * pore
                    + 0.09 * warp.at(u / 80 + 11, v / 30)));
            out[0] = (LIGHT[0] + (DARK[0] - LIGHT[0]) * mix) * tintR;
            out[1] = (LIGHT[1] + (DARK[1] - LIGHT[1]) * mix) * tintG;
            out[2] = LIGHT[2] + (DARK[2] - LIGHT[2]) * mix;
        };
    }

    @Override
    public Misalignment misalignment(SplittableRandom rng) {
        // A glued-in patch whose grain does not line up.
        return new Misalignment(rng.nextDouble() * 60, 6 + 8 * rng.nextDouble(),
                (6 + 10 * rng.nextDouble()) * (rng.nextBoolean() ? 1 : -1));
    }

    @Override
    public double[] exposedColor() {
        return new double[] {235, 205, 165};
    }
}
