package io.defectdetector.factory.dataset;

import io.defectdetector.factory.defects.DefectKind;
import io.defectdetector.factory.surface.Product;
import java.util.List;

/** What to write: products, counts per split, image size, root seed. */
public record DatasetSpec(List<Product> products, List<DefectKind> defects, int width, int height, long seed,
        int trainGood, int testGood, int perDefect) {

    public DatasetSpec {
        products = List.copyOf(products);
        defects = List.copyOf(defects);
        if (products.isEmpty()) {
            throw new IllegalArgumentException("at least one product is required");
        }
        if (trainGood < 0 || testGood < 0 || perDefect < 0) {
            throw new IllegalArgumentException("counts must not be negative");
        }
        if (Math.max(trainGood, Math.max(testGood, perDefect)) > 100_000) {
            throw new IllegalArgumentException("at most 100000 images per folder");
        }
    }

    public static DatasetSpec defaults(List<Product> products, long seed) {
        return new DatasetSpec(products, List.of(DefectKind.values()), 256, 256, seed, 200, 40, 15);
    }

    public int imagesPerProduct() {
        return trainGood + testGood + perDefect * defects.size();
    }

    public int totalImages() {
        return imagesPerProduct() * products.size();
    }
}
