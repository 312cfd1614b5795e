package io.defectdetector.job.control;

import io.defectdetector.job.thresholds.ThresholdsSavepointCli;
import java.io.UncheckedIOException;
import picocli.CommandLine;

/**
 * What goes wrong in the operators' command-line tools, as one line on stderr rather than a stack trace: exit code
 * {@link ThresholdsSavepointCli#REFUSED} for a wrong argument or an unreadable file, {@link
 * ThresholdsSavepointCli#FAILED} for anything else.
 */
public final class CliErrors {

    private CliErrors() {
    }

    public static CommandLine oneLine(CommandLine cli, String tool) {
        cli.setExecutionExceptionHandler((e, line, parsed) -> {
            line.getErr().println(tool + ": " + rootMessage(e));
            return e instanceof IllegalArgumentException || e instanceof UncheckedIOException
                    ? ThresholdsSavepointCli.REFUSED : ThresholdsSavepointCli.FAILED;
        });
        return cli;
    }

    /** The exception's message, with its root cause's when there is one. */
    public static String rootMessage(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null && t.getCause() != t) {
            t = t.getCause();
        }
        String message = t == e ? e.getMessage() : e.getMessage() + " (cause: " + t + ")";
        return message == null ? e.toString() : message;
    }
}
