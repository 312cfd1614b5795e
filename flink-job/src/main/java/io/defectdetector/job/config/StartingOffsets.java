package io.defectdetector.job.config;

import org.apache.flink.connector.kafka.source.enumerator.initializer.OffsetsInitializer;
import org.apache.kafka.clients.consumer.OffsetResetStrategy;

/**
 * Where the frames source starts when it has no checkpoint or savepoint to restore from. A restored job
 * always resumes from the offsets in its checkpoint, whatever this says.
 */
public enum StartingOffsets {
    /** The consumer group's committed offsets; partitions without one start at the earliest record. */
    COMMITTED_OR_EARLIEST,
    /** The consumer group's committed offsets; partitions without one start at the end (only new frames). */
    COMMITTED_OR_LATEST,
    /** Every partition from its earliest retained record, ignoring committed offsets. */
    EARLIEST,
    /** Every partition from its end, ignoring committed offsets: only frames produced after the start. */
    LATEST;

    @SuppressWarnings("deprecation") // the connector's API still takes the (deprecated) OffsetResetStrategy
    public OffsetsInitializer initializer() {
        return switch (this) {
            case COMMITTED_OR_EARLIEST -> OffsetsInitializer.committedOffsets(OffsetResetStrategy.EARLIEST);
            case COMMITTED_OR_LATEST -> OffsetsInitializer.committedOffsets(OffsetResetStrategy.LATEST);
            case EARLIEST -> OffsetsInitializer.earliest();
            case LATEST -> OffsetsInitializer.latest();
        };
    }
}
