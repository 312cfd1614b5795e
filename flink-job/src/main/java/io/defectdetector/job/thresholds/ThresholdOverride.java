package io.defectdetector.job.thresholds;

import java.util.Objects;

/**
 * The thresholds set for one target (camera, line or default), as kept in the broadcast state and in savepoints.
 * Each setting is optional: an unset one (null) falls through to the next, less specific level (see
 * {@link ThresholdResolver}).
 *
 * <p>A Flink POJO on purpose: Flink's POJO serializer writes a schema with the savepoint and supports adding and
 * removing fields later (Kryo would not), so this class may gain fields, but a field must never change its type
 * or be renamed without a state migration. {@code StateCompatibilityTest} restores a committed savepoint to keep
 * that promise honest.
 *
 * <p>{@code imageScore}, {@code pixel} and {@code minRegionArea} are in the units of one model's score and error
 * map, recorded in {@code scoreScale} ({@link ScoreScale}); they apply only while the running model has the same
 * scale. The debounce (alert when {@code debounceK} of the last {@code debounceN} frames are over the image
 * threshold) counts frames and applies whatever the model.
 */
public class ThresholdOverride {
    private Double imageScore;
    private Double pixel;
    private Integer minRegionArea;
    private Integer debounceK;
    private Integer debounceN;
    /** {@link ScoreScale} of the model the score settings were made for; null when none is set. */
    private String scoreScale;
    /** "name version" of the model running when the settings were last changed. */
    private String tunedOn;
    private long updatedAtMs;
    private String updatedBy;

    public ThresholdOverride() {
    }

    public ThresholdOverride copy() {
        ThresholdOverride c = new ThresholdOverride();
        c.imageScore = imageScore;
        c.pixel = pixel;
        c.minRegionArea = minRegionArea;
        c.debounceK = debounceK;
        c.debounceN = debounceN;
        c.scoreScale = scoreScale;
        c.tunedOn = tunedOn;
        c.updatedAtMs = updatedAtMs;
        c.updatedBy = updatedBy;
        return c;
    }

    /** True when one of the score-unit settings (image score, pixel, minimum area) is set. */
    public boolean hasScoreSettings() {
        return imageScore != null || pixel != null || minRegionArea != null;
    }

    public boolean hasDebounce() {
        return debounceK != null && debounceN != null;
    }

    /** True when nothing is set: such an override is removed rather than kept. */
    public boolean hasNoSettings() {
        return !hasScoreSettings() && debounceK == null && debounceN == null;
    }

    /** Whether the score-unit settings may be used with a model of this scale. */
    public boolean appliesTo(String runningScale) {
        return scoreScale == null || scoreScale.equals(runningScale);
    }

    public Double getImageScore() {
        return imageScore;
    }

    public void setImageScore(Double imageScore) {
        this.imageScore = imageScore;
    }

    public Double getPixel() {
        return pixel;
    }

    public void setPixel(Double pixel) {
        this.pixel = pixel;
    }

    public Integer getMinRegionArea() {
        return minRegionArea;
    }

    public void setMinRegionArea(Integer minRegionArea) {
        this.minRegionArea = minRegionArea;
    }

    public Integer getDebounceK() {
        return debounceK;
    }

    public void setDebounceK(Integer debounceK) {
        this.debounceK = debounceK;
    }

    public Integer getDebounceN() {
        return debounceN;
    }

    public void setDebounceN(Integer debounceN) {
        this.debounceN = debounceN;
    }

    public String getScoreScale() {
        return scoreScale;
    }

    public void setScoreScale(String scoreScale) {
        this.scoreScale = scoreScale;
    }

    public String getTunedOn() {
        return tunedOn;
    }

    public void setTunedOn(String tunedOn) {
        this.tunedOn = tunedOn;
    }

    public long getUpdatedAtMs() {
        return updatedAtMs;
    }

    public void setUpdatedAtMs(long updatedAtMs) {
        this.updatedAtMs = updatedAtMs;
    }

    public String getUpdatedBy() {
        return updatedBy;
    }

    public void setUpdatedBy(String updatedBy) {
        this.updatedBy = updatedBy;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ThresholdOverride other && updatedAtMs == other.updatedAtMs
                && Objects.equals(imageScore, other.imageScore) && Objects.equals(pixel, other.pixel)
                && Objects.equals(minRegionArea, other.minRegionArea) && Objects.equals(debounceK, other.debounceK)
                && Objects.equals(debounceN, other.debounceN) && Objects.equals(scoreScale, other.scoreScale)
                && Objects.equals(tunedOn, other.tunedOn) && Objects.equals(updatedBy, other.updatedBy);
    }

    @Override
    public int hashCode() {
        return Objects.hash(imageScore, pixel, minRegionArea, debounceK, debounceN, scoreScale);
    }

    @Override
    public String toString() {
        StringBuilder s = new StringBuilder("{");
        if (imageScore != null) {
            s.append("image_score=").append(imageScore).append(", ");
        }
        if (pixel != null) {
            s.append("pixel=").append(pixel).append(", ");
        }
        if (minRegionArea != null) {
            s.append("min_region_area=").append(minRegionArea).append(", ");
        }
        if (hasDebounce()) {
            s.append("debounce=").append(debounceK).append('/').append(debounceN).append(", ");
        }
        return s.append("scale=").append(scoreScale).append(", tuned on ").append(tunedOn).append(", by ")
                .append(updatedBy).append('}').toString();
    }
}
