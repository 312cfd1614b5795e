package io.defectdetector.job.thresholds;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.defectdetector.job.alerts.IsoMillis;
import io.defectdetector.job.control.CliErrors;
import io.defectdetector.job.control.ControlAction;
import io.defectdetector.job.control.ControlCommand;
import io.defectdetector.job.control.ControlCommandException;
import io.defectdetector.job.control.ControlCommandParser;
import io.defectdetector.job.control.ControlJson;
import io.defectdetector.job.model.ModelBundle;
import io.defectdetector.job.model.ModelCard;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;
import picocli.CommandLine;

/**
 * {@code thresholds-savepoint}: lists the threshold overrides inside a savepoint, and writes a new savepoint with
 * some of them changed, for the offline way of tuning (docs/operations.md): stop the job with a savepoint, edit,
 * restart from the new savepoint. Edits go through the same validation and the same rules as control-topic
 * commands ({@link ControlCommandParser}, {@link OverrideEdits}).
 *
 * <p>Exit codes: 0 done, 1 the savepoint or model could not be read or written, 2 refused arguments.
 */
@Command(name = "thresholds-savepoint", mixinStandardHelpOptions = true,
        subcommands = {ThresholdsSavepointCli.ListCommand.class, ThresholdsSavepointCli.SetCommand.class,
                ThresholdsSavepointCli.ResetCommand.class},
        description = "Lists or edits the threshold overrides stored in a savepoint of the defect-detector job.")
public final class ThresholdsSavepointCli implements Callable<Integer> {
    public static final int FAILED = 1;
    public static final int REFUSED = 2;

    @Spec
    CommandSpec spec;

    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }

    public static CommandLine commandLine() {
        return CliErrors.oneLine(new CommandLine(new ThresholdsSavepointCli()), "thresholds-savepoint");
    }

    @Override
    public Integer call() {
        spec.commandLine().usage(spec.commandLine().getOut());
        return REFUSED;
    }

    @Command(name = "list", mixinStandardHelpOptions = true,
            description = "Prints the threshold overrides stored in a savepoint (or retained checkpoint).")
    static final class ListCommand implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Option(names = "--savepoint", required = true, paramLabel = "PATH",
                description = "The savepoint folder (local path, file:// or s3:// ...).")
        String savepoint;

        @Option(names = "--model-path", paramLabel = "PATH",
                description = "The model the job will run: marks overrides tuned for another score scale as "
                        + "inactive.")
        String modelPath;

        @Option(names = "--json", description = "Print JSON (the audit topic's override format) instead of text.")
        boolean json;

        @Option(names = "-D", paramLabel = "KEY=VALUE",
                description = "A Flink configuration setting for the savepoint's filesystem (e.g. "
                        + "-Ds3.endpoint=https://minio:9000), over FLINK_CONF_DIR's; repeatable.")
        Map<String, String> flinkConfig = new java.util.LinkedHashMap<>();

        @Override
        public Integer call() throws Exception {
            ThresholdsSavepoint.initializeFileSystems(flinkConfig); // first: the model may be an s3:// URI too
            String scale = modelPath == null ? null
                    : ScoreScale.of(ModelBundle.locate(modelPath).releaseLocalCopy().card());
            Map<String, ThresholdOverride> overrides = ThresholdsSavepoint.read(savepoint);
            PrintWriter out = spec.commandLine().getOut();
            if (json) {
                out.println(ControlJson.write(ControlJson.overrides(overrides.entrySet(), scale)));
            } else {
                out.println(overrides.size() + " threshold override(s) in " + savepoint
                        + (scale == null ? "" : " (running scale " + scale + ")"));
                overrides.forEach((key, o) -> out.println(describe(key, o, scale)));
            }
            out.flush();
            return 0;
        }
    }

    /** Options shared by the commands that write a new savepoint. */
    abstract static class EditCommand implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Option(names = "--savepoint", required = true, paramLabel = "PATH", description = "The savepoint to read.")
        String savepoint;

        @Option(names = "--output", required = true, paramLabel = "PATH",
                description = "Where to write the new savepoint (must not exist). Keep the input savepoint until "
                        + "the restored job has completed a checkpoint.")
        String output;

        @Option(names = "--target", required = true, paramLabel = "TARGET",
                description = "default, line:<id> or camera:<id>.")
        String target;

        @Option(names = "--by", required = true, paramLabel = "WHO",
                description = "Who makes the change; stored with the override.")
        String by;

        @Option(names = "-D", paramLabel = "KEY=VALUE",
                description = "A Flink configuration setting for the savepoints' filesystem (e.g. "
                        + "-Ds3.endpoint=https://minio:9000), over FLINK_CONF_DIR's; repeatable.")
        Map<String, String> flinkConfig = new java.util.LinkedHashMap<>();

        /** The equivalent control-topic command, without the action-specific fields. */
        ObjectNode command(String action) {
            ObjectNode c = ControlJson.object();
            c.put("action", action);
            c.put("target", target);
            c.put("by", by);
            return c;
        }

        Integer apply(ObjectNode json, String scale, String modelLabel) throws Exception {
            ControlCommand command;
            try {
                command = ControlCommandParser.parse(ControlJson.write(json));
            } catch (ControlCommandException e) {
                spec.commandLine().getErr().println("thresholds-savepoint: refused (" + e.reason().code() + "): "
                        + e.getMessage());
                return REFUSED;
            }
            command.setCommandId("thresholds-savepoint");
            command.setRequestedAtMs(System.currentTimeMillis());
            ThresholdsSavepoint.initializeFileSystems(flinkConfig);
            Map<String, ThresholdOverride> overrides = new TreeMap<>(ThresholdsSavepoint.read(savepoint));
            ThresholdOverride old = overrides.get(command.getTarget());
            ThresholdOverride next = command.getAction() == ControlAction.SET
                    ? OverrideEdits.set(old, command, scale, modelLabel)
                    : OverrideEdits.reset(old, command.getResetFields(), command, modelLabel);
            if (command.getAction() == ControlAction.RESET && next == old) {
                // Most likely a mistyped target or field: writing an identical savepoint would look like success.
                spec.commandLine().getErr().println("thresholds-savepoint: nothing to reset: " + command.getTarget()
                        + (old == null ? " has no override" : " holds none of " + String.join(", ",
                        command.getResetFields())) + " in " + savepoint + " (overrides: "
                        + (overrides.isEmpty() ? "none" : String.join(", ", overrides.keySet()))
                        + "); no savepoint written");
                return REFUSED;
            }
            if (next == null) {
                overrides.remove(command.getTarget());
            } else {
                overrides.put(command.getTarget(), next);
            }
            ThresholdsSavepoint.write(savepoint, output, overrides);
            PrintWriter out = spec.commandLine().getOut();
            out.println("old: " + (old == null ? "(none)" : describe(command.getTarget(), old, scale)));
            out.println("new: " + (next == null ? "(none)" : describe(command.getTarget(), next, scale)));
            out.println("Wrote " + output + " with " + overrides.size() + " threshold override(s). Restore the "
                    + "job from it (flink run -s " + output + " ...).");
            out.flush();
            return 0;
        }
    }

    @Command(name = "set", mixinStandardHelpOptions = true,
            description = "Writes a new savepoint in which the target's given settings are changed.")
    static final class SetCommand extends EditCommand {
        @Option(names = "--model-path", required = true, paramLabel = "PATH",
                description = "The model the restored job will run (the .onnx with its card): the values are in "
                        + "its score units and are stored with its score scale.")
        String modelPath;

        @Option(names = "--image-score", paramLabel = "X", description = "Image-score threshold (> 0).")
        Double imageScore;

        @Option(names = "--pixel", paramLabel = "X", description = "Pixel threshold for regions (> 0).")
        Double pixel;

        @Option(names = "--min-region-area", paramLabel = "N", description = "Smallest region, error-map pixels.")
        Integer minRegionArea;

        @Option(names = "--debounce", paramLabel = "K/N",
                description = "Alert only when K of the camera's last N frames are over the threshold.")
        String debounce;

        /** JSON has no NaN or infinity (Jackson would write them as strings): refused here in the option's terms. */
        private static void requireFinite(String option, Double value) {
            if (value != null && !Double.isFinite(value)) {
                throw new IllegalArgumentException(option + " must be a finite number > 0, got " + value);
            }
        }

        @Override
        public Integer call() throws Exception {
            ObjectNode c = command("set");
            requireFinite("--image-score", imageScore);
            requireFinite("--pixel", pixel);
            if (imageScore != null) {
                c.put(ControlCommandParser.IMAGE_SCORE, imageScore);
            }
            if (pixel != null) {
                c.put(ControlCommandParser.PIXEL, pixel);
            }
            if (minRegionArea != null) {
                c.put(ControlCommandParser.MIN_REGION_AREA, minRegionArea);
            }
            if (debounce != null) {
                String[] kn = debounce.split("/", -1);
                if (kn.length != 2 || !kn[0].matches("\\d{1,9}") || !kn[1].matches("\\d{1,9}")) {
                    throw new IllegalArgumentException("--debounce must be K/N, e.g. 2/3, got '" + debounce + "'");
                }
                ObjectNode d = c.putObject(ControlCommandParser.DEBOUNCE);
                d.put("k", Integer.parseInt(kn[0]));
                d.put("n", Integer.parseInt(kn[1]));
            }
            ThresholdsSavepoint.initializeFileSystems(flinkConfig); // the model may be an s3:// URI too
            ModelCard card = ModelBundle.locate(modelPath).releaseLocalCopy().card();
            return apply(c, ScoreScale.of(card), ScoreScale.modelLabel(card));
        }
    }

    @Command(name = "reset", mixinStandardHelpOptions = true,
            description = "Writes a new savepoint without the target's override (or without some of its settings), "
                    + "so the less specific level applies again.")
    static final class ResetCommand extends EditCommand {
        @Option(names = "--field", paramLabel = "NAME",
                description = "A setting to remove: image_score, pixel, min_region_area or debounce; repeatable. "
                        + "Default: all of them.")
        List<String> fields = new ArrayList<>();

        @Override
        public Integer call() throws Exception {
            ObjectNode c = command("reset");
            if (!fields.isEmpty()) {
                var array = c.putArray("fields");
                fields.forEach(array::add);
            }
            return apply(c, null, null);
        }
    }

    static String describe(String key, ThresholdOverride o, String runningScale) {
        StringBuilder s = new StringBuilder(String.format("%-24s", key));
        if (o.getImageScore() != null) {
            s.append(" image_score=").append(o.getImageScore());
        }
        if (o.getPixel() != null) {
            s.append(" pixel=").append(o.getPixel());
        }
        if (o.getMinRegionArea() != null) {
            s.append(" min_region_area=").append(o.getMinRegionArea());
        }
        if (o.hasDebounce()) {
            s.append(" debounce=").append(o.getDebounceK()).append('/').append(o.getDebounceN());
        }
        if (o.getScoreScale() != null) {
            s.append("  [").append(o.getScoreScale());
            if (runningScale != null && !o.appliesTo(runningScale)) {
                s.append(", INACTIVE for the given model");
            }
            s.append(']');
        }
        s.append("  tuned on ").append(o.getTunedOn()).append(", by ").append(o.getUpdatedBy()).append(" at ")
                .append(IsoMillis.format(o.getUpdatedAtMs()));
        return s.toString();
    }
}
