package io.defectdetector.job.control;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import picocli.CommandLine.TypeConversionException;

class DurationConverterTest {
    private final DurationConverter converter = new DurationConverter();

    @Test
    void readsDurationsWithTheirUnit() {
        assertThat(converter.convert("30s")).isEqualTo(Duration.ofSeconds(30));
        assertThat(converter.convert("8h")).isEqualTo(Duration.ofHours(8));
        assertThat(converter.convert(" 10min ")).isEqualTo(Duration.ofMinutes(10));
        assertThat(DurationConverter.format(Duration.ofSeconds(30))).isEqualTo("30 s");
    }

    @ParameterizedTest
    @ValueSource(strings = {"5", "", "0s", "-5s", "soon", "106752d", "99999999999999d"})
    void refusesBareNumbersNonPositiveAndOverlongValues(String value) {
        // A bare 5 would be 5 ms to Flink's parser; 106752 days overflow the nanosecond clock.
        assertThatThrownBy(() -> converter.convert(value)).isInstanceOf(TypeConversionException.class);
    }
}
