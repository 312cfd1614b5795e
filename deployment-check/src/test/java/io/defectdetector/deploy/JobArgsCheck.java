package io.defectdetector.deploy;

import io.defectdetector.job.DefectDetectionJob;
import io.defectdetector.job.config.JobArguments;
import io.defectdetector.job.config.JobOptions;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.Configuration;

/**
 * Runs the job's own argument parsing, validation and model preflight on the arguments a manifest passes,
 * with the container paths they name mapped to where those files come from: the image's model folder to the
 * repository folder the Dockerfile copies, a mounted Secret's folder to a stand-in file. A mapping whose
 * container path the arguments do not use is an error too, so a renamed path cannot slip through.
 */
final class JobArgsCheck {
    private JobArgsCheck() {
    }

    /**
     * @param args        the job's arguments as the manifest writes them
     * @param containerToLocal container path prefix -> local path (folder or file) it stands for
     * @return the parsed configuration (container paths, as the job would see them)
     */
    static Configuration prepare(List<String> args, Map<String, Path> containerToLocal) {
        Configuration conf = JobArguments.toConfiguration(args.toArray(String[]::new));
        List<String> mapped = new ArrayList<>();
        Map<String, Boolean> used = new LinkedHashMap<>();
        containerToLocal.keySet().forEach(k -> used.put(k, false));
        for (String a : args) {
            String m = a;
            for (Map.Entry<String, Path> e : containerToLocal.entrySet()) {
                if (a.startsWith(e.getKey())) {
                    String local = e.getValue().toString() + (e.getKey().endsWith("/") ? "/" : "");
                    m = local + a.substring(e.getKey().length());
                    used.put(e.getKey(), true);
                }
            }
            mapped.add(m);
        }
        used.forEach((k, u) -> {
            if (!u) {
                throw new IllegalArgumentException("no argument uses the container path " + k);
            }
        });
        // Parses and validates every option (unknown keys, values, combinations), then opens the model with
        // ONNX Runtime and checks its card, as the JobManager does before submitting.
        DefectDetectionJob.prepare(mapped.toArray(String[]::new));
        return conf;
    }

    /** An empty Kafka client properties file standing in for a mounted Secret. */
    static Path standInProperties(Path dir) {
        try {
            Path f = dir.resolve("client.properties");
            Files.writeString(f, "# stand-in for the mounted Secret\n");
            return f;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static String valueOf(Configuration conf, ConfigOption<?> option) {
        return String.valueOf(conf.get(option));
    }

    static List<String> topicOptionKeys() {
        return List.of(JobOptions.KAFKA_FRAMES_TOPIC.key(), JobOptions.KAFKA_ALERTS_TOPIC.key(),
                JobOptions.KAFKA_DEAD_LETTER_TOPIC.key(), JobOptions.KAFKA_CONTROL_TOPIC.key(),
                JobOptions.KAFKA_SCORES_TOPIC.key(), JobOptions.KAFKA_AUDIT_TOPIC.key());
    }
}
