package io.defectdetector.job.batching;

import java.util.ArrayList;
import java.util.List;

/**
 * The batching policy, free of Flink and clocks so it can be tested exactly: a batch is released when it holds
 * {@code maxSize} items, or once {@code maxWaitMs} have passed since its <em>first</em> item arrived (so no item
 * waits longer than that for a partner), or when the caller drains it (checkpoint barrier, end of input).
 *
 * <p>{@code maxWaitMs == 0} disables waiting: every item is released as a batch of one. Not thread-safe; an
 * operator calls it from its mailbox thread only.
 */
public final class MicroBatcher<T> {
    private final int maxSize;
    private final long maxWaitMs;
    private List<T> items;
    private long deadline = Long.MAX_VALUE;

    public MicroBatcher(int maxSize, long maxWaitMs) {
        if (maxSize < 1) {
            throw new IllegalArgumentException("batch size must be >= 1, got " + maxSize);
        }
        if (maxWaitMs < 0) {
            throw new IllegalArgumentException("batch wait must be >= 0 ms, got " + maxWaitMs);
        }
        this.maxSize = maxSize;
        this.maxWaitMs = maxWaitMs;
        this.items = new ArrayList<>(maxSize);
    }

    /** Adds an item; returns the full batch when this item completes one (or waiting is disabled), else empty. */
    public List<T> add(T item, long nowMs) {
        if (items.isEmpty()) {
            deadline = saturatedAdd(nowMs, maxWaitMs);
        }
        items.add(item);
        if (items.size() >= maxSize || maxWaitMs == 0) {
            return drain();
        }
        return List.of();
    }

    /** Returns the buffered batch when its deadline has passed ({@code nowMs >= nextDeadline()}), else empty. */
    public List<T> pollExpired(long nowMs) {
        if (!items.isEmpty() && nowMs >= deadline) {
            return drain();
        }
        return List.of();
    }

    /** Releases whatever is buffered (possibly nothing); the caller owns the returned list. */
    public List<T> drain() {
        if (items.isEmpty()) {
            return List.of();
        }
        List<T> batch = items;
        items = new ArrayList<>(maxSize);
        deadline = Long.MAX_VALUE;
        return batch;
    }

    /** When the buffered batch must be released, or {@link Long#MAX_VALUE} when nothing is buffered. */
    public long nextDeadline() {
        return deadline;
    }

    public int size() {
        return items.size();
    }

    public int maxSize() {
        return maxSize;
    }

    public long maxWaitMs() {
        return maxWaitMs;
    }

    private static long saturatedAdd(long a, long b) {
        long sum = a + b;
        return ((a ^ sum) & (b ^ sum)) < 0 ? Long.MAX_VALUE : sum;
    }
}
