package io.defectdetector.job.thresholds;

import io.defectdetector.job.model.ModelCard;

/**
 * The unit of a model's score and error map, as a short id stored with every threshold override, so that a value
 * tuned for one model is never applied silently to a model whose scores mean something else.
 *
 * <ul>
 *   <li>{@code calibrated:<W>x<H>}: model-export divides score and error map by the thresholds it calibrated on
 *       held-out good images (docs/model-card.md), so 1.0 is the calibrated threshold of every such model and a
 *       tuned value such as 1.3 keeps its meaning ("30% above the calibrated threshold") when the model is
 *       retrained. Such a card states the calibrated thresholds as exactly 1.0 (image score and pixel), which is
 *       how it is recognised. The error-map size is part of the id because {@code min_region_area} counts
 *       error-map pixels.</li>
 *   <li>{@code raw:<name>@<version>:<W>x<H>}: any other card (raw reconstruction errors, hand-written
 *       thresholds): its scale is its own, and overrides tuned on it apply to that exact model version only.</li>
 * </ul>
 */
public final class ScoreScale {
    public static final String CALIBRATED_PREFIX = "calibrated:";
    public static final String RAW_PREFIX = "raw:";

    private ScoreScale() {
    }

    public static String of(ModelCard card) {
        ThresholdSettings t = card.defaultThresholds();
        String size = card.mapWidth() + "x" + card.mapHeight();
        if (t.imageScore() == 1.0 && t.pixel() == 1.0) {
            return CALIBRATED_PREFIX + size;
        }
        return RAW_PREFIX + card.name() + "@" + card.version() + ":" + size;
    }

    /** "name version", how overrides and audit records name the model they were made with. */
    public static String modelLabel(ModelCard card) {
        return card.name() + " " + card.version();
    }
}
