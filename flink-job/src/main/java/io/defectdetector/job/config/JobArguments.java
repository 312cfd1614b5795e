package io.defectdetector.job.config;

import io.defectdetector.frame.KafkaClientSettings;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.ReadableConfig;

/**
 * The job's command line: every {@link JobOptions} key as {@code --<key> <value>} or {@code --<key>=<value>},
 * plus {@code --kafka-property key=value} (repeatable) and {@code --kafka.<property> <value>} for Kafka client
 * properties. A boolean option given without a value means {@code true}.
 *
 * <p>Hand-written rather than picocli because the options are the {@link ConfigOption}s themselves: one list,
 * no second declaration to drift.
 */
public final class JobArguments {
    public static final String KAFKA_PROPERTY = "kafka-property";

    private JobArguments() {
    }

    public static boolean wantsHelp(String[] args) {
        // Only where an option is expected: "--kafka-group-id -h" names a group, as toConfiguration reads it.
        for (int i = 0; i < args.length; i++) {
            String arg = args[i];
            if (arg.equals("--help") || arg.equals("-h")) {
                return true;
            }
            if (arg.startsWith("--") && !arg.contains("=") && i + 1 < args.length && !args[i + 1].startsWith("--")) {
                i++; // its value
            }
        }
        return false;
    }

    /** Parses and validates; IllegalArgumentException names the offending argument or option. */
    public static JobConfig parse(String[] args) {
        return JobConfig.from(toConfiguration(args));
    }

    /**
     * As {@link #parse(String[])}, on top of the job options and {@code kafka.*} properties found in the cluster's
     * Flink configuration (config.yaml, a FlinkDeployment's flinkConfiguration); the arguments win.
     */
    public static JobConfig parse(String[] args, ReadableConfig clusterConfig) {
        Map<String, String> merged = new LinkedHashMap<>();
        if (clusterConfig != null) {
            clusterConfig.toMap().forEach((key, value) -> {
                if (key.startsWith(JobOptions.KAFKA_PROPERTY_PREFIX) || JobOptions.byKey(key) != null) {
                    merged.put(key, value);
                    return;
                }
                // Flink's own keys all have a dot; a dot-less near miss of a job option is a typo that would
                // otherwise leave the option at its default without a word.
                String suggestion = key.contains(".") ? "" : suggestion(key);
                if (!suggestion.isEmpty()) {
                    throw new IllegalArgumentException("Flink configuration key '" + key + "' is not a job option"
                            + suggestion.replace("--", "") + " (job options: docs/configuration.md)");
                }
            });
        }
        merged.putAll(toConfiguration(args).toMap());
        return JobConfig.from(Configuration.fromMap(merged));
    }

    /** Parses without validating values (unknown or repeated keys are still refused). */
    public static Configuration toConfiguration(String[] args) {
        Map<String, String> values = new LinkedHashMap<>();
        List<String> kafkaOverrides = new ArrayList<>();
        String previousKey = null;
        for (int i = 0; i < args.length; i++) {
            String arg = args[i];
            if (!arg.startsWith("--") || arg.length() == 2) {
                if (previousKey != null && (previousKey.startsWith(JobOptions.KAFKA_PROPERTY_PREFIX)
                        || previousKey.equals(KAFKA_PROPERTY))) {
                    // Most likely the rest of a Kafka value with a space in it, perhaps a secret: not echoed.
                    throw new IllegalArgumentException("unexpected argument after the value of --" + previousKey
                            + " (not shown: it may be a secret): quote a value that has spaces, or put secrets in "
                            + "the --kafka-config file");
                }
                throw new IllegalArgumentException("unexpected argument '" + arg + "': options are --<key> <value>"
                        + " (see --help)");
            }
            String key;
            String value;
            int eq = arg.indexOf('=');
            if (eq > 0) {
                key = arg.substring(2, eq);
                value = arg.substring(eq + 1);
            } else {
                key = arg.substring(2);
                boolean hasValue = i + 1 < args.length && !args[i + 1].startsWith("--");
                ConfigOption<?> option = JobOptions.byKey(key);
                if (!hasValue && option != null && isBoolean(option)) {
                    value = "true";
                } else if (!hasValue) {
                    throw new IllegalArgumentException("--" + key + " needs a value");
                } else {
                    value = args[++i];
                }
            }
            previousKey = key;
            if (key.equals(KAFKA_PROPERTY)) {
                kafkaOverrides.add(value);
                continue;
            }
            if (!key.startsWith(JobOptions.KAFKA_PROPERTY_PREFIX) && JobOptions.byKey(key) == null) {
                throw new IllegalArgumentException("unknown option --" + key + suggestion(key) + " (see --help)");
            }
            if (values.put(key, value) != null) {
                // Kafka values are not echoed: they may be secrets.
                throw new IllegalArgumentException("--" + key + " is given more than once");
            }
        }
        // parseOverrides refuses malformed entries without echoing them.
        KafkaClientSettings.parseOverrides(kafkaOverrides).forEach((k, v) -> {
            if (values.put(JobOptions.KAFKA_PROPERTY_PREFIX + k, v) != null) {
                throw new IllegalArgumentException("Kafka property '" + k + "' is given more than once");
            }
        });
        return Configuration.fromMap(values);
    }

    /** Usage text listing every option with its default and description. */
    public static String usage() {
        StringBuilder sb = new StringBuilder();
        sb.append("Usage: flink run defect-detector-job.jar --kafka-bootstrap-servers HOST:PORT [--<option> <value>]...\n")
                .append("       --kafka-config FILE           Kafka client properties file (SASL, TLS, ...)\n")
                .append("       --kafka-property KEY=VALUE    one Kafka client property (repeatable)\n\n")
                .append("Options (see docs/configuration.md):\n");
        for (ConfigOption<?> option : JobOptions.all()) {
            sb.append("  --").append(option.key())
                    .append(" (default ").append(JobOptions.describeDefault(option)).append(")\n");
        }
        return sb.toString();
    }

    private static boolean isBoolean(ConfigOption<?> option) {
        return option.hasDefaultValue() && option.defaultValue() instanceof Boolean;
    }

    private static String suggestion(String key) {
        return JobOptions.all().stream()
                .map(ConfigOption::key)
                .min(Comparator.comparingInt(k -> distance(k, key)))
                .filter(k -> distance(k, key) <= Math.max(3, key.length() / 3))
                .map(k -> "; did you mean --" + k + "?")
                .orElse("");
    }

    /** The name among {@code known} nearest to {@code key}, when within {@code maxDistance} edits. */
    static java.util.Optional<String> nearest(String key, java.util.Collection<String> known, int maxDistance) {
        return known.stream().min(Comparator.comparingInt(k -> distance(k, key)))
                .filter(k -> distance(k, key) <= maxDistance);
    }

    private static int distance(String a, String b) {
        int[] prev = new int[b.length() + 1];
        int[] cur = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) {
            prev[j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            cur[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
                cur[j] = Math.min(Math.min(cur[j - 1] + 1, prev[j] + 1), prev[j - 1] + cost);
            }
            int[] t = prev;
            prev = cur;
            cur = t;
        }
        return prev[b.length()];
    }
}
