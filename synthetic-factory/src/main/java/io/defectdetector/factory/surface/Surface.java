package io.defectdetector.factory.surface;

import java.util.SplittableRandom;

/** One product kind: how its material looks, and what "misprinted" means for it. */
public interface Surface {
    int channels();

    /** A new piece of material: random texture phase, per-piece tint and so on. */
    Pattern newPattern(SplittableRandom rng);

    /** How much a pose may jitter for this product: objects are placed precisely, materials are not. */
    default double maxShift() {
        return 4.0;
    }

    default double maxRotationDegrees() {
        return 1.5;
    }

    /**
     * The transform a misprint applies inside its region, in product space: a shift (and for some materials a
     * rotation) big enough to break the pattern's regularity visibly.
     */
    Misalignment misalignment(SplittableRandom rng);

    /** Colour of bare material under a coating or surface (what a scratch exposes), 0..255 per channel. */
    double[] exposedColor();

    record Misalignment(double dx, double dy, double rotationDegrees) {
    }
}
