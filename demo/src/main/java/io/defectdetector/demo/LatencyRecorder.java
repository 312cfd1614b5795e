package io.defectdetector.demo;

import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.Deque;

/**
 * Capture-to-alert latencies: percentiles over the whole run and over a recent window (for the status line).
 * Thread-safe; keeps every sample of the run (a few per second in a demo).
 */
public final class LatencyRecorder {
    private record Sample(long atMs, long latencyMs) {
    }

    private final long windowMs;
    private final Deque<Sample> recent = new ArrayDeque<>();
    private long[] all = new long[1024];
    private int count;

    public LatencyRecorder(long windowMs) {
        this.windowMs = windowMs;
    }

    public synchronized void record(long nowMs, long latencyMs) {
        if (count == all.length) {
            all = Arrays.copyOf(all, count * 2);
        }
        all[count++] = latencyMs;
        recent.addLast(new Sample(nowMs, latencyMs));
        evict(nowMs);
    }

    /** Percentile (0-100, nearest rank) of the samples of the last window, or -1 when there are none. */
    public synchronized long recentPercentile(long nowMs, double percentile) {
        evict(nowMs);
        return percentile(recent.stream().mapToLong(Sample::latencyMs).toArray(), percentile);
    }

    /** Percentile (0-100, nearest rank) of the whole run, or -1 when there are no samples. */
    public synchronized long percentile(double percentile) {
        return percentile(Arrays.copyOf(all, count), percentile);
    }

    public synchronized int count() {
        return count;
    }

    private void evict(long nowMs) {
        while (!recent.isEmpty() && recent.peekFirst().atMs() < nowMs - windowMs) {
            recent.removeFirst();
        }
    }

    static long percentile(long[] values, double percentile) {
        if (values.length == 0) {
            return -1;
        }
        long[] sorted = values.clone();
        Arrays.sort(sorted);
        int rank = (int) Math.ceil(percentile / 100.0 * sorted.length);
        return sorted[Math.max(0, Math.min(sorted.length - 1, rank - 1))];
    }
}
