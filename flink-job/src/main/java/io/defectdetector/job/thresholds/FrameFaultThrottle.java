package io.defectdetector.job.thresholds;

import java.time.Duration;

/**
 * When a camera's frames outside the model's input range (cause "frame") alert: at most once per interval of
 * capture time, counted from the camera's last frame-fault alert whatever lay between, so a camera flickering
 * across the range's edge is limited like one that stays out. Pure: {@link DebounceFunction} keeps the one number
 * per camera it works on, the capture time of that last alert.
 */
public final class FrameFaultThrottle {
    /**
     * A capture time this far behind the last alert is a reset of the camera's clock, not an old frame: it alerts.
     * Smaller steps back (a clock correction, two producers a little apart) only wait until the interval has passed
     * on the new clock, so they cannot make every frame alert.
     */
    public static final Duration CLOCK_RESET = DebounceFunction.HISTORY_TTL;

    private FrameFaultThrottle() {
    }

    /**
     * Whether a frame fault captured at {@code captureTimeMs} alerts, given the capture time of the camera's last
     * frame-fault alert ({@code null}: none kept).
     */
    public static boolean alerts(Long lastAlertMs, long captureTimeMs, long intervalMs) {
        if (lastAlertMs == null) {
            return true;
        }
        long since = captureTimeMs - lastAlertMs;
        return since >= intervalMs || since <= -CLOCK_RESET.toMillis();
    }
}
