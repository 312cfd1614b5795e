package io.defectdetector.bench.jmh;

import io.defectdetector.factory.Sample;
import io.defectdetector.factory.SurfaceFactory;
import io.defectdetector.factory.defects.DefectKind;
import io.defectdetector.factory.surface.Product;
import io.defectdetector.job.scoring.ScoredFrame;
import java.util.SplittableRandom;

/** Realistic inputs for the micro-benchmarks: synthetic-factory images and CAE-like error maps. */
final class BenchFrames {
    private BenchFrames() {
    }

    /** A seeded product image with a scratch, as the camera simulator would send it. */
    static Sample image(Product product, int width, int height) {
        return new SurfaceFactory(width, height).sample(product, 7L, DefectKind.values()[0]);
    }

    /** A square frame named {@code gray-<side>} or {@code rgb-<side>}: the first product with that many channels. */
    static Sample image(String name) {
        int channels = name.startsWith("rgb") ? 3 : 1;
        Product product = java.util.Arrays.stream(Product.values()).filter(p -> p.channels() == channels)
                .findFirst().orElseThrow();
        int side = Integer.parseInt(name.substring(name.indexOf('-') + 1));
        return image(product, side, side);
    }

    /**
     * A 128x128 error map as the model's scoring head produces it (units of the pixel threshold): low smooth
     * noise everywhere and, for {@code blobs} > 0, that many Gaussian defects peaking at ~3x the threshold.
     */
    static float[] errorMap(int w, int h, int blobs, long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        float[] map = new float[w * h];
        for (int i = 0; i < map.length; i++) {
            map[i] = (float) (0.25 * rng.nextDouble());
        }
        for (int b = 0; b < blobs; b++) {
            double cx = 10 + rng.nextDouble() * (w - 20);
            double cy = 10 + rng.nextDouble() * (h - 20);
            double sigma = 2 + rng.nextDouble() * 4;
            for (int y = 0; y < h; y++) {
                for (int x = 0; x < w; x++) {
                    double d2 = (x - cx) * (x - cx) + (y - cy) * (y - cy);
                    map[y * w + x] += (float) (3.0 * Math.exp(-d2 / (2 * sigma * sigma)));
                }
            }
        }
        return map;
    }

    static ScoredFrame scored(float[] map, int w, int h, float score) {
        ScoredFrame s = new ScoredFrame();
        s.setCameraId("cam-01");
        s.setFrameId("r1-123456");
        s.setLine("line-1");
        s.setCaptureTimeMs(1_764_000_000_000L);
        s.setIngestTimeMs(1_764_000_000_010L);
        s.setImageWidth(256);
        s.setImageHeight(256);
        s.setModelName("cae-fabric");
        s.setModelVersion("2026-11-25.1");
        s.setScore(score);
        s.setErrorMap(map);
        s.setMapWidth(w);
        s.setMapHeight(h);
        return s;
    }
}
