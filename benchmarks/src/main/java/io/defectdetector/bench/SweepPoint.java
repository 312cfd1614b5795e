package io.defectdetector.bench;

/** One batching setting of the sweep: sustained throughput, and latency at a fixed offered rate. */
public record SweepPoint(int batchMaxSize, long batchMaxWaitMs, String delivery, double framesPerSecond,
        double offeredPerSecond, double p50, double p95, double p99) {
}
