package io.defectdetector.frame;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collection;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.config.ConfigDef;

/**
 * Standard Kafka client properties (bootstrap servers, SASL, TLS, ...) passed through unchanged to producers,
 * consumers and the Flink connector: from an optional {@code .properties} file, then {@code key=value}
 * overrides (the later wins).
 *
 * <p>Immutable. {@link #toString()} masks the values of secret-looking keys, so a settings object can be logged.
 */
public final class KafkaClientSettings {
    private static final String MASK = "******";
    private static final String[] SENSITIVE_MARKERS = {"password", "passphrase", "private.key", "sasl.jaas.config",
        "ssl.key", "secret", "token", "credential"};

    private final Map<String, String> values;

    private KafkaClientSettings(Map<String, String> values) {
        this.values = Collections.unmodifiableMap(new LinkedHashMap<>(values));
    }

    public static KafkaClientSettings empty() {
        return new KafkaClientSettings(Map.of());
    }

    public static KafkaClientSettings of(Map<String, String> values) {
        return new KafkaClientSettings(values);
    }

    /**
     * @param propertiesFile a Kafka client properties file (ISO-8859-1 with escapes, as Kafka's own tools read
     *                       it), or null for none
     * @param overrides      applied after the file, in iteration order
     */
    public static KafkaClientSettings load(Path propertiesFile, Map<String, String> overrides) {
        Map<String, String> merged = new LinkedHashMap<>();
        if (propertiesFile != null) {
            Properties fromFile = new Properties();
            try (InputStream in = Files.newInputStream(propertiesFile)) {
                fromFile.load(in);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read Kafka client properties " + propertiesFile, e);
            }
            new TreeMap<>(fromFile).forEach((k, v) -> merged.put(k.toString(), v.toString()));
        }
        if (overrides != null) {
            merged.putAll(overrides);
        }
        return new KafkaClientSettings(merged);
    }

    /** As {@link #load(Path, Map)} with overrides given as {@code key=value} strings (e.g. repeated CLI options). */
    public static KafkaClientSettings load(Path propertiesFile, Collection<String> keyValueOverrides) {
        return load(propertiesFile, parseOverrides(keyValueOverrides));
    }

    /** Parses {@code key=value} strings; the value may contain '=' and may be empty. */
    public static Map<String, String> parseOverrides(Collection<String> keyValues) {
        Map<String, String> parsed = new LinkedHashMap<>();
        if (keyValues == null) {
            return parsed;
        }
        for (String kv : keyValues) {
            int eq = kv == null ? -1 : kv.indexOf('=');
            if (eq <= 0) {
                // Do not echo the text: it may be a secret with a typo.
                throw new IllegalArgumentException("Kafka property override must be key=value, got an entry "
                        + (eq == 0 ? "with an empty key" : "without '='"));
            }
            parsed.put(kv.substring(0, eq).trim(), kv.substring(eq + 1).trim());
        }
        return parsed;
    }

    /** A copy with one property set (or replaced). */
    public KafkaClientSettings with(String key, String value) {
        Map<String, String> copy = new LinkedHashMap<>(values);
        copy.put(key, value);
        return new KafkaClientSettings(copy);
    }

    /** A copy with these properties set (or replaced). */
    public KafkaClientSettings withAll(Map<String, String> more) {
        Map<String, String> copy = new LinkedHashMap<>(values);
        copy.putAll(more);
        return new KafkaClientSettings(copy);
    }

    public Optional<String> get(String key) {
        return Optional.ofNullable(values.get(key));
    }

    public boolean isEmpty() {
        return values.isEmpty();
    }

    /** An unmodifiable view, with secrets in clear: pass it to clients, never to a logger. */
    public Map<String, String> asMap() {
        return values;
    }

    /** A fresh mutable copy, with secrets in clear: pass it to clients, never to a logger. */
    public Properties toProperties() {
        Properties props = new Properties();
        props.putAll(values);
        return props;
    }

    /**
     * Whether the value of this key must never be shown. Only the values of settings Kafka's producer, consumer
     * or admin client know and do not declare as a password are shown, unless the key looks like a secret
     * (passwords, passphrases, JAAS config, private keys, tokens, credentials). Everything else is hidden too:
     * a misspelt key ({@code sasl.jaas.confg}) or a plugin's setting may hold a secret that no rule names.
     */
    public static boolean isSensitive(String key) {
        if (!KafkaConfigKeys.SHOWN.contains(key)) {
            return true;
        }
        String lower = key.toLowerCase(Locale.ROOT);
        for (String marker : SENSITIVE_MARKERS) {
            if (lower.contains(marker)) {
                return true;
            }
        }
        return false;
    }

    /** The settings sorted by key, sensitive values replaced by a mask; safe to log. */
    public String redacted() {
        StringBuilder sb = new StringBuilder("{");
        new TreeMap<>(values).forEach((k, v) -> {
            if (sb.length() > 1) {
                sb.append(", ");
            }
            sb.append(k).append('=').append(isSensitive(k) ? MASK : v);
        });
        return sb.append('}').toString();
    }

    /**
     * The settings Kafka's clients know and do not type as PASSWORD, read once; empty (every value hidden) where
     * kafka-clients is not on the classpath.
     */
    private static final class KafkaConfigKeys {
        static final Set<String> SHOWN = load();

        private static Set<String> load() {
            try {
                Set<String> keys = new HashSet<>();
                Set<String> passwords = new HashSet<>();
                for (ConfigDef def : List.of(ProducerConfig.configDef(), ConsumerConfig.configDef(),
                        AdminClientConfig.configDef())) {
                    def.configKeys().forEach((name, key) -> {
                        (key.type == ConfigDef.Type.PASSWORD ? passwords : keys).add(name);
                    });
                }
                keys.removeAll(passwords);
                return Set.copyOf(keys);
            } catch (LinkageError e) {
                return Set.of();
            }
        }
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof KafkaClientSettings other && values.equals(other.values);
    }

    @Override
    public int hashCode() {
        return values.hashCode();
    }

    @Override
    public String toString() {
        return redacted();
    }
}
