package io.defectdetector.job.thresholds;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class ThresholdSettingsTest {

    @Test
    void asFloat32RoundsBothThresholdsToTheScoresPrecision() {
        ThresholdSettings t = new ThresholdSettings(0.7, 1.00000011, 5).asFloat32();

        assertThat(t.imageScore()).isEqualTo((double) 0.7f);
        assertThat(t.pixel()).isEqualTo((double) 1.0000001f);
        assertThat(t.minRegionArea()).isEqualTo(5);
    }

    @Test
    void asFloat32KeepsAThresholdFiniteAndOffZero() {
        // Beyond float range a threshold would become infinite (nothing alerts, JSON has no infinity) or zero
        // (everything alerts).
        ThresholdSettings big = new ThresholdSettings(1e300, -1e300, 0).asFloat32();
        ThresholdSettings tiny = new ThresholdSettings(1e-300, -1e-300, 0).asFloat32();

        assertThat(big.imageScore()).isEqualTo(Float.MAX_VALUE);
        assertThat(big.pixel()).isEqualTo(-Float.MAX_VALUE);
        assertThat(tiny.imageScore()).isEqualTo(Float.MIN_VALUE);
        assertThat(tiny.pixel()).isEqualTo(-Float.MIN_VALUE);
        assertThat(new ThresholdSettings(0, 0, 0).asFloat32().imageScore()).isZero();
    }
}
