package io.defectdetector.factory.defects;

import java.util.SplittableRandom;

/**
 * Paints one defect onto the light of a scene. Painters need not care which pixels end up changed: the
 * {@link DefectApplier} measures that after quantisation and builds the mask from it.
 */
interface DefectPainter {
    void paint(Canvas canvas, SplittableRandom rng);
}
