package io.defectdetector.factory;

import io.defectdetector.factory.defects.DefectApplier;
import io.defectdetector.factory.defects.DefectKind;
import io.defectdetector.factory.image.Image;
import io.defectdetector.factory.surface.Product;
import io.defectdetector.factory.surface.Scene;
import io.defectdetector.factory.surface.SceneRenderer;
import java.util.SplittableRandom;

/**
 * The entry point of the generator: a seed and a product give one image, optionally with a defect. The same
 * (product, seed, size, defect) always gives the same bytes; the good image of a defective sample is exactly
 * {@code good(product, seed)}. Thread-safe: instances hold only the size.
 */
public final class SurfaceFactory {
    /** Bumped whenever the pixels produced for a given seed change. */
    public static final String GENERATOR_VERSION = "1";

    private final int width;
    private final int height;

    public SurfaceFactory(int width, int height) {
        if (width < 16 || height < 16 || width > 4096 || height > 4096) {
            throw new IllegalArgumentException("image size must be 16..4096 per side, got " + width + "x" + height);
        }
        this.width = width;
        this.height = height;
    }

    public int width() {
        return width;
    }

    public int height() {
        return height;
    }

    public Image good(Product product, long seed) {
        return SceneRenderer.render(product, seed, width, height).good();
    }

    /** A sample with the given defect, or a good sample when {@code defect} is null. */
    public Sample sample(Product product, long seed, DefectKind defect) {
        Scene scene = SceneRenderer.render(product, seed, width, height);
        Image good = scene.good();
        if (defect == null) {
            return new Sample(product, seed, good, good, Image.blank(width, height, 1), null, null, 0);
        }
        SplittableRandom rng = new SplittableRandom(Seeds.derive(seed, "defect", defect.id()));
        DefectApplier.Result r = DefectApplier.apply(scene, good, defect, rng);
        return new Sample(product, seed, good, r.image(), r.mask(), defect, r.bbox(), r.pixels());
    }
}
