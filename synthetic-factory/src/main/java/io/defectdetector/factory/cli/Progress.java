package io.defectdetector.factory.cli;

import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

/** A progress bar on stderr, or nothing when the user asked for quiet output. */
final class Progress implements AutoCloseable {
    private final ProgressBar bar;

    Progress(String task, long max, String unit, boolean enabled) {
        this.bar = enabled
                ? new ProgressBarBuilder().setTaskName(task).setInitialMax(max).setStyle(ProgressBarStyle.ASCII)
                        .setUnit(" " + unit, 1).showSpeed().setUpdateIntervalMillis(250).build()
                : null;
    }

    void step() {
        if (bar != null) {
            bar.step();
        }
    }

    void stepTo(long n) {
        if (bar != null) {
            bar.stepTo(n);
        }
    }

    void extra(String message) {
        if (bar != null) {
            bar.setExtraMessage(message);
        }
    }

    @Override
    public void close() {
        if (bar != null) {
            bar.close();
        }
    }
}
