package io.defectdetector.job.control;

import io.defectdetector.job.alerts.AlertJson;
import io.defectdetector.job.alerts.DefectAlert;
import io.defectdetector.job.alerts.ScoreRecord;
import io.defectdetector.job.thresholds.ThresholdSuggestion;
import io.defectdetector.job.thresholds.ThresholdTarget;
import io.defectdetector.job.thresholds.ThresholdsSavepointCli;
import java.io.PrintWriter;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.Callable;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndTimestamp;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import picocli.CommandLine;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code thresholds suggest}: reads the job's score records (kafka-scores-topic, scores-enabled) of one camera,
 * one line or every camera over a period the operator knows was (nearly) defect-free, and prints the image-score
 * threshold that lets about the target share of such frames alert (the calibration rule of model-export, applied
 * to this camera's own frames), as a control command for {@code thresholds send}. Nothing is sent: the command
 * goes to stdout and the figures behind it to stderr, so a plain run lets a person review it, and
 * {@code thresholds send ... "$(thresholds suggest ...)"} applies it.
 *
 * <p>Scores of different model versions are not comparable: only the newest version in the period is used. Of
 * its frames, those whose image threshold a more specific override set when they were scored (the score record's
 * {@code thresholdSource}) are left out: the command would not reach them.
 * Exit codes: 0 a suggestion, 1 Kafka failure, 2 nothing to suggest from (no frames) or bad options.
 */
@Command(name = "suggest", mixinStandardHelpOptions = true,
        description = "Suggests an image-score threshold from the score records of a defect-free period and prints "
                + "it as a control command (stdout); the figures behind it go to stderr.")
public final class ThresholdSuggestCli implements Callable<Integer> {
    @Spec
    CommandLine.Model.CommandSpec spec;

    @Mixin
    KafkaClientOptions kafka;

    @Option(names = "--scores-topic", defaultValue = "scores", paramLabel = "TOPIC",
            description = "The job's kafka-scores-topic (the job must run with scores-enabled). Default: ${DEFAULT-VALUE}.")
    String scoresTopic;

    /** Neither option: the target default, from the frames that no line or camera override governs. */
    @ArgGroup(exclusive = true)
    Target target;

    static final class Target {
        @Option(names = "--camera", paramLabel = "ID", description = "Frames of this camera (target camera:ID).")
        String camera;

        @Option(names = "--line", paramLabel = "ID", description = "Frames of this line (target line:ID), but not "
                + "those of cameras with their own image_score. Without --camera or --line: the frames of every "
                + "camera without a line's or its own image_score, for the target default.")
        String line;
    }

    @Option(names = "--last", defaultValue = "1h", paramLabel = "DURATION", converter = DurationConverter.class,
            description = "The period: frames captured within this long before now (e.g. 30min, 8h). "
                    + "Default: ${DEFAULT-VALUE}.")
    Duration last;

    @Option(names = "--target-far", defaultValue = "0.01", paramLabel = "RATE",
            description = "Share of good frames allowed to alert, as model-export's --target-far. "
                    + "Default: ${DEFAULT-VALUE}.")
    double targetFalseAlarmRate;

    @Option(names = "--by", required = true, paramLabel = "NAME", description = "Who will send the command.")
    String by;

    @Option(names = "--timeout", defaultValue = "60s", paramLabel = "DURATION", converter = DurationConverter.class,
            description = "Longest time to read the topic, with its unit. Default: ${DEFAULT-VALUE}.")
    Duration timeout;

    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }

    public static CommandLine commandLine() {
        return CliErrors.oneLine(new CommandLine(new ThresholdSuggestCli()), "error");
    }

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        long from = System.currentTimeMillis() - last.toMillis();
        try {
            ThresholdSuggestion.of(new float[] {0f}, targetFalseAlarmRate);  // checks the rate
        } catch (IllegalArgumentException e) {
            err.println("error: " + e.getMessage());
            return ThresholdsSavepointCli.REFUSED;
        }
        ThresholdTarget targetKey;
        try {
            targetKey = target == null ? ThresholdTarget.DEFAULT : target.camera != null
                    ? ThresholdTarget.camera(target.camera) : ThresholdTarget.line(target.line);
        } catch (IllegalArgumentException e) {
            err.println("error: " + e.getMessage());
            return ThresholdsSavepointCli.REFUSED;
        }
        String targetName = targetKey.key();

        List<ScoreRecord> read;
        try {
            read = read(from, timeout);
        } catch (KafkaException | IllegalStateException e) {
            err.println("cannot read " + scoresTopic + ": " + e.getMessage());
            return ThresholdsSavepointCli.FAILED;
        }
        Map<String, List<ScoreRecord>> byModel = new LinkedHashMap<>();
        Map<String, Long> newest = new HashMap<>();
        for (ScoreRecord r : read) {
            if (r.getCaptureTimeMs() < from || !targetKey.covers(r.getCameraId(), r.getLine())) {
                continue;
            }
            String model = r.getModelName() + " " + r.getModelVersion();
            byModel.computeIfAbsent(model, k -> new ArrayList<>()).add(r);
            newest.merge(model, r.getDetectionTimeMs(), Math::max);
        }
        if (byModel.isEmpty()) {
            err.println("no score records of " + targetName + " captured in the last "
                    + DurationConverter.format(last) + " on " + scoresTopic
                    + ": is the job running with scores-enabled, and are the camera or line right?");
            return ThresholdsSavepointCli.REFUSED;
        }
        String model = newest.entrySet().stream().max(Map.Entry.comparingByValue()).orElseThrow().getKey();
        List<ScoreRecord> covered = byModel.get(model);
        // A frame whose image threshold a more specific override set (as recorded when it was scored) would not
        // follow this target's; records of job versions before thresholdSource cannot tell, and count.
        List<ScoreRecord> records = covered.stream().filter(r -> targetKey.outranks(r.getThresholdSource())).toList();
        long overridden = covered.size() - records.size();
        if (records.isEmpty()) {
            err.println("all " + overridden + " frames of " + targetName + " captured in the last "
                    + DurationConverter.format(last) + " (model " + model + ") took their image threshold from a "
                    + "more specific override: a command for " + targetName + " would change none of them");
            return ThresholdsSavepointCli.REFUSED;
        }
        // Frames outside the model's input range alert whatever the threshold, and their scores come from a scene
        // the model does not know: they would only drag the suggestion about.
        List<ScoreRecord> inRange = records.stream().filter(r -> !DefectAlert.CAUSE_FRAME.equals(r.getCause()))
                .toList();
        long outOfRange = records.size() - inRange.size();
        if (inRange.isEmpty()) {
            err.println("all " + outOfRange + " frames of " + targetName + " captured in the last "
                    + DurationConverter.format(last) + " (model " + model + ") were outside the model's input range "
                    + "(alerts with cause \"frame\"): no threshold changes that; check the camera and its lighting, "
                    + "or train a model with its images (docs/alerts.md)");
            return ThresholdsSavepointCli.REFUSED;
        }
        records = inRange;
        String overriddenNote = (overridden == 0 ? "" : String.format(Locale.ROOT, "; %d frames whose image "
                + "threshold a more specific override set left out", overridden))
                + (outOfRange == 0 ? "" : String.format(Locale.ROOT, "; %d frames outside the model's input range "
                + "left out", outOfRange));
        float[] scores = new float[records.size()];
        long alerted = 0;
        for (int i = 0; i < scores.length; i++) {
            scores[i] = records.get(i).getScore();
            alerted += records.get(i).isAlert() ? 1 : 0;
        }
        ThresholdSuggestion s = ThresholdSuggestion.of(scores, targetFalseAlarmRate);

        err.printf(Locale.ROOT, "%s: %d frames captured since %s, model %s%s%s%n", targetName, s.frames(),
                Instant.ofEpochMilli(from), model, byModel.size() > 1
                        ? " (" + (byModel.size() - 1) + " older model version(s) in the period left out)" : "",
                overriddenNote);
        err.printf(Locale.ROOT, "scores: median %.4f, 99th percentile %.4f, largest %.4f; %d of them alerted at the "
                + "thresholds in force (%.2f %%)%n", s.median(), s.p99(), s.max(), alerted,
                100.0 * alerted / s.frames());
        err.println("suggested " + s.describe(targetFalseAlarmRate) + "; at it " + ThresholdSuggestion.atOrAbove(
                scores, s.imageScore()) + " of these frames would alert. Only defect-free periods give a fair "
                + "threshold: defects among these frames raise it.");

        Map<String, Object> command = new LinkedHashMap<>();
        command.put("action", "set");
        command.put("target", targetName);
        command.put("by", by);
        command.put(ControlCommandParser.IMAGE_SCORE, s.suggested());
        command.put("comment", String.format(Locale.ROOT, "suggest: %s frames since %s, target false-alarm rate %s, "
                + "model %s", s.frames(), Instant.ofEpochMilli(from), targetFalseAlarmRate, model));
        String json = ControlJson.MAPPER.writeValueAsString(command);
        try {
            ControlCommandParser.parse(json);  // the job's own validation: what is printed, send accepts
        } catch (ControlCommandException e) {
            err.println("refused (" + e.reason().code() + "): " + e.getMessage());
            return ThresholdsSavepointCli.REFUSED;
        }
        out.println(json);
        out.flush();
        return 0;
    }

    /** The committed score records from the first one written at or after {@code from} to the topic's end now. */
    private List<ScoreRecord> read(long from, Duration timeout) {
        Properties props = kafka.properties();
        props.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        props.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        props.put(ConsumerConfig.ALLOW_AUTO_CREATE_TOPICS_CONFIG, "false");  // a misspelt topic is not created
        List<ScoreRecord> records = new ArrayList<>();
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(props)) {
            List<TopicPartition> partitions = consumer.partitionsFor(scoresTopic, timeout).stream()
                    .map(p -> new TopicPartition(scoresTopic, p.partition())).toList();
            consumer.assign(partitions);
            Map<TopicPartition, Long> end = consumer.endOffsets(partitions, timeout);
            Map<TopicPartition, Long> query = new HashMap<>();
            partitions.forEach(p -> query.put(p, from));
            Map<TopicPartition, OffsetAndTimestamp> start = consumer.offsetsForTimes(query, timeout);
            for (TopicPartition p : partitions) {
                OffsetAndTimestamp o = start.get(p);
                consumer.seek(p, o == null ? end.get(p) : o.offset());
            }
            long deadline = System.nanoTime() + timeout.toNanos();
            while (partitions.stream().anyMatch(p -> consumer.position(p) < end.get(p))) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("could not read " + scoresTopic + " to its end within "
                            + DurationConverter.format(timeout));
                }
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                    records.add(AlertJson.scoreFromBytes(r.value()));
                }
            }
        }
        return records;
    }
}
