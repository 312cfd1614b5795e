package io.defectdetector.factory;

import io.defectdetector.factory.defects.DefectKind;
import io.defectdetector.factory.image.Image;
import io.defectdetector.factory.surface.Product;

/**
 * One generated image with its ground truth. {@code good} is the same view without the defect; {@code mask}
 * (gray, 0 or 255) is 255 exactly where {@code image} differs from {@code good}. For a good sample, image ==
 * good, the mask is all zero, and defect and bbox are null.
 */
public record Sample(Product product, long seed, Image good, Image image, Image mask, DefectKind defect,
        BoundingBox bbox, int defectPixels) {

    public boolean defective() {
        return defect != null;
    }
}
