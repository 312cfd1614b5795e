package io.defectdetector.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

class LocalKafkaMainTest {
    @Test
    void parsesTopicsWithOptionalPartitionCounts() {
        assertThat(LocalKafkaMain.parseTopics(List.of("frames:4", " alerts ", "dead-letter:1", "")))
                .containsExactly(java.util.Map.entry("frames", 4), java.util.Map.entry("alerts", 1),
                        java.util.Map.entry("dead-letter", 1));
    }

    @Test
    void rejectsTopicWithBadPartitionCount() {
        assertThatThrownBy(() -> LocalKafkaMain.parseTopics(List.of("frames:zero")))
                .hasMessageContaining("frames:zero");
        assertThatThrownBy(() -> LocalKafkaMain.parseTopics(List.of("frames:0")))
                .hasMessageContaining("PARTITIONS >= 1");
    }
}
