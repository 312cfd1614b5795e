package io.defectdetector.job.control;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.defectdetector.job.alerts.ScoreRecord;
import io.defectdetector.job.testing.PipelineTestSupport;
import io.defectdetector.kafka.LocalKafkaBroker;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Comparator;
import java.util.List;
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
 * slots, parallelism 2), sets threshold overrides through the control topic, sends one frame over the threshold of
 * camera cam-1 (held back by its 2-of-3 debounce, so its history is in the keyed state) and stops with a canonical
 * savepoint. {@link StateCompatibilityITCase} restores what it writes; see there for how to add a version.
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
        Stopped s = runAndStop(broker, CompatibilityJob.createTopics(broker), stopped);
        ObjectNode manifest = s.manifest();
        manifest.put("written_by", CompatibilitySavepointWriter.class.getSimpleName());
        manifest.put("model", CompatibilityJob.MODEL);

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
        JobClient job = CompatibilityJob.start(broker, t, null);
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
