package io.defectdetector.factory.surface;

import io.defectdetector.factory.image.Image;

/**
 * One rendered view of one piece of product, kept in floating point before quantisation so defects can be
 * painted onto the light that reaches the sensor; the sensor noise is fixed per view, so a good image and its
 * defective twin differ only where the defect is.
 */
public final class Scene {
    private final Surface surface;
    private final Pattern pattern;
    private final Pose pose;
    private final int width;
    private final int height;
    private final int channels;
    private final float[] gain;
    private final float[] clean;
    private final float[] noise;

    Scene(Surface surface, Pattern pattern, Pose pose, int width, int height, float[] gain, float[] clean,
            float[] noise) {
        this.surface = surface;
        this.pattern = pattern;
        this.pose = pose;
        this.width = width;
        this.height = height;
        this.channels = surface.channels();
        this.gain = gain;
        this.clean = clean;
        this.noise = noise;
    }

    public Surface surface() {
        return surface;
    }

    public Pattern pattern() {
        return pattern;
    }

    public Pose pose() {
        return pose;
    }

    public int width() {
        return width;
    }

    public int height() {
        return height;
    }

    public int channels() {
        return channels;
    }

    /** Image pixels per reference pixel: defect sizes are given in reference pixels and scaled by this. */
    public double scale() {
        return pose.scale();
    }

    /** Illumination gain at pixel index {@code y * width + x}. */
    public float gain(int pixel) {
        return gain[pixel];
    }

    /** A copy of the light reaching the sensor (material times illumination), interleaved channels. */
    public float[] cleanCopy() {
        return clean.clone();
    }

    /** Adds the view's sensor noise and rounds to 8 bits. */
    public Image expose(float[] light) {
        byte[] out = new byte[light.length];
        for (int i = 0; i < light.length; i++) {
            int v = (int) Math.floor(light[i] + noise[i] + 0.5f);
            out[i] = (byte) (v < 0 ? 0 : Math.min(v, 255));
        }
        return new Image(width, height, channels, out);
    }

    public Image good() {
        return expose(clean);
    }
}
