package io.defectdetector.job;

import static org.assertj.core.api.Assertions.assertThat;

import io.defectdetector.factory.camera.FrameTruth;
import io.defectdetector.job.alerts.DefectAlert;
import io.defectdetector.job.alerts.ScoreRecord;
import io.defectdetector.job.testing.CheckpointedRun;
import io.defectdetector.job.testing.CountingEngineFactory;
import io.defectdetector.job.testing.FailOnceAfterCheckpoint;
import io.defectdetector.job.testing.PipelineTestSupport;
import io.defectdetector.job.testing.SimulatedCameras;
import io.defectdetector.kafka.LocalKafkaExtension;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.apache.flink.runtime.minicluster.MiniCluster;
import org.apache.flink.test.junit5.InjectMiniCluster;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * (c) Exactly-once across a failure injected mid-stream, after a completed checkpoint and with output pending in
 * open transactions; (d) ONNX Runtime sessions reopened in the same TaskManager JVM keep inferring.
 * The control case runs the same failure with AT_LEAST_ONCE and must see duplicates, so the main case could fail.
 */
class ExactlyOnceRecoveryITCase {
    @RegisterExtension
    static final LocalKafkaExtension KAFKA = new LocalKafkaExtension();
    @RegisterExtension
    static final MiniClusterExtension FLINK = new MiniClusterExtension(PipelineTestSupport::twoTaskManagers);

    private static final int FRAMES = 400;
    private static final int CAMERAS = 4;
    private static final int FRAMES_PER_SECOND = 100;

    @BeforeEach
    void resetInjectedState() {
        CountingEngineFactory.OPENED.set(0);
    }

    @Test
    void readCommittedConsumerSeesEveryAlertExactlyOnceAcrossAFailure(@InjectMiniCluster MiniCluster cluster)
            throws Exception {
        Run run = runWithFailure("eos", "EXACTLY_ONCE", cluster);

        assertThat(FailOnceAfterCheckpoint.FAILED).as("the failure was injected").isTrue();
        assertThat(run.failure).contains("injected failure");
        assertThat(FailOnceAfterCheckpoint.RECORDS_AFTER_RESTORE.get()).as("frames processed after the restore")
                .isPositive();
        // Both subtasks opened a session, and the restarted one opened another in the same JVM and kept going.
        assertThat(CountingEngineFactory.OPENED.get()).isGreaterThan(PipelineTestSupport.PARALLELISM);
        // The exactly-once writers (two starts each) list open transactions with an admin client: none stays open.
        assertThat(run.adminThreadsLeft).as("Kafka admin-client threads left by the sink writers").isZero();

        List<String> scoredFrames = run.scores.stream().map(s -> s.getCameraId() + "/" + s.getFrameId()).toList();
        assertThat(scoredFrames).as("one score per frame, none twice").doesNotHaveDuplicates().hasSize(FRAMES)
                .containsExactlyInAnyOrderElementsOf(run.frames.stream()
                        .map(f -> f.cameraId() + "/" + f.frameId()).toList());

        List<String> expectedAlertIds = CheckpointedRun.expectedAlertIds(run.scores);
        assertThat(expectedAlertIds).as("some frames alert").isNotEmpty();
        assertThat(run.alerts).extracting(DefectAlert::getAlertId).as("alerts seen by a read_committed consumer")
                .containsExactlyInAnyOrderElementsOf(expectedAlertIds);
        run.printAgreementWithGroundTruth();
    }

    @Test
    void atLeastOnceRepeatsOutputAfterTheSameFailure(@InjectMiniCluster MiniCluster cluster) throws Exception {
        Run run = runWithFailure("alo", "AT_LEAST_ONCE", cluster);

        assertThat(FailOnceAfterCheckpoint.FAILED).isTrue();
        Set<String> distinct = new HashSet<>();
        long duplicates = run.scores.stream().filter(s -> !distinct.add(s.getCameraId() + "/" + s.getFrameId()))
                .count();
        assertThat(distinct).hasSize(FRAMES);
        assertThat(duplicates).as("score records replayed after the failure").isPositive();
    }

    private record Run(List<FrameTruth> frames, List<ScoreRecord> scores, List<DefectAlert> alerts,
            String failure, long adminThreadsLeft) {
        void printAgreementWithGroundTruth() {
            Map<String, Boolean> truth = frames.stream()
                    .collect(Collectors.toMap(f -> f.cameraId() + "/" + f.frameId(), FrameTruth::defective));
            long tp = alerts.stream().filter(a -> truth.get(a.getCameraId() + "/" + a.getFrameId())).count();
            long defective = truth.values().stream().filter(d -> d).count();
            System.out.printf("Exactly-once run: %d frames (%d defective), %d alerts, %d on defective frames%n",
                    frames.size(), defective, alerts.size(), tp);
        }
    }

    private Run runWithFailure(String prefix, String delivery, MiniCluster cluster) throws Exception {
        KAFKA.broker().admin(); // the broker's own admin client (its thread) exists before the count
        long adminThreadsBefore = unnamedAdminClientThreads();
        // Paced, so the failure strikes mid-stream with frames still arriving.
        SimulatedCameras cameras = CheckpointedRun.cameras(prefix, CAMERAS, FRAMES_PER_SECOND, FRAMES, 7);
        try (CheckpointedRun run = CheckpointedRun.start(KAFKA.broker(), prefix,
                Map.of("delivery-guarantee", delivery), 15)) {
            cameras.start(KAFKA.broker()).await();
            List<ScoreRecord> scores = run.committedScores(FRAMES, Duration.ofSeconds(120));
            List<DefectAlert> alerts = run.committedAlerts(CheckpointedRun.expectedAlertIds(scores).size(),
                    Duration.ofSeconds(60));
            return new Run(cameras.truth().frames(), scores, alerts, run.lastFailure(cluster),
                    unnamedAdminClientThreads() - adminThreadsBefore);
        }
    }

    /** Threads of Kafka admin clients without a client.id (the job's sources and checks name theirs). */
    private static long unnamedAdminClientThreads() {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.getName().startsWith("kafka-admin-client-thread | adminclient-")).count();
    }
}
