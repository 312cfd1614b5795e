package io.defectdetector.job.testing;

import io.defectdetector.job.frames.RawFrameRecord;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.flink.api.common.functions.RichMapFunction;
import org.apache.flink.api.common.state.CheckpointListener;

/**
 * Passes records through and throws once, on whichever subtask gets there first, after a checkpoint has completed and {@code afterRecords}
 * more records went by: the failure then strikes with output pending in an open Kafka transaction, and recovery
 * must restore source offsets from that checkpoint and abort the transaction. Static state, so the flag survives
 * the restart (the MiniCluster runs in the test JVM); {@link #reset()} between tests.
 */
public class FailOnceAfterCheckpoint extends RichMapFunction<RawFrameRecord, RawFrameRecord>
        implements CheckpointListener {
    private static final long serialVersionUID = 1L;
    public static final AtomicBoolean FAILED = new AtomicBoolean();
    public static final AtomicLong RECORDS_AFTER_RESTORE = new AtomicLong();
    /** Checkpoints completed as seen by any subtask: tests wait for one before sending frames. */
    public static final AtomicInteger CHECKPOINTS_COMPLETED = new AtomicInteger();

    private final int afterRecords;
    private transient boolean checkpointCompleted;
    private transient int sinceCheckpoint;

    public FailOnceAfterCheckpoint(int afterRecords) {
        this.afterRecords = afterRecords;
    }

    public static void reset() {
        FAILED.set(false);
        RECORDS_AFTER_RESTORE.set(0);
        CHECKPOINTS_COMPLETED.set(0);
    }

    @Override
    public RawFrameRecord map(RawFrameRecord record) {
        if (FAILED.get()) {
            RECORDS_AFTER_RESTORE.incrementAndGet();
        } else if (checkpointCompleted && ++sinceCheckpoint >= afterRecords
                && FAILED.compareAndSet(false, true)) {
            throw new IllegalStateException("injected failure (test) at offset " + record.getOffset());
        }
        return record;
    }

    @Override
    public void notifyCheckpointComplete(long checkpointId) {
        checkpointCompleted = true;
        sinceCheckpoint = 0;
        CHECKPOINTS_COMPLETED.incrementAndGet();
    }
}
