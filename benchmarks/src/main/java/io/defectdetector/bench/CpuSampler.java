package io.defectdetector.bench;

import java.util.ArrayList;
import java.util.List;

/**
 * Takes a {@link CpuMeter} snapshot every few hundred milliseconds, so the CPU of a window chosen afterwards (the
 * steady part of a drain, known only once it is over) can be read from the snapshots nearest its ends.
 */
final class CpuSampler implements AutoCloseable {
    private final List<CpuMeter.Snapshot> snapshots = new ArrayList<>();
    private final Thread thread;
    private volatile boolean running = true;

    CpuSampler(long periodMs) {
        thread = new Thread(() -> {
            while (running) {
                CpuMeter.Snapshot s = CpuMeter.snapshot();
                synchronized (snapshots) {
                    snapshots.add(s);
                }
                try {
                    Thread.sleep(periodMs);
                } catch (InterruptedException e) {
                    return;
                }
            }
        }, "bench-cpu-sampler");
        thread.setDaemon(true);
        thread.start();
    }

    /** The first snapshot at or after {@code fromMs} and the last at or before {@code toMs}; null if none fit. */
    CpuMeter.Snapshot[] window(long fromMs, long toMs) {
        synchronized (snapshots) {
            CpuMeter.Snapshot a = null;
            CpuMeter.Snapshot b = null;
            for (CpuMeter.Snapshot s : snapshots) {
                if (a == null && s.epochMillis() >= fromMs) {
                    a = s;
                }
                if (s.epochMillis() <= toMs) {
                    b = s;
                }
            }
            return a == null || b == null || b.epochMillis() <= a.epochMillis() ? null
                    : new CpuMeter.Snapshot[] {a, b};
        }
    }

    @Override
    public void close() throws InterruptedException {
        running = false;
        thread.interrupt();
        thread.join(2000);
    }
}
