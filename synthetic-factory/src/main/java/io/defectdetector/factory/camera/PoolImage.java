package io.defectdetector.factory.camera;

import io.defectdetector.factory.Sample;

/**
 * One pre-rendered camera image and its encoded record value. Frames reuse pool images under fresh frame ids;
 * the ground truth names the pool image, so a frame's pixels and mask can always be recovered.
 */
public record PoolImage(String cameraId, int index, long seed, Sample sample, byte[] payload) {
}
