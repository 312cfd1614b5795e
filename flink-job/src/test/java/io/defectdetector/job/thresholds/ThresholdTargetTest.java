package io.defectdetector.job.thresholds;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** Which frames a target's overrides reach: the rule {@code thresholds suggest} picks its frames by. */
class ThresholdTargetTest {

    @Test
    void coversItsOwnCameraItsLineOrEveryCamera() {
        assertThat(ThresholdTarget.camera("cam-1").covers("cam-1", "line-1")).isTrue();
        assertThat(ThresholdTarget.camera("cam-1").covers("cam-2", "line-1")).isFalse();
        assertThat(ThresholdTarget.line("line-1").covers("cam-2", "line-1")).isTrue();
        assertThat(ThresholdTarget.line("line-1").covers("cam-2", null)).isFalse();
        assertThat(ThresholdTarget.line("cam-1").covers("cam-1", "line-1")).as("a line named like a camera").isFalse();
        assertThat(ThresholdTarget.DEFAULT.covers("cam-9", null)).isTrue();
    }

    @Test
    void outranksOnlyWhatIsLessSpecificThanItself() {
        ThresholdTarget camera = ThresholdTarget.camera("cam-1");
        ThresholdTarget line = ThresholdTarget.line("line-1");
        for (String source : new String[] {"camera:cam-1", "line:line-1", "default", "model", null}) {
            assertThat(camera.outranks(source)).as(source).isTrue();
        }
        assertThat(line.outranks("camera:cam-1")).isFalse();
        assertThat(line.outranks("camera:line:1")).as("a camera id may hold ':'").isFalse();
        assertThat(line.outranks("line:line-1")).isTrue();
        assertThat(line.outranks("default")).isTrue();
        assertThat(line.outranks("model")).isTrue();
        assertThat(ThresholdTarget.DEFAULT.outranks("camera:cam-1")).isFalse();
        assertThat(ThresholdTarget.DEFAULT.outranks("line:line-1")).isFalse();
        assertThat(ThresholdTarget.DEFAULT.outranks("default")).isTrue();
        assertThat(ThresholdTarget.DEFAULT.outranks("model")).isTrue();
        assertThat(ThresholdTarget.DEFAULT.outranks(null)).as("records of older job versions").isTrue();
    }
}
