package io.defectdetector.job.thresholds;

import java.io.Serializable;

/**
 * The decision thresholds, in the units of the model's score and error map (for models exported by
 * model-export: multiples of the calibrated threshold, so 1.0 is "at the calibrated false-alarm rate").
 *
 * @param imageScore    a frame is defective when its score is {@code >=} this value
 * @param pixel         an error-map pixel belongs to a defect region when its error is {@code >=} this value
 * @param minRegionArea regions with fewer error-map pixels than this are dropped (0 or 1 keeps all)
 */
public record ThresholdSettings(double imageScore, double pixel, int minRegionArea) implements Serializable {

    public ThresholdSettings {
        if (!Double.isFinite(imageScore)) {
            throw new IllegalArgumentException("image score threshold must be a finite number, got " + imageScore);
        }
        if (!Double.isFinite(pixel)) {
            throw new IllegalArgumentException("pixel threshold must be a finite number, got " + pixel);
        }
        if (minRegionArea < 0) {
            throw new IllegalArgumentException("minimum region area must be >= 0, got " + minRegionArea);
        }
    }
}
