package io.defectdetector.factory.surface;

import java.util.SplittableRandom;

/**
 * A populated circuit board, RGB. The artwork is one fixed design ({@link PcbDesign}); boards differ by
 * placement jitter, the grain and tint of their solder mask, and the shine of their gold.
 */
final class PcbSurface implements Surface {
    @Override
    public int channels() {
        return 3;
    }

    @Override
    public Pattern newPattern(SplittableRandom rng) {
        GradientNoise grain = new GradientNoise(rng.nextLong());
        double tintG = 0.95 + 0.10 * rng.nextDouble();
        double shine = 0.95 + 0.12 * rng.nextDouble();
        // The design map's resolution is chosen from the finest scale in use; 2 samples per unit cover 256 px.
        PcbDesign design = PcbDesign.forScale(1.0);
        return new Pattern() {
            private final double[] buf = new double[3];

            @Override
            public void sample(double u, double v, double[] out) {
                design.sample(u, v, buf);
                // Gold and silkscreen are bright in red; solder mask is not: shine only the metal.
                double metal = Math.max(0, Math.min(1, (buf[0] - 60) / 140));
                double g = 1 + 0.035 * grain.at(u / 5, v / 5) + 0.02 * grain.at(u / 1.3 + 50, v / 1.3);
                double s = 1 + (shine - 1) * metal;
                out[0] = buf[0] * g * s;
                out[1] = buf[1] * g * s * (1 + (tintG - 1) * (1 - metal));
                out[2] = buf[2] * g * s;
            }
        };
    }

    @Override
    public double maxShift() {
        return 3.0;
    }

    @Override
    public double maxRotationDegrees() {
        return 1.0;
    }

    @Override
    public Misalignment misalignment(SplittableRandom rng) {
        double d = 3 + 5 * rng.nextDouble();
        double a = rng.nextDouble() * 2 * StrictMath.PI;
        return new Misalignment(d * StrictMath.cos(a), d * StrictMath.sin(a), 0);
    }

    @Override
    public double[] exposedColor() {
        return new double[] {196, 118, 64}; // bare copper under the mask
    }
}
