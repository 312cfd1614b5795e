package io.defectdetector.job;

import static org.assertj.core.api.Assertions.assertThat;

import io.defectdetector.job.alerts.DefectAlert;
import io.defectdetector.job.alerts.ScoreRecord;
import io.defectdetector.job.testing.CheckpointedRun;
import io.defectdetector.job.testing.CountingEngineFactory;
import io.defectdetector.job.testing.PipelineTestSupport;
import io.defectdetector.job.testing.SimulatedCameras;
import io.defectdetector.kafka.LocalKafkaExtension;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.apache.flink.runtime.minicluster.MiniCluster;
import org.apache.flink.test.junit5.InjectMiniCluster;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A TaskManager goes away mid-stream (as a node or pod lost): the job restarts on the slots left, the other
 * TaskManager's, where both inference subtasks now open their ONNX Runtime sessions side by side in one JVM, and a
 * read_committed consumer sees every frame scored once and every alert once.
 */
class TaskManagerLossITCase {
    @RegisterExtension
    static final LocalKafkaExtension KAFKA = new LocalKafkaExtension();
    @RegisterExtension
    static final MiniClusterExtension FLINK = new MiniClusterExtension(PipelineTestSupport::twoTaskManagers);

    private static final int FRAMES = 400;

    @Test
    void theJobCarriesOnOnTheTaskManagerLeftWithNothingLostOrRepeated(@InjectMiniCluster MiniCluster cluster)
            throws Exception {
        CountingEngineFactory.OPENED.set(0);
        SimulatedCameras cameras = CheckpointedRun.cameras("tm-loss", 4, 50, FRAMES, 13);
        try (CheckpointedRun run = CheckpointedRun.start(KAFKA.broker(), "tm-loss", Map.of(), Integer.MAX_VALUE)) {
            cameras.start(KAFKA.broker());
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (cameras.truth().size() < FRAMES / 4) {
                assertThat(System.nanoTime()).as("a quarter of the frames sent within 60 s").isLessThan(deadline);
                Thread.sleep(20);
            }
            int openedBefore = CountingEngineFactory.OPENED.get();
            cluster.terminateTaskManager(0).get(60, java.util.concurrent.TimeUnit.SECONDS);
            int sentAtLoss = cameras.truth().size();
            assertThat(sentAtLoss).as("frames still to send after the loss").isLessThan(FRAMES);
            cameras.await();

            List<ScoreRecord> scores = run.committedScores(FRAMES, Duration.ofSeconds(180));
            assertThat(scores.stream().map(s -> s.getCameraId() + "/" + s.getFrameId()))
                    .as("one score per frame, none twice").doesNotHaveDuplicates().hasSize(FRAMES)
                    .containsExactlyInAnyOrderElementsOf(cameras.truth().frames().stream()
                            .map(f -> f.cameraId() + "/" + f.frameId()).toList());
            List<String> expectedAlertIds = CheckpointedRun.expectedAlertIds(scores);
            assertThat(expectedAlertIds).as("some frames alert").isNotEmpty();
            List<DefectAlert> alerts = run.committedAlerts(expectedAlertIds.size(), Duration.ofSeconds(60));
            assertThat(alerts).extracting(DefectAlert::getAlertId).as("alerts seen by a read_committed consumer")
                    .containsExactlyInAnyOrderElementsOf(expectedAlertIds);

            String failure = run.lastFailure(cluster);
            assertThat(failure).as("the job noticed the loss").isNotEqualTo("none");
            assertThat(CountingEngineFactory.OPENED.get() - openedBefore)
                    .as("inference sessions opened again, on the TaskManager left")
                    .isGreaterThanOrEqualTo(PipelineTestSupport.PARALLELISM);
            System.out.printf("TaskManager lost after %d of %d frames were sent: %d scored once each, %d alerts "
                    + "once each; the job's last failure: %s%n", sentAtLoss, FRAMES, scores.size(), alerts.size(),
                    failure.lines().findFirst().orElse(""));
        }
    }
}
