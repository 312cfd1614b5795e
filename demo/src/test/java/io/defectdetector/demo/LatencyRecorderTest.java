package io.defectdetector.demo;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class LatencyRecorderTest {

    @Test
    void percentilesUseNearestRank() {
        LatencyRecorder recorder = new LatencyRecorder(10_000);
        for (int i = 1; i <= 100; i++) {
            recorder.record(1000, i);
        }
        assertThat(recorder.percentile(50)).isEqualTo(50);
        assertThat(recorder.percentile(99)).isEqualTo(99);
        assertThat(recorder.percentile(100)).isEqualTo(100);
    }

    @Test
    void recentPercentileForgetsSamplesOlderThanTheWindow() {
        LatencyRecorder recorder = new LatencyRecorder(1000);
        recorder.record(0, 5000);
        recorder.record(1500, 20);

        assertThat(recorder.recentPercentile(1600, 99)).isEqualTo(20);
        assertThat(recorder.percentile(99)).isEqualTo(5000);
        assertThat(recorder.recentPercentile(5000, 99)).isEqualTo(-1);
    }
}
