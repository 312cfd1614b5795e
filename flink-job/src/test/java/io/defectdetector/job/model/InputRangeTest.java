package io.defectdetector.job.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

/** The input range's statistics and test (docs/model-card.md, thresholds.input_range), without Flink. */
class InputRangeTest {
    private static final InputRange RANGE = new InputRange(0.5, 0.1, -3.0, 1.0);

    @Test
    void aFlatFrameHasItsValueAsLevelAndTheSpreadOfEpsilon() {
        InputRange.Statistics s = InputRange.measure(filled(64, 0.75f), 0, 64);
        assertThat(s.level()).isCloseTo(0.75, within(1e-12));
        assertThat(s.spread()).isCloseTo(Math.log(1e-6), within(1e-12));
    }

    @Test
    void spreadIsTheLogOfThePopulationStandardDeviation() {
        // 0, 1, 0, 1: mean 0.5, population standard deviation 0.5 (the sample one would be 0.577).
        InputRange.Statistics s = InputRange.measure(new float[] {0f, 1f, 0f, 1f}, 0, 4);
        assertThat(s.level()).isEqualTo(0.5);
        assertThat(s.spread()).isCloseTo(Math.log(0.5 + 1e-6), within(1e-12));
    }

    @Test
    void measuresOnlyItsOwnFrameOfABatch() {
        float[] batch = new float[12];
        batch[4] = 1f; // frame 1 of three 4-value frames: 1, 0, 0, 0
        InputRange.Statistics s = InputRange.measure(batch, 4, 4);
        assertThat(s.level()).isEqualTo(0.25);
        assertThat(s.spread()).isCloseTo(Math.log(Math.sqrt(0.1875) + 1e-6), within(1e-12));
        assertThat(InputRange.measure(batch, 8, 4).level()).isZero();
    }

    @Test
    void framesWhoseLengthIsNoMultipleOfFourCountEveryValue() {
        float[] batch = {9f, 0f, 1f, 0f, 1f, 1f, 0f, 1f, 9f};  // a 7-value frame at offset 1, framed by others
        InputRange.Statistics s = InputRange.measure(batch, 1, 7);
        double mean = 4 / 7.0;
        assertThat(s.level()).isCloseTo(mean, within(1e-12));
        assertThat(s.spread()).isCloseTo(Math.log(Math.sqrt(mean * (1 - mean)) + 1e-6), within(1e-12));
    }

    @Test
    void bothBandsAreInclusiveAndEitherStatisticOutsideIsOutOfRange() {
        assertThat(RANGE.contains(new InputRange.Statistics(0.5, -3.0))).isTrue();
        assertThat(RANGE.contains(new InputRange.Statistics(0.625, -3.0))).as("level over").isFalse();
        assertThat(RANGE.contains(new InputRange.Statistics(0.375, -3.0))).as("level under").isFalse();
        assertThat(RANGE.contains(new InputRange.Statistics(0.5, -1.5))).as("spread over").isFalse();
        assertThat(RANGE.contains(new InputRange.Statistics(0.5, Math.log(1e-6)))).as("flat").isFalse();
        assertThat(RANGE.contains(new InputRange.Statistics(0.5, -2.0))).as("at the band's edge").isTrue();
        assertThat(RANGE.contains(new InputRange.Statistics(Double.NaN, -3.0))).isFalse();
        assertThat(RANGE).hasToString("input range: level 0.5000 +- 0.1000, spread -3.000 +- 1.000");
    }

    @Test
    void refusesBandsThatAreNotPositiveAndCentresThatAreNotFinite() {
        assertThatThrownBy(() -> new InputRange(0.5, 0, -3, 1)).hasMessageContaining("bands > 0");
        assertThatThrownBy(() -> new InputRange(0.5, 0.1, -3, Double.NaN)).hasMessageContaining("bands > 0");
        assertThatThrownBy(() -> new InputRange(Double.POSITIVE_INFINITY, 0.1, -3, 1))
                .hasMessageContaining("finite centres");
        assertThatThrownBy(() -> new InputRange(0.5, 0.1, -3, Double.POSITIVE_INFINITY))
                .hasMessageContaining("bands > 0");
    }

    private static float[] filled(int n, float v) {
        float[] a = new float[n];
        java.util.Arrays.fill(a, v);
        return a;
    }
}
