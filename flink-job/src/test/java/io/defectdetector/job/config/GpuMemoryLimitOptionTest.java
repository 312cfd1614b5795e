package io.defectdetector.job.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import org.apache.flink.configuration.Configuration;
import org.junit.jupiter.api.Test;

class GpuMemoryLimitOptionTest {

    private static JobConfig config(Map<String, String> extra) {
        Map<String, String> map = new java.util.HashMap<>(extra);
        map.put(JobOptions.KAFKA_BOOTSTRAP_SERVERS.key(), "localhost:9092");
        return JobConfig.from(Configuration.fromMap(map));
    }

    @Test
    void noLimitByDefault() {
        assertThat(config(Map.of()).inferenceSettings().gpuMemoryLimitBytes()).isZero();
    }

    @Test
    void limitReachesTheInferenceSettingsInBytes() {
        JobConfig cfg = config(Map.of(JobOptions.INFERENCE_GPU_MEMORY_LIMIT.key(), "2gb",
                JobOptions.INFERENCE_DEVICE.key(), "cuda:1"));

        assertThat(cfg.inferenceSettings().gpuMemoryLimitBytes()).isEqualTo(2L * 1024 * 1024 * 1024);
        assertThat(cfg.inferenceSettings().deviceSpec().deviceId()).isEqualTo(1);
    }

    @Test
    void rejectsAnUnparsableLimitNamingTheOption() {
        assertThatThrownBy(() -> config(Map.of(JobOptions.INFERENCE_GPU_MEMORY_LIMIT.key(), "lots")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("inference-gpu-memory-limit");
    }
}
