package io.defectdetector.factory.surface;

/**
 * The material of one imaged piece: its colour at a point of product space, before lighting and sensor noise.
 * Product space is measured in reference pixels (a 256-pixel-wide view spans 256 units), so textures keep
 * their physical size when the image resolution changes.
 */
public interface Pattern {
    /** Writes the channel values (0..255 scale) at (u, v) into {@code out}. */
    void sample(double u, double v, double[] out);
}
