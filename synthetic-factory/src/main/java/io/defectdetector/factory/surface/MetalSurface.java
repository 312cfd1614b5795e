package io.defectdetector.factory.surface;

import java.util.SplittableRandom;

/**
 * Brushed steel, gray: fine streaks that are long along the brushing direction (u) and narrow across it, a
 * broad specular band, and slow variations of the finish.
 */
final class MetalSurface implements Surface {
    @Override
    public int channels() {
        return 1;
    }

    @Override
    public Pattern newPattern(SplittableRandom rng) {
        GradientNoise fine = new GradientNoise(rng.nextLong());
        GradientNoise broad = new GradientNoise(rng.nextLong());
        double offU = rng.nextDouble() * 4096;
        double offV = rng.nextDouble() * 4096;
        double band = rng.nextDouble() * 256;
        double bandWidth = 45 + 50 * rng.nextDouble();
        double bandGain = 0.12 + 0.16 * rng.nextDouble();
        double base = 128 + 16 * rng.nextDouble();
        return (u0, v0, out) -> {
            double u = u0 + offU;
            double v = v0 + offV;
            double streaks = 0.60 * fine.at(u / 110, v / 1.1)
                    + 0.30 * fine.at(u / 45 + 300, v / 0.55)
                    + 0.35 * fine.at(u / 220 + 900, v / 3.5);
            double finish = broad.fbm(u / 260, v / 40, 2);
            double d = (v0 - band) / bandWidth;
            double sheen = 1 + bandGain * StrictMath.exp(-d * d);
            out[0] = (base + 20 * streaks + 10 * finish) * sheen;
        };
    }

    @Override
    public double maxRotationDegrees() {
        return 2.0;
    }

    @Override
    public Misalignment misalignment(SplittableRandom rng) {
        // A patch brushed in another direction (a rework or a grinder mark).
        double angle = (10 + 25 * rng.nextDouble()) * (rng.nextBoolean() ? 1 : -1);
        return new Misalignment(rng.nextDouble() * 40, rng.nextDouble() * 40, angle);
    }

    @Override
    public double[] exposedColor() {
        return new double[] {230};
    }
}
