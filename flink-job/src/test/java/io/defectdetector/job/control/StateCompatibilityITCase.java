package io.defectdetector.job.control;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.defectdetector.job.alerts.ScoreRecord;
import io.defectdetector.job.testing.PipelineTestSupport;
import io.defectdetector.job.testing.TestModels;
import io.defectdetector.kafka.LocalKafkaExtension;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.flink.api.common.JobID;
import org.apache.flink.api.common.JobStatus;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.runtime.execution.ExecutionState;
import org.apache.flink.runtime.executiongraph.AccessExecutionGraph;
import org.apache.flink.runtime.minicluster.MiniCluster;
import org.apache.flink.test.junit5.InjectMiniCluster;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Restores a savepoint written by an earlier version of the job (committed under
 * src/test/resources/savepoints/), without allowing unrestored state: renaming an operator uid, a state name or
 * changing a state's type makes this fail here instead of in a plant. The savepoint holds threshold overrides
 * (broadcast state) and one camera's debounce history (keyed state); the restored job must use both.
 *
 * <p>To add a savepoint for a new version (keep the old ones and their tests): write it with
 * {@link CompatibilitySavepointWriter} (the command is on that class) into
 * {@code src/test/resources/savepoints/<name>}, then add a test here that restores it.
 */
class StateCompatibilityITCase {
    @RegisterExtension
    static final LocalKafkaExtension KAFKA = new LocalKafkaExtension();
    @RegisterExtension
    static final MiniClusterExtension FLINK = new MiniClusterExtension(PipelineTestSupport::twoTaskManagers);

    private static final String V1 = "savepoints/thresholds-v1";
    private static final Duration TIMEOUT = CompatibilityJob.TIMEOUT;

    @Test
    void restoresTheVersion1SavepointWithItsThresholdsAndDebounceHistory(@InjectMiniCluster MiniCluster cluster)
            throws Exception {
        Path savepoint = TestModels.resource(V1 + "/_metadata").getParent();
        JsonNode manifest = ControlJson.read(Files.readString(savepoint.resolve("manifest.json")));
        ControlTopics t = CompatibilityJob.createTopics(KAFKA.broker());
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

            JobClient job = CompatibilityJob.start(KAFKA.broker(), t, savepoint.toUri().toString());
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
}
