package io.defectdetector.job.thresholds;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.Arrays;
import java.util.Locale;

/**
 * An image-score threshold from the scores of frames an operator knows to be (nearly all) good: the
 * ceil((n+1)(1-a))-th smallest score, so that a new good frame from the same camera scores above it with
 * probability at most a (split-conformal). model-export's calibration takes the larger of that and a Gumbel fit,
 * for its calibration sets of a hundred images or so; the thousands of frames of an hour of production pin the
 * rate down without a distribution assumed, which a Gumbel fit to them would only push up. With fewer than
 * 1/a - 1 frames the rank is past the largest score; then the largest one is taken and {@link #resolved()} is
 * false.
 *
 * <p>The suggested value is the next number of three significant digits above that rule's value, and above it
 * still as the job applies it (a float32, ThresholdSettings.asFloat32): the job alerts at {@code score >=
 * threshold}, so the ranked frame itself stays below it, whatever the scores' scale.
 */
public record ThresholdSuggestion(int frames, int rank, boolean resolved, double rankedScore, BigDecimal suggested,
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
        return new ThresholdSuggestion(n, Math.min(rank, n), resolved, ranked, justAbove(ranked),
                quantile(sorted, 0.5), quantile(sorted, 0.99), sorted[n - 1]);
    }

    /** The threshold to send. */
    public double imageScore() {
        return suggested.doubleValue();
    }

    /**
     * The next number of three significant digits above {@code value}, stepped on until it is above it as a
     * float32 too; for a value at or below 0 (a threshold must be > 0), 0.001.
     */
    static BigDecimal justAbove(double value) {
        if (!(value > 0)) {
            return new BigDecimal("0.001");
        }
        BigDecimal exact = new BigDecimal(value);
        int leading = exact.precision() - exact.scale() - 1; // the power of ten of its first digit
        BigDecimal s = exact.setScale(2 - leading, RoundingMode.FLOOR);
        BigDecimal step = s.ulp();
        s = s.add(step);
        while (ThresholdSettings.toFloat32(s.doubleValue()) <= ThresholdSettings.toFloat32(value)) {
            s = s.add(step);
        }
        return new BigDecimal(s.stripTrailingZeros().toPlainString()); // 1240, not 1.24E+3, in the command
    }

    /** Frames needed for the rank rule to resolve the rate a: 1/a - 1. */
    public static int framesNeeded(double targetFalseAlarmRate) {
        return (int) Math.ceil(1 / targetFalseAlarmRate) - 1;
    }

    /** How many of the frames would alert at this threshold, compared as the job compares (float32). */
    public static long atOrAbove(float[] scores, double threshold) {
        float applied = ThresholdSettings.toFloat32(threshold);
        long count = 0;
        for (float s : scores) {
            count += s >= applied ? 1 : 0;
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
        return String.format(Locale.ROOT, "image_score %s, just above %.4g, %s", suggested.toPlainString(),
                rankedScore, rule);
    }

    private static String percent(double rate) {
        return BigDecimal.valueOf(100 * rate).stripTrailingZeros().toPlainString();
    }

    private static double quantile(float[] sorted, double q) {
        return sorted[(int) Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
    }
}
