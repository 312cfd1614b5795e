package io.defectdetector.job.thresholds;

import java.time.Duration;

/**
 * When a camera's frames outside the model's input range (cause "frame") alert: the first of an episode, then at
 * most once per interval of capture time, across episodes too, so a camera flickering across the range's edge is
 * limited like one that stays out. Pure: {@link DebounceFunction} keeps the one number per camera it works on.
 *
 * <p>That number is the capture time of the camera's last frame-fault alert, stored as is while the camera is out
 * of range and as {@code -1 - time} once a frame is back in range (capture times are epoch ms, so never negative):
 * one long tells both when the camera last alerted and whether an episode is going on, for the log.
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
     * @param alert         whether this frame fault is published
     * @param episodeStarts the camera was in range (or unseen) until this frame
     * @param state         the number to keep for the camera
     */
    public record Decision(boolean alert, boolean episodeStarts, long state) {
    }

    /** A frame out of range, captured at {@code captureTimeMs}, given the camera's state (null: none kept). */
    public static Decision onFault(Long state, long captureTimeMs, long intervalMs) {
        if (state == null) {
            return new Decision(true, true, captureTimeMs);
        }
        long lastAlert = state >= 0 ? state : -1 - state;
        long since = captureTimeMs - lastAlert;
        boolean alert = since >= intervalMs || since <= -CLOCK_RESET.toMillis();
        return new Decision(alert, state < 0, alert ? captureTimeMs : lastAlert);
    }

    /** The state after a frame in range: the episode ends (the last alert's time is kept), or null for none. */
    public static Long onInRange(Long state) {
        if (state == null || state < 0) {
            return state;
        }
        return -1 - state;
    }

    /** Whether the state says the camera is out of range now. */
    public static boolean inEpisode(Long state) {
        return state != null && state >= 0;
    }
}
