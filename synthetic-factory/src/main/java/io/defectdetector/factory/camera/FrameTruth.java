package io.defectdetector.factory.camera;

import io.defectdetector.factory.BoundingBox;
import io.defectdetector.factory.defects.DefectKind;
import io.defectdetector.factory.image.Image;

/**
 * What was really in one published frame: whether it is defective, which defect, where (bbox and the
 * pixel-exact mask of the pool image it used). {@code mask} and {@code bbox} are null for good frames.
 */
public record FrameTruth(String cameraId, String frameId, long captureTimeMs, String line, int poolIndex,
        long imageSeed, DefectKind defect, BoundingBox bbox, int defectPixels, Image mask, String maskFile) {

    public boolean defective() {
        return defect != null;
    }
}
