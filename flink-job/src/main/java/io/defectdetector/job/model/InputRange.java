package io.defectdetector.job.model;

import java.io.Serializable;
import java.util.Locale;

/**
 * The model card's {@code thresholds.input_range} (docs/model-card.md): how bright ({@code level}) and how
 * varied ({@code spread}) the preprocessed input of good images is, as a centre and a band for each. A frame
 * outside either band is not the scene the model was trained on (covered or overexposed camera, lights off, another
 * product), so its score says nothing about defects; the job alerts on it with cause {@code frame}.
 *
 * <p>level = mean of the preprocessed input over all channels and pixels; spread = ln(population standard
 * deviation of the same values + {@link #SPREAD_EPSILON}).
 */
public record InputRange(double levelCentre, double levelBand, double spreadCentre, double spreadBand)
        implements Serializable {
    /** Keeps the spread of a flat frame finite: ln(1e-6) = -13.8, far below any textured image's. */
    public static final double SPREAD_EPSILON = 1e-6;

    public InputRange {
        if (!Double.isFinite(levelCentre) || !Double.isFinite(spreadCentre) || !(levelBand > 0)
                || !(spreadBand > 0) || Double.isInfinite(levelBand) || Double.isInfinite(spreadBand)) {
            throw new IllegalArgumentException("input_range needs finite centres and bands > 0, got level "
                    + levelCentre + " +- " + levelBand + ", spread " + spreadCentre + " +- " + spreadBand);
        }
    }

    /** The level and spread of one preprocessed frame: {@code length} values of {@code input} from {@code offset}. */
    public static Statistics measure(java.nio.FloatBuffer input, int offset, int length) {
        // Two passes in double: the mean first, so the variance does not lose digits to a large mean.
        double sum = 0;
        for (int i = 0; i < length; i++) {
            sum += input.get(offset + i);
        }
        double mean = sum / length;
        double squares = 0;
        for (int i = 0; i < length; i++) {
            double d = input.get(offset + i) - mean;
            squares += d * d;
        }
        return new Statistics(mean, Math.log(Math.sqrt(squares / length) + SPREAD_EPSILON));
    }

    public boolean contains(Statistics s) {
        // NaN (a frame of NaN values) is out of range: the comparisons below are false for it.
        return Math.abs(s.level() - levelCentre) <= levelBand && Math.abs(s.spread() - spreadCentre) <= spreadBand;
    }

    /** Why a frame is outside, for a log line: which statistic and by how much. */
    public String describe(Statistics s) {
        return String.format(Locale.ROOT, "level %.4f (good frames %.4f +- %.4f), spread %.3f (good %.3f +- %.3f)",
                s.level(), levelCentre, levelBand, s.spread(), spreadCentre, spreadBand);
    }

    /** One frame's level and spread (see the class comment). */
    public record Statistics(double level, double spread) implements Serializable {
    }
}
