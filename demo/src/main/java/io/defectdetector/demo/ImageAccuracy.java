package io.defectdetector.demo;

import io.defectdetector.factory.camera.FrameTruth;
import io.defectdetector.factory.camera.GroundTruth;
import java.util.Collection;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;

/**
 * Agreement with the ground truth per distinct camera image rather than per frame. The simulated cameras repeat
 * small pools of images, so one good image that raises an alert, or one defect that is missed, repeats through a
 * run and moves the frame-level figures by several points; counted once per image, the figures compare with the
 * offline test set's. An image counts as alerted when any of its decided frames alerted. A replayed image file
 * (--images) counts once however many cameras showed it.
 */
public record ImageAccuracy(int defectiveImages, int defectiveFound, int goodImages, int goodAlerted) {

    public static ImageAccuracy of(Collection<FrameTruth> truth, Set<GroundTruth.Key> alerted,
            Set<GroundTruth.Key> decided) {
        // An image is a camera's pool entry (or a replayed file); the key also says good or defective, so it does
        // not depend on how the simulator numbers its pools.
        Map<String, Boolean> alertedByImage = new HashMap<>();
        Map<String, Boolean> defectiveByImage = new HashMap<>();
        for (FrameTruth frame : truth) {
            GroundTruth.Key key = new GroundTruth.Key(frame.cameraId(), frame.frameId());
            if (!decided.contains(key)) {
                continue;
            }
            // A replayed file is one image whichever camera showed it; a rendered one belongs to its camera.
            String image = frame.source() != null ? frame.source()
                    : frame.cameraId() + (frame.defective() ? "#defective#" : "#good#") + frame.poolIndex();
            alertedByImage.merge(image, alerted.contains(key), Boolean::logicalOr);
            defectiveByImage.put(image, frame.defective());
        }
        int defective = 0;
        int found = 0;
        int good = 0;
        int goodAlerted = 0;
        for (Map.Entry<String, Boolean> image : alertedByImage.entrySet()) {
            if (defectiveByImage.get(image.getKey())) {
                defective++;
                found += image.getValue() ? 1 : 0;
            } else {
                good++;
                goodAlerted += image.getValue() ? 1 : 0;
            }
        }
        return new ImageAccuracy(defective, found, good, goodAlerted);
    }

    public double recall() {
        return defectiveImages == 0 ? Double.NaN : (double) defectiveFound / defectiveImages;
    }

    public double falseAlarmRate() {
        return goodImages == 0 ? Double.NaN : (double) goodAlerted / goodImages;
    }
}
