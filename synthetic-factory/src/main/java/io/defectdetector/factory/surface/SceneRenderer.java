package io.defectdetector.factory.surface;

import io.defectdetector.factory.Seeds;
import java.util.SplittableRandom;

/**
 * Renders one view: a piece of material (pattern), placed with a jittered pose, under uneven illumination,
 * seen through a noisy sensor. Every ingredient draws from its own seed derived from the image seed, so the
 * result depends on nothing but (product, image seed, size).
 */
public final class SceneRenderer {
    private SceneRenderer() {
    }

    public static Scene render(Product product, long imageSeed, int width, int height) {
        Surface surface = product.surface();
        int channels = surface.channels();
        Pattern pattern = surface.newPattern(new SplittableRandom(Seeds.derive(imageSeed, "pattern")));

        SplittableRandom poseRng = new SplittableRandom(Seeds.derive(imageSeed, "pose"));
        double rot = (poseRng.nextDouble() * 2 - 1) * surface.maxRotationDegrees();
        double du = (poseRng.nextDouble() * 2 - 1) * surface.maxShift();
        double dv = (poseRng.nextDouble() * 2 - 1) * surface.maxShift();
        Pose pose = new Pose(width, height, rot, du, dv);

        float[] gain = illumination(new SplittableRandom(Seeds.derive(imageSeed, "light")), width, height);

        int n = width * height;
        float[] clean = new float[n * channels];
        double[] px = new double[channels];
        for (int y = 0; y < height; y++) {
            for (int x = 0; x < width; x++) {
                double cx = x + 0.5;
                double cy = y + 0.5;
                pattern.sample(pose.u(cx, cy), pose.v(cx, cy), px);
                int i = y * width + x;
                for (int c = 0; c < channels; c++) {
                    clean[i * channels + c] = (float) (px[c] * gain[i]);
                }
            }
        }

        float[] noise = sensorNoise(new SplittableRandom(Seeds.derive(imageSeed, "sensor")), n * channels);
        return new Scene(surface, pattern, pose, width, height, gain, clean, noise);
    }

    /** Overall exposure, a linear gradient, a vignette and slow blotches: what a real line light gives. */
    private static float[] illumination(SplittableRandom rng, int width, int height) {
        double level = 0.93 + 0.14 * rng.nextDouble();
        double gx = (rng.nextDouble() * 2 - 1) * 0.10;
        double gy = (rng.nextDouble() * 2 - 1) * 0.10;
        double vignette = 0.12 * rng.nextDouble();
        double cx = (rng.nextDouble() * 2 - 1) * 0.3;
        double cy = (rng.nextDouble() * 2 - 1) * 0.3;
        GradientNoise blotch = new GradientNoise(rng.nextLong());
        float[] gain = new float[width * height];
        for (int y = 0; y < height; y++) {
            double ny = (y + 0.5) / height * 2 - 1;
            for (int x = 0; x < width; x++) {
                double nx = (x + 0.5) / width * 2 - 1;
                double r2 = (nx - cx) * (nx - cx) + (ny - cy) * (ny - cy);
                double g = level * (1 + gx * nx + gy * ny - vignette * r2 / 2)
                        * (1 + 0.025 * blotch.at(nx * 1.3, ny * 1.3));
                gain[y * width + x] = (float) g;
            }
        }
        return gain;
    }

    private static float[] sensorNoise(SplittableRandom rng, int count) {
        double sigma = 1.2 + 1.4 * rng.nextDouble();
        float[] noise = new float[count];
        for (int i = 0; i < count; i += 2) {
            // Box-Muller with StrictMath: reproducible across JVMs, unlike nextGaussian's unspecified method.
            double u1 = 1.0 - rng.nextDouble();
            double u2 = rng.nextDouble();
            double r = sigma * StrictMath.sqrt(-2 * StrictMath.log(u1));
            double a = 2 * StrictMath.PI * u2;
            noise[i] = (float) (r * StrictMath.cos(a));
            if (i + 1 < count) {
                noise[i + 1] = (float) (r * StrictMath.sin(a));
            }
        }
        return noise;
    }
}
