package io.defectdetector.job.thresholds;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** When a camera's frame faults alert (FrameFaultThrottle), without Flink. */
class FrameFaultThrottleTest {
    private static final long MINUTE = 60_000;

    @Test
    void theFirstFaultOfACameraAlertsAndStartsAnEpisode() {
        FrameFaultThrottle.Decision d = FrameFaultThrottle.onFault(null, 5_000, MINUTE);
        assertThat(d).isEqualTo(new FrameFaultThrottle.Decision(true, true, 5_000));
        assertThat(FrameFaultThrottle.inEpisode(d.state())).isTrue();
        assertThat(FrameFaultThrottle.onFault(null, 0, MINUTE).state()).as("capture time 0 is a time too")
                .isZero();
    }

    @Test
    void withinAnEpisodeAFaultAlertsOncePerInterval() {
        assertThat(FrameFaultThrottle.onFault(5_000L, 5_000 + MINUTE - 1, MINUTE))
                .isEqualTo(new FrameFaultThrottle.Decision(false, false, 5_000));
        assertThat(FrameFaultThrottle.onFault(5_000L, 5_000 + MINUTE, MINUTE))
                .isEqualTo(new FrameFaultThrottle.Decision(true, false, 5_000 + MINUTE));
        assertThat(FrameFaultThrottle.onFault(5_000L, 5_000, 0).alert()).as("interval 0: every fault").isTrue();
    }

    @Test
    void aFrameInRangeEndsTheEpisodeButKeepsTheLastAlertsTime() {
        Long ended = FrameFaultThrottle.onInRange(5_000L);
        assertThat(FrameFaultThrottle.inEpisode(ended)).isFalse();
        assertThat(FrameFaultThrottle.onInRange(ended)).as("nothing to write again").isEqualTo(ended);
        assertThat(FrameFaultThrottle.onInRange(null)).isNull();
        assertThat(FrameFaultThrottle.onFault(ended, 30_000, MINUTE))
                .as("a new episode within the interval: logged, not alerted")
                .isEqualTo(new FrameFaultThrottle.Decision(false, true, 5_000));
        assertThat(FrameFaultThrottle.onFault(ended, 5_000 + MINUTE, MINUTE).alert()).isTrue();
        assertThat(FrameFaultThrottle.inEpisode(FrameFaultThrottle.onInRange(0L))).as("time 0 ended").isFalse();
    }

    @Test
    void smallStepsBackWaitForTheIntervalAndAResetOfTheClockAlerts() {
        long last = 120 * MINUTE;
        assertThat(FrameFaultThrottle.onFault(last, last - 2 * MINUTE, MINUTE).alert())
                .as("two producers two minutes apart do not make every frame alert").isFalse();
        assertThat(FrameFaultThrottle.onFault(last, last - FrameFaultThrottle.CLOCK_RESET.toMillis(), MINUTE))
                .isEqualTo(new FrameFaultThrottle.Decision(true, false, 60 * MINUTE));
        // Interleaved clocks, 2 minutes apart, one frame each every 10 s: one alert per minute of the later clock.
        Long state = null;
        int alerts = 0;
        for (int i = 0; i < 60; i++) {
            long t = 10_000L * (i / 2) + (i % 2 == 0 ? 0 : 2 * MINUTE);
            FrameFaultThrottle.Decision d = FrameFaultThrottle.onFault(state, t, MINUTE);
            alerts += d.alert() ? 1 : 0;
            state = d.state();
        }
        assertThat(alerts).isBetween(4, 6);
    }
}
