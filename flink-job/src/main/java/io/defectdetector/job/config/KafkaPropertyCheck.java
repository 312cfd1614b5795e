package io.defectdetector.job.config;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import org.apache.flink.connector.kafka.source.KafkaSourceOptions;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigException;

/**
 * Kafka client properties (kafka-config, kafka.*) checked at start against what the Kafka clients accept. The
 * topic check's admin client reads only the admin settings, so a producer's or consumer's bad value (a
 * {@code compression.type} that does not exist, a timeout that is not a number) would otherwise pass the start and
 * fail every source or sink, restarting the job forever. A name that is one or two letters off a client setting is
 * a typo and refused; any other name is passed on (plugins read their own settings; Kafka logs unused ones).
 * Messages never echo a value: it may be a secret.
 */
final class KafkaPropertyCheck {
    /** Every setting the job's Kafka clients define, by name; the first definition wins (they agree). */
    private static final Map<String, ConfigDef.ConfigKey> KNOWN = new LinkedHashMap<>();
    /** Settings the Flink Kafka source reads from the same properties. */
    private static final List<String> CONNECTOR = List.of(KafkaSourceOptions.CLIENT_ID_PREFIX.key(),
            KafkaSourceOptions.PARTITION_DISCOVERY_INTERVAL_MS.key(),
            KafkaSourceOptions.REGISTER_KAFKA_CONSUMER_METRICS.key(),
            KafkaSourceOptions.COMMIT_OFFSETS_ON_CHECKPOINT.key());

    static {
        for (ConfigDef def : List.of(ProducerConfig.configDef(), ConsumerConfig.configDef(),
                AdminClientConfig.configDef())) {
            def.configKeys().forEach(KNOWN::putIfAbsent);
        }
    }

    private KafkaPropertyCheck() {
    }

    static List<String> problems(Map<String, String> properties) {
        List<String> problems = new ArrayList<>();
        properties.forEach((name, value) -> {
            if (name.isBlank()) {
                problems.add("a Kafka property has an empty name (a kafka-config line without a key, or a bare "
                        + "--kafka.)");
                return;
            }
            ConfigDef.ConfigKey key = KNOWN.get(name);
            if (key == null) {
                if (CONNECTOR.contains(name)) {
                    return;
                }
                String near = JobArguments.nearest(name, KNOWN.keySet(), 2).map(k -> "; did you mean '" + k + "'?")
                        .orElse(null);
                if (near != null) {
                    problems.add("Kafka property '" + name + "' is not a Kafka client setting" + near);
                } else if (!name.contains(".")) {
                    // Plugins' settings are dotted like Kafka's; a bare word is most likely a kafka-config line
                    // without '=' ("this line" reads as this = line), perhaps a secret alone: not shown.
                    problems.add("a Kafka property name is a bare word, not a Kafka client setting: most likely a "
                            + "kafka-config line without '=' (not shown: it may be a secret)");
                }
                return;
            }
            if (value != null && value.contains("${")) {
                return; // a config provider's reference (${file:...}): resolved by the client itself
            }
            if (key.type == ConfigDef.Type.CLASS) {
                // Parsing would load the class here, on the client, while a login module or callback handler may
                // be only in the cluster's lib/: only an empty value is certainly wrong.
                if (value == null || value.isBlank()) {
                    problems.add("Kafka property '" + name + "' is empty; expected: a class name");
                }
                return;
            }
            String allowed = key.validator == null ? "" : key.validator.toString().strip();
            Object parsed;
            try {
                parsed = ConfigDef.parseType(name, value, key.type);
            } catch (ConfigException | IllegalArgumentException | LinkageError e) {
                problems.add(refused(name, key, allowed, reason(e, name, value)));
                return;
            }
            try {
                if (key.validator != null) {
                    key.validator.ensureValid(name, parsed);
                }
            } catch (ConfigException | IllegalArgumentException | LinkageError e) {
                // A validator that describes what it allows says it all; one that does not (a list's) says why.
                problems.add(refused(name, key, allowed,
                        allowed.isEmpty() ? reason(e, name, value) : Optional.empty()));
            }
        });
        return problems;
    }

    private static String refused(String name, ConfigDef.ConfigKey key, String allowed, Optional<String> reason) {
        return "Kafka property '" + name + "' has a value the Kafka clients refuse (not shown: it may be a secret); "
                + "expected: " + key.type.name().toLowerCase(Locale.ROOT) + (allowed.isEmpty() ? "" : " " + allowed)
                + reason.map(r -> " (" + r + ")").orElse("");
    }

    /**
     * Kafka's own reason ("Not a number of type INT", "Configuration '...' values must not be duplicated.") in
     * its two known forms only: after the exact "Invalid value VALUE for configuration NAME: " (cut off, value and
     * all), or a message about the setting that does not quote the value. Never where the reason quotes the value
     * or an entry of a list.
     */
    private static Optional<String> reason(Throwable e, String name, String value) {
        String message = e.getMessage();
        if (!(e instanceof ConfigException) || message == null || value == null) {
            return Optional.empty();
        }
        String prefix = "Invalid value " + value + " for configuration " + name + ": ";
        String reason;
        if (message.startsWith(prefix)) {
            reason = message.substring(prefix.length()).strip();
        } else if (message.startsWith("Configuration '" + name + "' ")) {
            reason = message.strip();
        } else {
            return Optional.empty();
        }
        // the value itself is its only entry when it has no comma
        boolean quotesValue = Arrays.stream(value.split(",")).map(String::strip)
                .anyMatch(part -> !part.isEmpty() && reason.contains(part));
        return reason.isEmpty() || quotesValue ? Optional.empty() : Optional.of(reason);
    }
}
