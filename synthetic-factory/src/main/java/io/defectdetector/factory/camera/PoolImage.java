package io.defectdetector.factory.camera;

import io.defectdetector.factory.BoundingBox;
import io.defectdetector.factory.Sample;
import io.defectdetector.factory.image.Image;
import io.defectdetector.frame.ContentType;

/**
 * One camera image and its encoded record value. Frames reuse pool images under fresh frame ids; the ground
 * truth names the pool image, so a frame's pixels and mask can always be recovered.
 *
 * @param seed        the rendering seed of a simulated image; 0 for an image read from a file
 * @param image       the pixels as the job decodes them from {@code payload}
 * @param defect      the defect type id ({@code scratch}, or an MVTec folder name such as {@code broken_large}); null
 *                    for a good image
 * @param bbox        the defect's bounding box, null for a good image or an unknown mask
 * @param mask        gray, non-zero where the defect is; null for a good image or an unknown mask
 * @param source      the file an image was read from; null for a rendered one
 * @param contentType how {@code payload} is encoded
 */
public record PoolImage(String cameraId, int index, long seed, Image image, String defect, BoundingBox bbox,
        int defectPixels, Image mask, String source, ContentType contentType, byte[] payload) {

    /** A rendered sample whose record value decodes to {@code image} (the sample's own pixels, unless lossy). */
    static PoolImage rendered(String cameraId, int index, long seed, Sample sample, Image image,
            ContentType contentType, byte[] payload) {
        return new PoolImage(cameraId, index, seed, image, sample.defective() ? sample.defect().id() : null,
                sample.bbox(), sample.defectPixels(), sample.defective() ? sample.mask() : null, null, contentType,
                payload);
    }

    /** The same image as another camera's pool entry. */
    PoolImage forCamera(String camera, int poolIndex) {
        return new PoolImage(camera, poolIndex, seed, image, defect, bbox, defectPixels, mask, source, contentType,
                payload);
    }

    public boolean defective() {
        return defect != null;
    }
}
