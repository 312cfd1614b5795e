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

    /**
     * These thresholds as frames are decided with them: rounded to float32, the precision of the scores and error
     * maps they are compared with and of the numbers alerts and score records report. So the reported pair shows
     * the comparison that was made: a threshold of 0.7 as a double is above the float score written "0.7", and
     * a 9-digit threshold could sit between a float score's exact value and its written digits. Rounding keeps
     * a threshold finite and keeps it off zero.
     */
    public ThresholdSettings asFloat32() {
        return new ThresholdSettings(toFloat32(imageScore), toFloat32(pixel), minRegionArea);
    }

    static float toFloat32(double v) {
        float f = (float) v;
        if (Float.isInfinite(f)) {
            return Math.copySign(Float.MAX_VALUE, f);
        }
        return f == 0 && v != 0 ? Math.copySign(Float.MIN_VALUE, (float) Math.signum(v)) : f;
    }
}
