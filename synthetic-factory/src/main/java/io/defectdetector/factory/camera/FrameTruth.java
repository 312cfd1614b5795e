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
}
