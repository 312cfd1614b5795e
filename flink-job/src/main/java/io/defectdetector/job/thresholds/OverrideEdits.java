package io.defectdetector.job.thresholds;

import io.defectdetector.job.control.ControlCommand;
import io.defectdetector.job.control.ControlCommandParser;
import java.util.Arrays;
import java.util.List;

/**
 * How a set or reset changes the override of one target; shared by the live thresholds operator and the
 * savepoint CLI so both ways of tuning mean exactly the same. Pure functions of their arguments: every parallel
 * instance applies a broadcast command to its own copy of the state and must end up with the same value.
 */
public final class OverrideEdits {
    private OverrideEdits() {
    }

    /**
     * @param old       the target's current override, or null
     * @param scale     {@link ScoreScale} of the model the values are meant for
     * @param modelName "name version" of that model, recorded as tuned_on when the command sets a score setting
     *                  (or the override holds none)
     * @return the new override (never null: a set always leaves something set)
     */
    public static ThresholdOverride set(ThresholdOverride old, ControlCommand c, String scale, String modelName) {
        ThresholdOverride next = old == null ? new ThresholdOverride() : old.copy();
        boolean setsScore = c.getImageScore() != null || c.getPixel() != null || c.getMinRegionArea() != null;
        if (setsScore && !next.appliesTo(scale)) {
            // Score settings of another scale must not be mixed with the new ones: they start afresh.
            next.setImageScore(null);
            next.setPixel(null);
            next.setMinRegionArea(null);
        }
        if (c.getImageScore() != null) {
            next.setImageScore(c.getImageScore());
        }
        if (c.getPixel() != null) {
            next.setPixel(c.getPixel());
        }
        if (c.getMinRegionArea() != null) {
            next.setMinRegionArea(c.getMinRegionArea());
        }
        if (c.getDebounceK() != null) {
            next.setDebounceK(c.getDebounceK());
            next.setDebounceN(c.getDebounceN());
        }
        next.setScoreScale(next.hasScoreSettings() ? (setsScore ? scale : next.getScoreScale()) : null);
        // tuned_on names the model the score settings were tuned on: a debounce-only edit keeps it.
        if (setsScore || !next.hasScoreSettings()) {
            next.setTunedOn(modelName);
        }
        next.setUpdatedAtMs(c.getRequestedAtMs());
        next.setUpdatedBy(c.getBy());
        return next;
    }

    /**
     * @param fields    the JSON names of the settings to remove, or null for all
     * @param modelName "name version" of the running model, recorded when no score setting is left; null keeps the
     *                  recorded one
     * @return the remaining override, or null when nothing is left (the entry is then removed); {@code old}
     *         itself when it holds none of the named settings, so an audit shows that nothing changed
     */
    public static ThresholdOverride reset(ThresholdOverride old, String[] fields, ControlCommand c,
            String modelName) {
        if (old == null || fields == null) {
            return null;
        }
        List<String> names = Arrays.asList(fields);
        boolean holdsANamedSetting = names.contains(ControlCommandParser.IMAGE_SCORE) && old.getImageScore() != null
                || names.contains(ControlCommandParser.PIXEL) && old.getPixel() != null
                || names.contains(ControlCommandParser.MIN_REGION_AREA) && old.getMinRegionArea() != null
                || names.contains(ControlCommandParser.DEBOUNCE) && old.getDebounceK() != null;
        if (!holdsANamedSetting) {
            return old;
        }
        ThresholdOverride next = old.copy();
        if (names.contains(ControlCommandParser.IMAGE_SCORE)) {
            next.setImageScore(null);
        }
        if (names.contains(ControlCommandParser.PIXEL)) {
            next.setPixel(null);
        }
        if (names.contains(ControlCommandParser.MIN_REGION_AREA)) {
            next.setMinRegionArea(null);
        }
        if (names.contains(ControlCommandParser.DEBOUNCE)) {
            next.setDebounceK(null);
            next.setDebounceN(null);
        }
        if (next.hasNoSettings()) {
            return null;
        }
        if (!next.hasScoreSettings()) {
            next.setScoreScale(null);
        }
        if (modelName != null && !next.hasScoreSettings()) { // remaining score settings keep their model
            next.setTunedOn(modelName);
        }
        next.setUpdatedAtMs(c.getRequestedAtMs());
        next.setUpdatedBy(c.getBy());
        return next;
    }
}
