package io.defectdetector.demo;

import java.util.Locale;
import java.util.Optional;

/**
 * Frames the cameras sent that the job had not decided when the demo stopped. Large frames (a folder of
 * megapixel PNG files through --images) cost the job far more than the simulator's 256x256 ones, so at the
 * default --rate the job falls behind, and without this line the gap between "sent" and "decided" is silent.
 */
record Backlog(long sent, long decided, long rejected, double sendingSeconds, double seconds) {

    long queued() {
        return Math.max(0, sent - decided - rejected);
    }

    /** Frames per second the job decided or rejected over the run (the cameras' time and the wait after). */
    double jobRate() {
        return (decided + rejected) / Math.max(0.001, seconds);
    }

    /** A --rate the job kept up with in this run, with a fifth to spare; at least 1. */
    long sustainableRate() {
        return Math.max(1, (long) Math.floor(0.8 * jobRate()));
    }

    /** The summary line, when at least 1 % of the frames sent were still queued. */
    Optional<String> summaryLine() {
        if (queued() == 0 || queued() * 100 < sent) {
            return Optional.empty();
        }
        return Optional.of(String.format(Locale.ROOT, "  behind   %d of %d frames sent were still queued when the "
                + "demo stopped: the job handled about %.1f frames/s, the cameras sent %.1f; to keep up, rerun with "
                + "--rate %d (or send smaller frames, see docs/performance.md)", queued(), sent, jobRate(),
                sent / Math.max(0.001, sendingSeconds), sustainableRate()));
    }
}
