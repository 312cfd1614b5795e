package io.defectdetector.factory.surface;

/**
 * Maps image pixels to product space: the camera sees the product slightly shifted and rotated from frame to
 * frame. {@code scale} is image pixels per reference pixel (image side / 256).
 */
public final class Pose {
    public static final double REFERENCE_SIZE = 256.0;

    private final int width;
    private final int height;
    private final double scale;
    private final double cos;
    private final double sin;
    private final double shiftU;
    private final double shiftV;

    public Pose(int width, int height, double rotationDegrees, double shiftU, double shiftV) {
        this.width = width;
        this.height = height;
        this.scale = Math.min(width, height) / REFERENCE_SIZE;
        double a = StrictMath.toRadians(rotationDegrees);
        this.cos = StrictMath.cos(a);
        this.sin = StrictMath.sin(a);
        this.shiftU = shiftU;
        this.shiftV = shiftV;
    }

    public double scale() {
        return scale;
    }

    /** Product-space u of the image point (x, y); pixel centres are at +0.5. */
    public double u(double x, double y) {
        double px = (x - width / 2.0) / scale;
        double py = (y - height / 2.0) / scale;
        return REFERENCE_SIZE / 2 + cos * px - sin * py + shiftU;
    }

    public double v(double x, double y) {
        double px = (x - width / 2.0) / scale;
        double py = (y - height / 2.0) / scale;
        return REFERENCE_SIZE / 2 + sin * px + cos * py + shiftV;
    }
}
