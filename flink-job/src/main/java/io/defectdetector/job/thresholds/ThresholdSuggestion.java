package io.defectdetector.job.thresholds;

import java.util.Arrays;
import java.util.Locale;

/**
 * An image-score threshold from the scores of frames an operator knows to be (nearly all) good, by the rule
 * model-export calibrates with: the ceil((n+1)(1-a))-th smallest score, so that a new good frame from the same
 * camera scores above it with probability at most a (split-conformal). With fewer than 1/a - 1 frames the rank is
 * past the largest score; then the largest one is taken and {@link #resolved()} is false.
 *
 * <p>The suggested value is the next multiple of 0.001 above that score: the job alerts at {@code score >=
 * threshold}, so the ranked frame itself stays below it.
 */
public record ThresholdSuggestion(int frames, int rank, boolean resolved, double rankedScore, double imageScore,
        double median, double p99, double max) {

    public static ThresholdSuggestion of(float[] scores, double targetFalseAlarmRate) {
        if (scores.length == 0) {
            throw new IllegalArgumentException("no scores: nothing to suggest a threshold from");
        }
        if (!(targetFalseAlarmRate > 0 && targetFalseAlarmRate < 1)) {
            throw new IllegalArgumentException("target false-alarm rate must be in (0, 1), got "
                    + targetFalseAlarmRate);
        }
        float[] sorted = scores.clone();
        Arrays.sort(sorted);
        int n = sorted.length;
        int rank = (int) Math.ceil((n + 1) * (1 - targetFalseAlarmRate));
        boolean resolved = rank <= n;
        double ranked = sorted[Math.min(rank, n) - 1];
        double suggested = (Math.floor(ranked * 1000.0) + 1) / 1000.0;
        return new ThresholdSuggestion(n, Math.min(rank, n), resolved, ranked, suggested, quantile(sorted, 0.5),
                quantile(sorted, 0.99), sorted[n - 1]);
    }

    /** Frames needed for the rank rule to resolve the rate a: 1/a - 1. */
    public static int framesNeeded(double targetFalseAlarmRate) {
        return (int) Math.ceil(1 / targetFalseAlarmRate) - 1;
    }

    /** How many of the frames score at or above a threshold (would alert). */
    public static long atOrAbove(float[] scores, double threshold) {
        long count = 0;
        for (float s : scores) {
            count += s >= threshold ? 1 : 0;
        }
        return count;
    }

    public String describe(double targetFalseAlarmRate) {
        String rule = resolved
                ? String.format(Locale.ROOT, "rank %d of the %d scores in ascending order (the split-conformal "
                        + "rank for a %s %% false-alarm rate)", rank, frames, percent(targetFalseAlarmRate))
                : String.format(Locale.ROOT, "the largest of the %d scores: too few to resolve a %s %% false-alarm "
                        + "rate by rank (that needs %d)", frames, percent(targetFalseAlarmRate),
                        framesNeeded(targetFalseAlarmRate));
        return String.format(Locale.ROOT, "image_score %.3f, just above %.4f, %s", imageScore, rankedScore, rule);
    }

    private static String percent(double rate) {
        return java.math.BigDecimal.valueOf(100 * rate).stripTrailingZeros().toPlainString();
    }

    private static double quantile(float[] sorted, double q) {
        return sorted[(int) Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
    }
}
