package io.defectdetector.job.control;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.defectdetector.job.alerts.DefectAlert;
import io.defectdetector.job.alerts.ScoreRecord;
import io.defectdetector.job.testing.PipelineTestSupport;
import io.defectdetector.job.testing.TestModels;
import io.defectdetector.kafka.LocalKafkaBroker;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.core.execution.SavepointFormatType;
import org.apache.flink.test.util.MiniClusterWithClientResource;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.RecordMetadata;

/**
 * Writes a state-compatibility savepoint of the current job version into the folder given as the only argument:
 * the savepoint files plus {@code manifest.json} (the offsets the restoring test must fill the new topics up to).
 * It runs the job on its own local Kafka broker and a MiniCluster shaped as the ITCases' (2 TaskManagers x 2
 * slots, parallelism 2) with the tiny-graph-ranged model, sets threshold overrides through the control topic,
 * sends one frame over the threshold of camera cam-1 (held back by its 2-of-3 debounce, so its history is in the
 * keyed state) and one all-black frame of cam-2 (outside the model's input range: its frame-fault state is kept) and
 * stops with a canonical savepoint. {@link StateCompatibilityITCase} restores what it writes; see there for how to add a version.
 *
 * <p>A runnable class rather than a disabled test, so the test runs show no skipped generator. From the
 * repository root (a plain JVM on the test classpath, as scripts/thresholds.sh runs the savepoint CLI):
 * <pre>
 * mvn -q -pl flink-job -am test-compile dependency:build-classpath -Dmdep.includeScope=test \
 *     -Dmdep.outputFile=target/test-classpath.txt
 * java -cp "flink-job/target/test-classes:flink-job/target/classes:$(cat flink-job/target/test-classpath.txt)" \
 *     io.defectdetector.job.control.CompatibilitySavepointWriter flink-job/src/test/resources/savepoints/NAME
 * </pre>
 */
public final class CompatibilitySavepointWriter {
    private CompatibilitySavepointWriter() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length != 1) {
            throw new IllegalArgumentException("usage: CompatibilitySavepointWriter TARGET_FOLDER (for example "
                    + "flink-job/src/test/resources/savepoints/thresholds-v2)");
        }
        Path target = Path.of(args[0]).toAbsolutePath().normalize();
        Path stopped = Files.createTempDirectory("compat-savepoint-");
        MiniClusterWithClientResource flink = new MiniClusterWithClientResource(
                PipelineTestSupport.twoTaskManagers());
        try (LocalKafkaBroker broker = LocalKafkaBroker.start()) {
            // Also makes the MiniCluster the context environment that CompatibilityJob.start submits to.
            flink.before();
            try {
                write(broker, stopped, target);
            } finally {
                flink.after();
            }
        } finally {
            deleteRecursively(stopped);
        }
        System.out.println("Wrote compatibility savepoint " + target);
    }

    private static void write(LocalKafkaBroker broker, Path stopped, Path target) throws Exception {
        // Topics of their own per savepoint (their names are in its Kafka source state), so that the restoring
        // tests, which share one broker, do not read each other's records.
        String prefix = CompatibilityJob.PREFIX + "-" + target.getFileName();
        Stopped s = runAndStop(broker, CompatibilityJob.createTopics(broker, prefix), stopped, true);
        ObjectNode manifest = s.manifest();
        manifest.put("written_by", CompatibilitySavepointWriter.class.getSimpleName());
        manifest.put("model", CompatibilityJob.RANGED_MODEL);
        manifest.put("topic_prefix", prefix);

        Files.createDirectories(target);
        try (Stream<Path> files = Files.list(Path.of(URI.create(s.savepoint())))) {
            for (Path f : files.toList()) {
                Files.copy(f, target.resolve(f.getFileName()), StandardCopyOption.REPLACE_EXISTING);
            }
        }
        Files.writeString(target.resolve("manifest.json"),
                ControlJson.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(manifest) + "\n");
    }

    /**
     * A savepoint taken by {@link #runAndStop}: its location as Flink returned it, and the manifest's offsets
     * ({@code control_offset}, {@code frames_offsets}).
     */
    record Stopped(String savepoint, ObjectNode manifest) {
    }

    /**
     * Runs the compatibility job on the new, empty topics {@code t}, sets the threshold overrides, sends one frame
     * of cam-1 over its threshold (held back by the 2-of-3 debounce, so it is in the debounce history) and stops
     * the job with a canonical savepoint under {@code dir}. Also used by {@link StateCompatibilityITCase} to take a
     * fresh savepoint within a test.
     */
    static Stopped runAndStop(LocalKafkaBroker broker, ControlTopics t, Path dir) throws Exception {
        return runAndStop(broker, t, dir, false);
    }

    /**
     * As above; with {@code frameFault}, on the tiny-graph-ranged model, and cam-2 also sends one all-black frame
     * (a frame fault that alerts, so cam-2's frame-fault state is in the savepoint) after cam-1's.
     */
    static Stopped runAndStop(LocalKafkaBroker broker, ControlTopics t, Path dir, boolean frameFault)
            throws Exception {
        JobClient job = frameFault
                ? CompatibilityJob.start(broker, t, null, Map.of(), TestModels.tinyGraphRanged())
                : CompatibilityJob.start(broker, t, null);
        ObjectNode manifest = ControlJson.object();
        try (KafkaProducer<byte[], byte[]> producer = PipelineTestSupport.producer(broker)) {
            t.sendControl(producer, """
                    {"action":"set","target":"camera:cam-1","by":"compat","image_score":2.0,"debounce":{"k":2,"n":3}}""");
            t.sendControl(producer, "{\"action\":\"set\",\"target\":\"line:line-1\",\"by\":\"compat\",\"pixel\":0.7}");
            String last = t.sendControl(producer,
                    "{\"action\":\"set\",\"target\":\"default\",\"by\":\"compat\",\"min_region_area\":3}");
            t.awaitAudit(broker, last, CompatibilityJob.TIMEOUT);
            manifest.put("control_offset", 3);
            RecordMetadata m = producer.send(t.frame("cam-1", "line-1", "before-savepoint", ControlTopics.BRIGHT))
                    .get();
            List<ScoreRecord> scores = t.awaitScores(broker, s -> !s.isEmpty(), CompatibilityJob.TIMEOUT);
            if (scores.get(0).isAlert()) {
                // The restoring test relies on this frame being in the debounce history without having alerted.
                throw new IllegalStateException("the frame before the savepoint alerted; with debounce 2 of 3 the "
                        + "first frame over the threshold must be held back: " + scores.get(0));
            }
            ObjectNode offsets = manifest.putObject("frames_offsets");
            offsets.put(Integer.toString(m.partition()), m.offset() + 1);
            if (frameFault) {
                long captured = System.currentTimeMillis();
                manifest.put("frame_fault_capture_time", captured);
                RecordMetadata f = producer.send(t.frame("cam-2", "line-1", "blank-before-savepoint", 0, captured))
                        .get();
                List<ScoreRecord> both = t.awaitScores(broker, s -> s.size() >= 2, CompatibilityJob.TIMEOUT);
                ScoreRecord blank = both.stream().filter(r -> "blank-before-savepoint".equals(r.getFrameId()))
                        .findFirst().orElseThrow();
                if (!blank.isAlert() || !DefectAlert.CAUSE_FRAME.equals(blank.getCause())) {
                    throw new IllegalStateException("the black frame of cam-2 must alert as a frame fault: " + blank);
                }
                // cam-2 may hash to the other partition; the restoring test fills each up to its offset.
                offsets.put(Integer.toString(f.partition()), Math.max(f.offset() + 1,
                        offsets.path(Integer.toString(f.partition())).asLong(0)));
            }
            String savepoint = job.stopWithSavepoint(false, dir.toUri().toString(), SavepointFormatType.CANONICAL)
                    .get();
            return new Stopped(savepoint, manifest);
        } catch (Exception e) {
            // Not stopped: leave no job behind on a MiniCluster that other tests share.
            try {
                job.cancel().get();
            } catch (Exception cancel) {
                e.addSuppressed(cancel);
            }
            throw e;
        }
    }

    private static void deleteRecursively(Path dir) throws IOException {
        try (Stream<Path> paths = Files.walk(dir)) {
            for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }
}
