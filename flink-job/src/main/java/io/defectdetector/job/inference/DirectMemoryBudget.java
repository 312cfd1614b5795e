package io.defectdetector.job.inference;

import io.defectdetector.job.model.ModelCard;
import java.util.Locale;
import java.util.Optional;
import org.apache.flink.configuration.ReadableConfig;
import org.apache.flink.configuration.TaskManagerOptions;

/**
 * The batch buffers each inference subtask allocates ({@link OnnxInferenceEngine}) are Java direct memory. A
 * TaskManager caps its JVM's direct memory at framework off-heap + task off-heap + network memory, and the network
 * buffers take the last part: batches larger than task + framework off-heap cannot be allocated, and every
 * subtask would fail when it opens, restarting forever. Checked at start against the cluster configuration the
 * client sees; a local MiniCluster (no TaskManager memory configured) has no such cap and is not checked.
 */
public final class DirectMemoryBudget {
    private static final long MIB = 1L << 20;

    private DirectMemoryBudget() {
    }

    /** Direct memory one subtask allocates for batches of {@code maxBatchSize} frames of this model. */
    public static long bytesPerSubtask(ModelCard card, int maxBatchSize) {
        long image = (long) card.channels() * card.height() * card.width();
        long outputs = card.hasScoringHead() ? (long) card.mapHeight() * card.mapWidth() + 1 : image;
        return (long) Float.BYTES * maxBatchSize * (image + outputs);
    }

    /**
     * @return a warning when the buffers fit only by borrowing Flink's framework off-heap reserve, else empty
     * @throws IllegalArgumentException when a TaskManager's slots cannot hold them, naming the setting to raise
     */
    public static Optional<String> check(ModelCard card, int maxBatchSize, ReadableConfig cluster) {
        // A TaskManager's memory is configured by one of these (Flink refuses to start one without); a local
        // MiniCluster has none of them.
        if (cluster == null || (cluster.getOptional(TaskManagerOptions.TOTAL_PROCESS_MEMORY).isEmpty()
                && cluster.getOptional(TaskManagerOptions.TOTAL_FLINK_MEMORY).isEmpty()
                && cluster.getOptional(TaskManagerOptions.TASK_HEAP_MEMORY).isEmpty())) {
            return Optional.empty();
        }
        int slots = cluster.get(TaskManagerOptions.NUM_TASK_SLOTS);
        long perSubtask = bytesPerSubtask(card, maxBatchSize);
        long needed = perSubtask * slots;
        long taskOffHeap = cluster.get(TaskManagerOptions.TASK_OFF_HEAP_MEMORY).getBytes();
        long frameworkOffHeap = cluster.get(TaskManagerOptions.FRAMEWORK_OFF_HEAP_MEMORY).getBytes();
        String need = String.format(Locale.ROOT, "batch-max-size %d with model %s needs %s of direct memory per "
                + "subtask, %s for the %d slots of a TaskManager (%s)", maxBatchSize, card.origin(), mib(perSubtask),
                mib(needed), slots, TaskManagerOptions.NUM_TASK_SLOTS.key());
        String fix = String.format(Locale.ROOT, "set %s to at least %dm", TaskManagerOptions.TASK_OFF_HEAP_MEMORY.key(),
                (needed + MIB - 1) / MIB);
        if (needed > taskOffHeap + frameworkOffHeap) {
            long fitting = taskOffHeap / slots / (perSubtask / maxBatchSize); // without borrowing Flink's reserve
            throw new IllegalArgumentException(String.format(Locale.ROOT, "%s, more than %s (%s) and %s (%s) "
                    + "allow: the subtasks would fail when they open. %s%s", need,
                    TaskManagerOptions.TASK_OFF_HEAP_MEMORY.key(), mib(taskOffHeap),
                    TaskManagerOptions.FRAMEWORK_OFF_HEAP_MEMORY.key(), mib(frameworkOffHeap), fix,
                    fitting > 0 ? ", or lower batch-max-size to " + fitting + " or less" : ""));
        }
        if (needed > taskOffHeap) {
            return Optional.of(String.format(Locale.ROOT, "%s, more than %s (%s): it borrows from Flink's own "
                    + "reserve (%s, %s); %s", need, TaskManagerOptions.TASK_OFF_HEAP_MEMORY.key(), mib(taskOffHeap),
                    TaskManagerOptions.FRAMEWORK_OFF_HEAP_MEMORY.key(), mib(frameworkOffHeap), fix));
        }
        return Optional.empty();
    }

    private static String mib(long bytes) {
        return String.format(Locale.ROOT, "%.1f MiB", bytes / (double) MIB);
    }
}
