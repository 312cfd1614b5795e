package io.defectdetector.job.thresholds;


/**
 * The thresholds that apply to one frame after the precedence camera > line > default > model card, field by
 * field. {@code sources} names where each value came from (a state key such as {@code camera:cam-01}, or
 * {@code model}), in the order image score, pixel, minimum area, debounce; used by {@code show} and logs.
 *
 * @param debounceK alert when at least this many of the camera's last {@code debounceN} frames are over the image
 *                  threshold (1 of 1: every frame over the threshold alerts)
 */
public record EffectiveThresholds(double imageScore, double pixel, int minRegionArea, int debounceK, int debounceN,
        String[] sources) {

    public static final String MODEL_SOURCE = "model";

    public ThresholdSettings settings() {
        return new ThresholdSettings(imageScore, pixel, minRegionArea);
    }

    public String imageScoreSource() {
        return sources[0];
    }

    public String pixelSource() {
        return sources[1];
    }

    public String minRegionAreaSource() {
        return sources[2];
    }

    public String debounceSource() {
        return sources[3];
    }

    @Override
    public String toString() {
        return "image_score=" + imageScore + " (" + sources[0] + "), pixel=" + pixel + " (" + sources[1]
                + "), min_region_area=" + minRegionArea + " (" + sources[2] + "), debounce=" + debounceK + "/"
                + debounceN + " (" + sources[3] + ")";
    }
}
