package io.defectdetector.bench;

import java.util.Arrays;

/** Nearest-rank percentiles of a sample, computed once from a sorted copy. */
public final class Percentiles {
    private final double[] sorted;

    public Percentiles(double[] values) {
        this.sorted = values.clone();
        Arrays.sort(sorted);
    }

    public static Percentiles ofLongs(long[] values) {
        return new Percentiles(Arrays.stream(values).asDoubleStream().toArray());
    }

    public int count() {
        return sorted.length;
    }

    /** The nearest-rank p-th percentile (p in 0..100), NaN for an empty sample. */
    public double get(double p) {
        if (sorted.length == 0) {
            return Double.NaN;
        }
        int rank = (int) Math.ceil(p / 100.0 * sorted.length);
        return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))];
    }

    public double max() {
        return sorted.length == 0 ? Double.NaN : sorted[sorted.length - 1];
    }

    public double mean() {
        return sorted.length == 0 ? Double.NaN : Arrays.stream(sorted).average().orElse(Double.NaN);
    }

    public double[] values() {
        return sorted.clone();
    }
}
