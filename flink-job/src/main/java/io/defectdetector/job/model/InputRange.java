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

    /** The level and spread of one preprocessed frame: {@code length} values of {@code x} from {@code offset}. */
    public static Statistics measure(float[] x, int offset, int length) {
        // Two passes in double: the mean first, so the variance does not lose digits to a large mean. Four
        // partial sums each, so the additions do not wait on one another (2x faster than one sum).
        int end = offset + length;
        int quads = offset + (length & ~3);
        double s0 = 0;
        double s1 = 0;
        double s2 = 0;
        double s3 = 0;
        int i = offset;
        for (; i < quads; i += 4) {
            s0 += x[i];
            s1 += x[i + 1];
            s2 += x[i + 2];
            s3 += x[i + 3];
        }
        for (; i < end; i++) {
            s0 += x[i];
        }
        double mean = (s0 + s1 + s2 + s3) / length;
        double q0 = 0;
        double q1 = 0;
        double q2 = 0;
        double q3 = 0;
        for (i = offset; i < quads; i += 4) {
            double d0 = x[i] - mean;
            double d1 = x[i + 1] - mean;
            double d2 = x[i + 2] - mean;
            double d3 = x[i + 3] - mean;
            q0 += d0 * d0;
            q1 += d1 * d1;
            q2 += d2 * d2;
            q3 += d3 * d3;
        }
        for (; i < end; i++) {
            double d = x[i] - mean;
            q0 += d * d;
        }
        return new Statistics(mean, Math.log(Math.sqrt((q0 + q1 + q2 + q3) / length) + SPREAD_EPSILON));
    }

    public boolean contains(Statistics s) {
        // NaN (a frame of NaN values) is out of range: the comparisons below are false for it.
        return Math.abs(s.level() - levelCentre) <= levelBand && Math.abs(s.spread() - spreadCentre) <= spreadBand;
    }

    @Override
    public String toString() {
        return String.format(Locale.ROOT, "input range: level %.4f +- %.4f, spread %.3f +- %.3f", levelCentre,
                levelBand, spreadCentre, spreadBand);
    }

    /** One frame's level and spread (see the class comment). */
    public record Statistics(double level, double spread) implements Serializable {
    }
}
