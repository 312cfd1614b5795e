package io.defectdetector.job.control;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import com.fasterxml.jackson.databind.JsonNode;
import io.defectdetector.job.alerts.DefectAlert;
import io.defectdetector.job.alerts.ScoreRecord;
import io.defectdetector.job.testing.PipelineTestSupport;
import io.defectdetector.job.testing.TestModels;
import io.defectdetector.job.thresholds.DebounceFunction;
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
import org.junit.jupiter.api.io.TempDir;

/**
 * Restores a savepoint written by an earlier version of the job (committed under
 * src/test/resources/savepoints/), without allowing unrestored state: renaming an operator uid, a state name or
 * changing a state's type makes this fail here instead of in a plant. The savepoints hold threshold overrides
 * (broadcast state) and one camera's debounce history (keyed state); from v2 on, also another camera's
 * frame-fault state (keyed). The restored job must use the overrides; the
 * history has a processing-time TTL of {@link DebounceFunction#HISTORY_TTL} (1 h), so in a committed savepoint it
 * has always expired and the restored job must ignore it. That a history within its TTL is used after a restore
 * is checked on a savepoint written by the test itself.
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
    private static final String V2 = "savepoints/thresholds-v2";
    private static final Duration TIMEOUT = CompatibilityJob.TIMEOUT;

    @Test
    void restoresTheVersion1SavepointWithItsThresholdsAndWithoutItsExpiredDebounceHistory(
            @InjectMiniCluster MiniCluster cluster) throws Exception {
        restoreCommitted(cluster, V1, TestModels.tinyGraph(), (t, producer) -> { });
    }

    /**
     * Version 2 adds the debounce stage's frame-fault state (cam-2 sent an all-black frame outside the
     * tiny-graph-ranged model's input range before the savepoint). What restoring it must do with a live entry is
     * checked by frameFaultStateWithinItsTtlSurvivesASavepoint; here, that the state restores at all.
     */
    @Test
    void restoresTheVersion2SavepointWithItsFrameFaultState(@InjectMiniCluster MiniCluster cluster) throws Exception {
        restoreCommitted(cluster, V2, TestModels.tinyGraphRanged(), (t, producer) -> {
            producer.send(t.frame("cam-2", "line-1", "blank-after-restore", 0)).get();
            List<ScoreRecord> scores = t.awaitScores(KAFKA.broker(), s -> s.size() >= 2, TIMEOUT);
            assertThat(scores).filteredOn(s -> s.getFrameId().equals("blank-after-restore")).singleElement()
                    .satisfies(s -> {
                        assertThat(s.getCause()).isEqualTo(DefectAlert.CAUSE_FRAME);
                        assertThat(s.isAlert()).as("captured long after the savepoint's frame fault").isTrue();
                    });
        });
    }

    /** What a restore test does after the common checks, with the restored job running on topics {@code t}. */
    private interface AfterRestore {
        void check(ControlTopics t, KafkaProducer<byte[], byte[]> producer) throws Exception;
    }

    /**
     * Restores the committed savepoint {@code name} (its manifest names the offsets and the topics' prefix) and
     * checks what every version holds: the threshold overrides, and cam-1's debounce history, expired.
     */
    private static void restoreCommitted(MiniCluster cluster, String name, Path model, AfterRestore more)
            throws Exception {
        Path savepoint = TestModels.resource(name + "/_metadata").getParent();
        JsonNode manifest = ControlJson.read(Files.readString(savepoint.resolve("manifest.json")));
        ControlTopics t = CompatibilityJob.createTopics(KAFKA.broker(),
                manifest.path("topic_prefix").asText(CompatibilityJob.PREFIX));
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

            JobClient job = CompatibilityJob.start(KAFKA.broker(), t, savepoint.toUri().toString(), Map.of(), model);
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

                // The savepoint's history holds one frame of cam-1 over its threshold, written when the savepoint
                // was (v1: the TTL timestamps in _metadata read 2026-11-25 09:27 UTC): far longer ago than
                // HISTORY_TTL (1 h), on any date this test runs. Processing-time TTL counts the time the job was
                // stopped too, and expired entries are never returned, so that frame no longer counts: with
                // debounce 2 of 3 the next frame over the threshold is the only one in the window and is held
                // back. (That a history within its TTL survives a savepoint: historyWithinItsTtlSurvivesASavepoint.)
                producer.send(t.frame("cam-1", "line-1", "after-restore", ControlTopics.BRIGHT)).get();
                List<ScoreRecord> scores = t.awaitScores(KAFKA.broker(), s -> !s.isEmpty(), TIMEOUT);
                assertThat(scores).singleElement().satisfies(s -> {
                    assertThat(s.getFrameId()).isEqualTo("after-restore");
                    assertThat(s.getThreshold()).isEqualTo(2.0f);
                    assertThat((double) s.getScore()).as("over the threshold").isGreaterThan(s.getThreshold());
                    assertThat(s.isAlert()).as("held back: the savepoint's debounce history is older than its "
                            + "TTL of %s, so only this frame of 2 of 3 is over", DebounceFunction.HISTORY_TTL)
                            .isFalse();
                });
                more.check(t, producer);
            } finally {
                cancelIfRunning(job);
            }
        }
    }

    /**
     * The other side of the TTL: a savepoint restored within {@link DebounceFunction#HISTORY_TTL} of the camera's
     * last frame (here seconds after it) keeps the history, and the restored job counts it.
     */
    @Test
    void historyWithinItsTtlSurvivesASavepoint(@InjectMiniCluster MiniCluster cluster, @TempDir Path temp)
            throws Exception {
        // Own topic names: the broker is shared with the test above, whose topics the v1 savepoint fixes.
        ControlTopics t = CompatibilityJob.createTopics(KAFKA.broker(), CompatibilityJob.PREFIX + "-fresh");
        // Overrides as in v1 (cam-1: image_score 2.0, debounce 2 of 3) and one frame of cam-1 over its threshold,
        // held back, then stop with a savepoint.
        CompatibilitySavepointWriter.Stopped stopped =
                CompatibilitySavepointWriter.runAndStop(KAFKA.broker(), t, temp);

        JobClient job = CompatibilityJob.start(KAFKA.broker(), t, stopped.savepoint());
        try (KafkaProducer<byte[], byte[]> producer = PipelineTestSupport.producer(KAFKA.broker())) {
            awaitRunning(cluster, job.getJobID());
            producer.send(t.frame("cam-1", "line-1", "after-restore", ControlTopics.BRIGHT)).get();
            List<ScoreRecord> scores = t.awaitScores(KAFKA.broker(), s -> s.size() >= 2, TIMEOUT);
            assertThat(scores).extracting(ScoreRecord::getFrameId)
                    .containsExactly("before-savepoint", "after-restore");
            assertThat(scores.get(0).isAlert()).as("held back before the savepoint").isFalse();
            assertThat(scores.get(1)).satisfies(s -> {
                assertThat(s.getThreshold()).isEqualTo(2.0f);
                assertThat(s.isAlert()).as("the frame held back before the savepoint is restored in the debounce "
                        + "history: 2 of the last 3 over").isTrue();
            });
        } finally {
            cancelIfRunning(job);
        }
    }

    /**
     * The frame-fault throttle across a savepoint: cam-2's frame fault before it alerted; one captured 10 s later,
     * after the restore, is within input-range-alert-interval (1 min) of it and is held back.
     */
    @Test
    void frameFaultStateWithinItsTtlSurvivesASavepoint(@InjectMiniCluster MiniCluster cluster, @TempDir Path temp)
            throws Exception {
        ControlTopics t = CompatibilityJob.createTopics(KAFKA.broker(), CompatibilityJob.PREFIX + "-fault");
        CompatibilitySavepointWriter.Stopped stopped =
                CompatibilitySavepointWriter.runAndStop(KAFKA.broker(), t, temp, true);
        long before = stopped.manifest().get("frame_fault_capture_time").asLong();

        JobClient job = CompatibilityJob.start(KAFKA.broker(), t, stopped.savepoint(), Map.of(),
                TestModels.tinyGraphRanged());
        try (KafkaProducer<byte[], byte[]> producer = PipelineTestSupport.producer(KAFKA.broker())) {
            awaitRunning(cluster, job.getJobID());
            producer.send(t.frame("cam-2", "line-1", "blank-after-restore", 0, before + 10_000)).get();
            producer.send(t.frame("cam-2", "line-1", "blank-a-minute-on", 0, before + 60_000)).get();
            List<ScoreRecord> scores = t.awaitScores(KAFKA.broker(), s -> s.size() >= 4, TIMEOUT);
            assertThat(scores).filteredOn(s -> "cam-2".equals(s.getCameraId()))
                    .extracting(ScoreRecord::getFrameId, ScoreRecord::isAlert, ScoreRecord::getCause)
                    .containsExactly(tuple("blank-before-savepoint", true, "frame"),
                            tuple("blank-after-restore", false, "frame"), tuple("blank-a-minute-on", true, "frame"));
        } finally {
            cancelIfRunning(job);
        }
    }

    /**
     * Rescaling: a savepoint taken at parallelism 2 restored at 3 (up to max-parallelism). The keyed debounce
     * history moves with its key group to whichever subtask now owns the camera, and the broadcast threshold
     * overrides reach every subtask, new ones included.
     */
    @Test
    void overridesAndHistorySurviveARescaleFromASavepoint(@InjectMiniCluster MiniCluster cluster,
            @TempDir Path temp) throws Exception {
        ControlTopics t = CompatibilityJob.createTopics(KAFKA.broker(), CompatibilityJob.PREFIX + "-rescaled");
        CompatibilitySavepointWriter.Stopped stopped =
                CompatibilitySavepointWriter.runAndStop(KAFKA.broker(), t, temp);

        JobClient job = CompatibilityJob.start(KAFKA.broker(), t, stopped.savepoint(), Map.of("parallelism", "3"));
        try (KafkaProducer<byte[], byte[]> producer = PipelineTestSupport.producer(KAFKA.broker())) {
            awaitRunning(cluster, job.getJobID());
            assertThat(cluster.getExecutionGraph(job.getJobID()).get().getAllVertices().values())
                    .anyMatch(v -> v.getParallelism() == 3);
            producer.send(t.frame("cam-1", "line-1", "after-rescale", ControlTopics.BRIGHT)).get();
            List<ScoreRecord> scores = t.awaitScores(KAFKA.broker(), s -> s.size() >= 2, TIMEOUT);
            assertThat(scores).extracting(ScoreRecord::getFrameId)
                    .containsExactly("before-savepoint", "after-rescale");
            assertThat(scores.get(1)).satisfies(s -> {
                assertThat(s.getThreshold()).as("the camera's override").isEqualTo(2.0f);
                assertThat(s.isAlert()).as("2 of the last 3 over: the history came along").isTrue();
            });
            JsonNode shown = t.awaitAudit(KAFKA.broker(), t.sendControl(producer,
                    "{\"action\":\"show\",\"target\":\"all\",\"by\":\"rescale-test\"}"), TIMEOUT);
            assertThat(shown.get("overrides").get("camera:cam-1").get("image_score").asDouble()).isEqualTo(2.0);
        } finally {
            cancelIfRunning(job);
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
