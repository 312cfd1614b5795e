package io.defectdetector.job.thresholds;

import java.io.Serializable;
import java.util.Objects;

/**
 * Resolves the thresholds of a frame: each setting independently from the most specific override that sets it
 * (camera, then the frame's line, then {@code default}), else from the model card. Score settings of an override
 * made for another {@link ScoreScale} are skipped, so after a model change they fall back to the new card's
 * calibrated values instead of applying in the wrong units; the debounce counts frames and always applies.
 */
public final class ThresholdResolver implements Serializable {
    private static final long serialVersionUID = 1L;

    /** Looks up an override by state key; null when there is none. */
    @FunctionalInterface
    public interface Lookup {
        ThresholdOverride get(String key) throws Exception;
    }

    private final ThresholdSettings modelDefaults;
    private final String scoreScale;

    public ThresholdResolver(ThresholdSettings modelDefaults, String scoreScale) {
        this.modelDefaults = Objects.requireNonNull(modelDefaults, "modelDefaults");
        this.scoreScale = Objects.requireNonNull(scoreScale, "scoreScale");
    }

    public ThresholdSettings modelDefaults() {
        return modelDefaults;
    }

    public String scoreScale() {
        return scoreScale;
    }

    /**
     * @param cameraId the frame's camera, or null to resolve a line or the default alone
     * @param line     the frame's production line, or null when it has none
     */
    public EffectiveThresholds resolve(String cameraId, String line, Lookup overrides) throws Exception {
        ThresholdOverride camera = cameraId == null ? null : overrides.get(ThresholdTarget.cameraKey(cameraId));
        ThresholdOverride lineOverride = line == null ? null : overrides.get(ThresholdTarget.lineKey(line));
        ThresholdOverride fallback = overrides.get(ThresholdTarget.DEFAULT_KEY);
        ThresholdOverride[] levels = {camera, lineOverride, fallback};
        String[] keys = {cameraId == null ? null : ThresholdTarget.cameraKey(cameraId),
                line == null ? null : ThresholdTarget.lineKey(line), ThresholdTarget.DEFAULT_KEY};

        double imageScore = modelDefaults.imageScore();
        double pixel = modelDefaults.pixel();
        int minArea = modelDefaults.minRegionArea();
        int k = 1;
        int n = 1;
        String[] sources = {EffectiveThresholds.MODEL_SOURCE, EffectiveThresholds.MODEL_SOURCE,
                EffectiveThresholds.MODEL_SOURCE, EffectiveThresholds.MODEL_SOURCE};
        boolean[] found = new boolean[4];
        for (int i = 0; i < levels.length; i++) {
            ThresholdOverride o = levels[i];
            if (o == null) {
                continue;
            }
            if (o.appliesTo(scoreScale)) {
                if (!found[0] && o.getImageScore() != null) {
                    imageScore = o.getImageScore();
                    sources[0] = keys[i];
                    found[0] = true;
                }
                if (!found[1] && o.getPixel() != null) {
                    pixel = o.getPixel();
                    sources[1] = keys[i];
                    found[1] = true;
                }
                if (!found[2] && o.getMinRegionArea() != null) {
                    minArea = o.getMinRegionArea();
                    sources[2] = keys[i];
                    found[2] = true;
                }
            }
            if (!found[3] && o.hasDebounce()) {
                k = o.getDebounceK();
                n = o.getDebounceN();
                sources[3] = keys[i];
                found[3] = true;
            }
        }
        return new EffectiveThresholds(imageScore, pixel, minArea, k, n, sources);
    }
}
