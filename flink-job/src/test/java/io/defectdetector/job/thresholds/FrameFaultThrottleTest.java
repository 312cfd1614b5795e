package io.defectdetector.job.thresholds;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** When a camera's frame faults alert (FrameFaultThrottle), without Flink. */
class FrameFaultThrottleTest {
    private static final long MINUTE = 60_000;

    @Test
    void theFirstFaultOfACameraAlerts() {
        assertThat(FrameFaultThrottle.alerts(null, 5_000, MINUTE)).isTrue();
        assertThat(FrameFaultThrottle.alerts(null, 0, MINUTE)).as("capture time 0 is a time too").isTrue();
        assertThat(FrameFaultThrottle.alerts(0L, 1, MINUTE)).isFalse();
    }

    @Test
    void aFaultAlertsOncePerIntervalAfterTheLastAlert() {
        assertThat(FrameFaultThrottle.alerts(5_000L, 5_000 + MINUTE - 1, MINUTE)).isFalse();
        assertThat(FrameFaultThrottle.alerts(5_000L, 5_000 + MINUTE, MINUTE)).isTrue();
        assertThat(FrameFaultThrottle.alerts(5_000L, 5_000, 0)).as("interval 0: every fault").isTrue();
    }

    @Test
    void smallStepsBackWaitForTheIntervalAndAResetOfTheClockAlerts() {
        long last = 120 * MINUTE;
        assertThat(FrameFaultThrottle.alerts(last, last - 2 * MINUTE, MINUTE))
                .as("two producers two minutes apart do not make every frame alert").isFalse();
        assertThat(FrameFaultThrottle.alerts(last, last - FrameFaultThrottle.CLOCK_RESET.toMillis() + 1, MINUTE))
                .isFalse();
        assertThat(FrameFaultThrottle.alerts(last, last - FrameFaultThrottle.CLOCK_RESET.toMillis(), MINUTE))
                .isTrue();
        // Interleaved clocks, 2 minutes apart, one frame each every 10 s for 5 minutes: about one alert a minute.
        Long lastAlert = null;
        int alerts = 0;
        for (int i = 0; i < 60; i++) {
            long t = 10_000L * (i / 2) + (i % 2 == 0 ? 0 : 2 * MINUTE);
            if (FrameFaultThrottle.alerts(lastAlert, t, MINUTE)) {
                alerts++;
                lastAlert = t;
            }
        }
        assertThat(alerts).isBetween(4, 6);
    }
}
