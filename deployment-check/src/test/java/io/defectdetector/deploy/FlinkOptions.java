package io.defectdetector.deploy;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.net.URI;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Enumeration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.CoreOptions;
import org.apache.flink.configuration.FallbackKey;
import org.apache.flink.configuration.MetricOptions;
import org.apache.flink.metrics.reporter.MetricReporterFactory;

/**
 * The configuration keys of the Flink release on the test classpath (2.2.1, the images' release): every
 * ConfigOption declared in flink-core's org.apache.flink.configuration package, with their deprecated
 * fallback keys. {@link #problems(Map)} checks a flinkConfiguration / FLINK_PROPERTIES map: unknown keys,
 * deprecated keys, values Flink cannot parse, and the metrics.reporter.&lt;name&gt;.* family (factory class
 * present on the classpath, reporter options known).
 */
final class FlinkOptions {
    private static final Pattern REPORTER_KEY = Pattern.compile("metrics\\.reporter\\.([^.]+)\\.(.+)");
    /**
     * Options read by a reporter itself rather than through a ConfigOption; PrometheusReporterFactory reads
     * "port" (default 9249, or a range such as 9250-9260) from its MetricConfig.
     */
    private static final Map<String, Set<String>> REPORTER_OWN_KEYS = Map.of(
            "org.apache.flink.metrics.prometheus.PrometheusReporterFactory", Set.of("port"));
    /**
     * Keys the S3 filesystem plugins read (they map s3.* to their own fs.s3a.* / presto keys), not Flink
     * ConfigOptions. Credentials are deliberately absent: they must never be written into a manifest.
     */
    private static final Set<String> S3_PLUGIN_KEYS = Set.of("s3.endpoint", "s3.path.style.access");

    private final Map<String, ConfigOption<?>> byKey = new HashMap<>();
    private final Map<String, String> deprecatedKeys = new HashMap<>();
    private final Set<String> reporterKeys = new HashSet<>();

    static FlinkOptions load() {
        FlinkOptions o = new FlinkOptions();
        for (Class<?> c : optionClasses()) {
            for (Field f : c.getFields()) {
                if (!Modifier.isStatic(f.getModifiers()) || !ConfigOption.class.isAssignableFrom(f.getType())) {
                    continue;
                }
                ConfigOption<?> option;
                try {
                    option = (ConfigOption<?>) f.get(null);
                } catch (IllegalAccessException e) {
                    continue;
                }
                if (c == MetricOptions.class && !option.key().startsWith("metrics.")) {
                    // Per-reporter options are declared with their suffix only (factory.class, interval, ...).
                    o.reporterKeys.add(option.key());
                    continue;
                }
                o.byKey.putIfAbsent(option.key(), option);
                for (FallbackKey fallback : option.fallbackKeys()) {
                    if (fallback.isDeprecated()) {
                        o.deprecatedKeys.put(fallback.getKey(), option.key());
                    }
                }
            }
        }
        return o;
    }

    /** Every class of flink-core's configuration package, loaded; the ones that fail to load are skipped. */
    private static List<Class<?>> optionClasses() {
        List<Class<?>> out = new ArrayList<>();
        try {
            URI jar = CoreOptions.class.getProtectionDomain().getCodeSource().getLocation().toURI();
            try (JarFile file = new JarFile(Path.of(jar).toFile())) {
                for (Enumeration<JarEntry> e = file.entries(); e.hasMoreElements(); ) {
                    String name = e.nextElement().getName();
                    if (name.startsWith("org/apache/flink/configuration/") && name.endsWith(".class")
                            && !name.contains("$") && name.indexOf('/', "org/apache/flink/configuration/".length()) < 0) {
                        try {
                            out.add(Class.forName(name.replace('/', '.').replace(".class", "")));
                        } catch (Throwable ignored) {
                            // A class needing what the test classpath lacks declares no option we use.
                        }
                    }
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
        return out;
    }

    boolean isKnown(String key) {
        return byKey.containsKey(key);
    }

    int size() {
        return byKey.size();
    }

    /** Problems of a Flink configuration map; empty when every key is a current Flink 2.2 key with a valid value. */
    List<String> problems(Map<String, String> conf) {
        List<String> problems = new ArrayList<>();
        Configuration parsed = Configuration.fromMap(conf);
        Map<String, Map<String, String>> reporters = new HashMap<>();
        for (Map.Entry<String, String> e : conf.entrySet()) {
            String key = e.getKey();
            String value = e.getValue();
            Matcher reporter = REPORTER_KEY.matcher(key);
            if (deprecatedKeys.containsKey(key)) {
                problems.add(key + " is deprecated in Flink 2.2; use " + deprecatedKeys.get(key));
            } else if (byKey.containsKey(key)) {
                try {
                    parsed.get(byKey.get(key));
                } catch (RuntimeException ex) {
                    problems.add(key + ": Flink cannot parse '" + value + "': " + ex.getMessage());
                }
            } else if (reporter.matches()) {
                reporters.computeIfAbsent(reporter.group(1), k -> new HashMap<>()).put(reporter.group(2), value);
            } else if (S3_PLUGIN_KEYS.contains(key)) {
                if (key.equals("s3.endpoint") && !value.matches("https?://[^/\\s]+/?")) {
                    problems.add("s3.endpoint must be an http(s) URL, got '" + value + "'");
                }
                if (key.equals("s3.path.style.access") && !value.matches("true|false")) {
                    problems.add("s3.path.style.access must be true or false");
                }
            } else {
                problems.add(key + " is not a Flink 2.2 configuration option");
            }
        }
        reporters.forEach((name, options) -> problems.addAll(reporterProblems(name, options)));
        return problems;
    }

    private List<String> reporterProblems(String name, Map<String, String> options) {
        List<String> problems = new ArrayList<>();
        String prefix = "metrics.reporter." + name + ".";
        String factory = options.get("factory.class");
        if (factory == null) {
            problems.add(prefix + "factory.class is missing");
            return problems;
        }
        try {
            Class<?> c = Class.forName(factory);
            if (!MetricReporterFactory.class.isAssignableFrom(c)) {
                problems.add(prefix + "factory.class " + factory + " is not a MetricReporterFactory");
            }
        } catch (ClassNotFoundException e) {
            problems.add(prefix + "factory.class " + factory + " does not exist in Flink 2.2's reporters");
        }
        Set<String> own = REPORTER_OWN_KEYS.getOrDefault(factory, Set.of());
        for (Map.Entry<String, String> e : options.entrySet()) {
            if (!reporterKeys.contains(e.getKey()) && !own.contains(e.getKey())) {
                problems.add(prefix + e.getKey() + " is neither a reporter option of Flink 2.2 nor one that "
                        + factory + " reads");
            }
        }
        String port = options.get("port");
        if (port != null && !port.matches("\\d{1,5}(-\\d{1,5})?")) {
            problems.add(prefix + "port must be a port or a range such as 9250-9260, got '" + port + "'");
        }
        return problems;
    }

    /** "key: value" lines, as the Flink image's FLINK_PROPERTIES and config.yaml's flat form. */
    static Map<String, String> parseProperties(String text) {
        Map<String, String> out = new java.util.LinkedHashMap<>();
        for (String line : text.lines().toList()) {
            String t = line.strip();
            if (t.isEmpty() || t.startsWith("#")) {
                continue;
            }
            int colon = t.indexOf(':');
            if (colon <= 0) {
                throw new IllegalArgumentException("not a 'key: value' line: " + t);
            }
            if (out.put(t.substring(0, colon).strip(), t.substring(colon + 1).strip()) != null) {
                throw new IllegalArgumentException("key given twice: " + t.substring(0, colon));
            }
        }
        return out;
    }
}
