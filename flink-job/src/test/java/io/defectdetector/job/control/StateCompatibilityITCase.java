package io.defectdetector.job.control;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.defectdetector.job.alerts.ScoreRecord;
import io.defectdetector.job.config.JobConfig;
import io.defectdetector.job.model.ModelBundle;
import io.defectdetector.job.testing.PipelineTestSupport;
import io.defectdetector.job.testing.TestModels;
import io.defectdetector.kafka.LocalKafkaExtension;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.flink.api.common.JobID;
import org.apache.flink.api.common.JobStatus;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.StateRecoveryOptions;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.core.execution.SavepointFormatType;
import org.apache.flink.runtime.execution.ExecutionState;
import org.apache.flink.runtime.executiongraph.AccessExecutionGraph;
import org.apache.flink.runtime.minicluster.MiniCluster;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.InjectMiniCluster;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Restores a savepoint written by an earlier version of the job (committed under
 * src/test/resources/savepoints/), without allowing unrestored state: renaming an operator uid, a state name or
 * changing a state's type makes this fail here instead of in a plant. The savepoint holds threshold overrides
 * (broadcast state) and one camera's debounce history (keyed state); the restored job must use both.
 *
 * <p>To add a savepoint for a new version (keep the old ones and their tests):
 * {@code mvn -o -pl flink-job test -Dtest=StateCompatibilityITCase#writeSavepoint
 * -Dcompat.savepoint.write=src/test/resources/savepoints/<name>}.
 */
class StateCompatibilityITCase {
    @RegisterExtension
    static final LocalKafkaExtension KAFKA = new LocalKafkaExtension();
    @RegisterExtension
    static final MiniClusterExtension FLINK = new MiniClusterExtension(PipelineTestSupport::twoTaskManagers);

    private static final String V1 = "savepoints/thresholds-v1";
    private static final String PREFIX = "compat";
    private static final Duration TIMEOUT = Duration.ofSeconds(60);

    @TempDir
    Path temp;

    private static JobClient start(JobConfig cfg, String savepoint) throws Exception {
        Configuration conf = new Configuration();
        if (savepoint != null) {
            conf.set(StateRecoveryOptions.SAVEPOINT_PATH, savepoint);
            conf.set(StateRecoveryOptions.SAVEPOINT_IGNORE_UNCLAIMED_STATE, false);
        }
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(conf);
        io.defectdetector.job.DetectionPipeline.buildKafkaJob(env, cfg, ModelBundle.locate(cfg.modelPath()));
        return env.executeAsync("compat-it");
    }

    @Test
    void restoresTheVersion1SavepointWithItsThresholdsAndDebounceHistory(@InjectMiniCluster MiniCluster cluster)
            throws Exception {
        Path savepoint = TestModels.resource(V1 + "/_metadata").getParent();
        JsonNode manifest = ControlJson.read(Files.readString(savepoint.resolve("manifest.json")));
        ControlTopics t = ControlTopics.create(KAFKA.broker(), PREFIX);
        try (KafkaProducer<byte[], byte[]> producer = PipelineTestSupport.producer(KAFKA.broker())) {
            // The restored sources resume at the savepoint's offsets: fill the new topics up to them, so that the
            // records sent below are exactly the next ones.
            for (Iterator<Map.Entry<String, JsonNode>> it = manifest.get("frames_offsets").fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> p = it.next();
                for (int i = 0; i < p.getValue().asInt(); i++) {
                    producer.send(new ProducerRecord<>(t.main().frames(), Integer.parseInt(p.getKey()),
                            null, null, new byte[0])).get();
                }
            }
            for (int i = 0; i < manifest.get("control_offset").asInt(); i++) {
                producer.send(new ProducerRecord<>(t.control(), 0, null, null, new byte[0])).get();
            }

            JobClient job = start(t.config(KAFKA.broker(), TestModels.tinyGraph(), Map.of()),
                    savepoint.toUri().toString());
            try {
                awaitRunning(cluster, job.getJobID());
                JsonNode shown = t.awaitAudit(KAFKA.broker(), t.sendControl(producer,
                        "{\"action\":\"show\",\"target\":\"all\",\"by\":\"compat-test\"}"), TIMEOUT);
                JsonNode overrides = shown.get("overrides");
                assertThat(overrides.get("camera:cam-1").get("image_score").asDouble()).isEqualTo(2.0);
                assertThat(overrides.get("camera:cam-1").get("debounce").get("n").asInt()).isEqualTo(3);
                assertThat(overrides.get("camera:cam-1").get("score_settings_active").asBoolean()).isTrue();
                assertThat(overrides.get("line:line-1").get("pixel").asDouble()).isEqualTo(0.7);
                assertThat(overrides.get("default").get("min_region_area").asInt()).isEqualTo(3);

                // The savepoint's history holds one frame of cam-1 over its threshold: with debounce 2 of 3 the
                // next one over it alerts, which it would not with a lost history.
                producer.send(t.frame("cam-1", "line-1", "after-restore", ControlTopics.BRIGHT)).get();
                List<ScoreRecord> scores = t.awaitScores(KAFKA.broker(), s -> !s.isEmpty(), TIMEOUT);
                assertThat(scores).singleElement().satisfies(s -> {
                    assertThat(s.getFrameId()).isEqualTo("after-restore");
                    assertThat(s.getThreshold()).isEqualTo(2.0);
                    assertThat(s.isAlert()).as("debounce history restored").isTrue();
                });
            } finally {
                cancelIfRunning(job);
            }
        }
    }

    private static void cancelIfRunning(JobClient job) throws Exception {
        if (!job.getJobStatus().get().isGloballyTerminalState()) {
            job.cancel().get();
        }
    }

    /** Fails fast with the job's own error when the savepoint cannot be restored. */
    private static void awaitRunning(MiniCluster cluster, JobID id) throws Exception {
        long deadline = System.nanoTime() + TIMEOUT.toNanos();
        while (System.nanoTime() < deadline) {
            AccessExecutionGraph graph = cluster.getExecutionGraph(id).get();
            if (graph.getFailureInfo() != null) {
                throw new AssertionError("the job could not restore the savepoint: "
                        + graph.getFailureInfo().getExceptionAsString());
            }
            boolean allRunning = graph.getState() == JobStatus.RUNNING && Stream.of(graph.getAllVertices().values()
                            .toArray(new org.apache.flink.runtime.executiongraph.AccessExecutionJobVertex[0]))
                    .flatMap(v -> Stream.of(v.getTaskVertices()))
                    .allMatch(v -> v.getExecutionState() == ExecutionState.RUNNING
                            || v.getExecutionState() == ExecutionState.FINISHED);
            if (allRunning) {
                return;
            }
            Thread.sleep(100);
        }
        throw new AssertionError("the job was not running after " + TIMEOUT);
    }

    /** Writes a new compatibility savepoint (see the class comment); skipped unless asked for. */
    @Test
    @EnabledIfSystemProperty(named = "compat.savepoint.write", matches = ".+")
    void writeSavepoint() throws Exception {
        Path target = Path.of(System.getProperty("compat.savepoint.write"));
        ControlTopics t = ControlTopics.create(KAFKA.broker(), PREFIX);
        JobClient job = start(t.config(KAFKA.broker(), TestModels.tinyGraph(), Map.of()), null);
        ObjectNode manifest = ControlJson.object();
        String savepoint;
        try (KafkaProducer<byte[], byte[]> producer = PipelineTestSupport.producer(KAFKA.broker())) {
            t.sendControl(producer, """
                    {"action":"set","target":"camera:cam-1","by":"compat","image_score":2.0,"debounce":{"k":2,"n":3}}""");
            t.sendControl(producer, "{\"action\":\"set\",\"target\":\"line:line-1\",\"by\":\"compat\",\"pixel\":0.7}");
            String last = t.sendControl(producer,
                    "{\"action\":\"set\",\"target\":\"default\",\"by\":\"compat\",\"min_region_area\":3}");
            t.awaitAudit(KAFKA.broker(), last, TIMEOUT);
            manifest.put("control_offset", 3);
            RecordMetadata m = producer.send(t.frame("cam-1", "line-1", "before-savepoint", ControlTopics.BRIGHT))
                    .get();
            List<ScoreRecord> scores = t.awaitScores(KAFKA.broker(), s -> !s.isEmpty(), TIMEOUT);
            assertThat(scores.get(0).isAlert()).as("1 of 3 frames over: held back").isFalse();
            ObjectNode offsets = manifest.putObject("frames_offsets");
            offsets.put(Integer.toString(m.partition()), m.offset() + 1);
            savepoint = job.stopWithSavepoint(false, temp.toUri().toString(), SavepointFormatType.CANONICAL).get();
        }
        manifest.put("written_by", "StateCompatibilityITCase#writeSavepoint");
        manifest.put("model", "flink-job/src/test/resources/models/tiny-graph");
        Path source = Path.of(java.net.URI.create(savepoint));
        Files.createDirectories(target);
        try (Stream<Path> files = Files.list(source)) {
            for (Path f : files.toList()) {
                Files.copy(f, target.resolve(f.getFileName()), StandardCopyOption.REPLACE_EXISTING);
            }
        }
        Files.writeString(target.resolve("manifest.json"),
                ControlJson.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(manifest) + "\n");
        System.out.println("Wrote compatibility savepoint " + target.toAbsolutePath());
    }
}
