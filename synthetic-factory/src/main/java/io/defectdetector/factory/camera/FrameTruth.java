package io.defectdetector.factory.camera;

import io.defectdetector.factory.BoundingBox;
import io.defectdetector.factory.image.Image;

/**
 * What was really in one published frame: whether it is defective, which defect type, where (bbox and the
 * pixel-exact mask of the pool image it used). {@code defect}, {@code mask} and {@code bbox} are null for good
 * frames; {@code mask} and {@code bbox} also for a replayed defective image without a mask file. {@code source}
 * is the file a replayed frame came from (null for a rendered one).
 */
public record FrameTruth(String cameraId, String frameId, long captureTimeMs, String line, int poolIndex,
        long imageSeed, String defect, BoundingBox bbox, int defectPixels, Image mask, String maskFile,
        String source) {

    public boolean defective() {
        return defect != null;
    }

    /** Whether where the defect is is known: a mask, or at least its bounding box. */
    public boolean located() {
        return mask != null || bbox != null;
    }

    /**
     * Whether the defect reaches into the rectangle (frame pixels, clipped to the frame): a non-zero mask pixel
     * inside it, or without a mask, an overlap with the defect's bounding box. False for a good frame.
     */
    public boolean defectWithin(int x, int y, int width, int height) {
        if (mask == null) {
            return bbox != null && x < bbox.x() + bbox.width() && bbox.x() < x + width
                    && y < bbox.y() + bbox.height() && bbox.y() < y + height;
        }
        for (int row = Math.max(0, y); row < Math.min(mask.height(), y + height); row++) {
            for (int col = Math.max(0, x); col < Math.min(mask.width(), x + width); col++) {
                for (int c = 0; c < mask.channels(); c++) {
                    if (mask.get(col, row, c) != 0) {
                        return true;
                    }
                }
            }
        }
        return false;
    }
}
