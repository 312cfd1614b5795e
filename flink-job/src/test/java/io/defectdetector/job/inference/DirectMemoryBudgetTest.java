package io.defectdetector.job.inference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.defectdetector.job.model.ModelBundle;
import io.defectdetector.job.model.ModelCard;
import io.defectdetector.job.testing.TestModels;
import java.lang.management.BufferPoolMXBean;
import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.util.Map;
import org.apache.flink.configuration.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class DirectMemoryBudgetTest {
    private static final ModelCard DEFAULT = card(TestModels.defaultModelFolder());

    private static ModelCard card(Path model) {
        return ModelBundle.locate(model.toString()).card();
    }

    private static Configuration cluster(Map<String, String> settings) {
        Configuration conf = Configuration.fromMap(settings);
        conf.setString("taskmanager.memory.process.size", "4g");
        return conf;
    }

    private static long directMemoryUsed() {
        return ManagementFactory.getPlatformMXBeans(BufferPoolMXBean.class).stream()
                .filter(pool -> pool.getName().equals("direct")).findFirst().orElseThrow().getMemoryUsed();
    }

    /** The formula is what the engine allocates: measured in the JVM's direct buffer pool. */
    @ParameterizedTest
    @ValueSource(strings = {"default", "tiny-recon"})
    void countsWhatAnEngineAllocates(String which) throws Exception {
        Path model = which.equals("default") ? TestModels.defaultModelFolder() : TestModels.tinyRecon();
        long before = directMemoryUsed();
        try (OnnxInferenceEngine engine = OnnxInferenceEngineTest.open(model, "cpu", 64, false)) {
            long allocated = directMemoryUsed() - before;
            assertThat(allocated).isEqualTo(DirectMemoryBudget.bytesPerSubtask(card(model), 64));
        }
    }

    @Test
    void aLocalMiniClusterIsNotChecked() {
        assertThat(DirectMemoryBudget.check(DEFAULT, 4096, new Configuration())).isEmpty();
        assertThat(DirectMemoryBudget.check(DEFAULT, 4096, null)).isEmpty();
    }

    @Test
    void buffersWithinTaskOffHeapPass() {
        assertThat(DirectMemoryBudget.check(DEFAULT, 32, cluster(Map.of(
                "taskmanager.numberOfTaskSlots", "2", "taskmanager.memory.task.off-heap.size", "32m")))).isEmpty();
    }

    @Test
    void buffersBorrowingFlinksReserveWarnWithTheSettingToRaise() {
        // 2 slots x 8 frames x 4 bytes x (128x128 input + 128x128 map + 1 score) = 2 MiB, task off-heap 0.
        assertThat(DirectMemoryBudget.check(DEFAULT, 8, cluster(Map.of("taskmanager.numberOfTaskSlots", "2"))))
                .hasValueSatisfying(warning -> assertThat(warning)
                        .contains("needs 1.0 MiB of direct memory per subtask, 2.0 MiB for the 2 slots")
                        .contains("set taskmanager.memory.task.off-heap.size to at least 3m"));
    }

    @Test
    void buffersNoTaskManagerCanHoldStopTheStart() {
        // 4096 frames: 512 MiB per subtask, 1 GiB for 2 slots, against 0 + 128 MiB.
        assertThatThrownBy(() -> DirectMemoryBudget.check(DEFAULT, 4096,
                cluster(Map.of("taskmanager.numberOfTaskSlots", "2"))))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("batch-max-size 4096 with model")
                .hasMessageContaining("1024.0 MiB for the 2 slots of a TaskManager")
                .hasMessageContaining("set taskmanager.memory.task.off-heap.size to at least 1025m")
                .hasMessageNotContaining("lower batch-max-size"); // no task off-heap: no batch size fits it
        // With some task off-heap, the largest batch size that fits it without borrowing Flink's reserve.
        assertThatThrownBy(() -> DirectMemoryBudget.check(DEFAULT, 4096, cluster(Map.of(
                "taskmanager.numberOfTaskSlots", "2", "taskmanager.memory.task.off-heap.size", "64m"))))
                .hasMessageContaining("or lower batch-max-size to 255 or less");
        assertThat(DirectMemoryBudget.check(DEFAULT, 255, cluster(Map.of(
                "taskmanager.numberOfTaskSlots", "2", "taskmanager.memory.task.off-heap.size", "64m")))).isEmpty();
        // Raised as the message says, it starts.
        assertThat(DirectMemoryBudget.check(DEFAULT, 4096, cluster(Map.of(
                "taskmanager.numberOfTaskSlots", "2", "taskmanager.memory.task.off-heap.size", "1025m")))).isEmpty();
    }
}
