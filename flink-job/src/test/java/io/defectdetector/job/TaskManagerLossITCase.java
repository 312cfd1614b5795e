package io.defectdetector.job;

import static org.assertj.core.api.Assertions.assertThat;

import io.defectdetector.job.testing.CheckpointedRun;
import io.defectdetector.job.testing.CountingEngineFactory;
import io.defectdetector.job.testing.PipelineTestSupport;
import io.defectdetector.job.testing.SimulatedCameras;
import io.defectdetector.kafka.LocalKafkaExtension;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
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
            CheckpointedRun.awaitSent(cameras, FRAMES / 4, Duration.ofSeconds(60));
            int openedBefore = CountingEngineFactory.OPENED.get();
            cluster.terminateTaskManager(0).get(60, TimeUnit.SECONDS);
            int sentAtLoss = cameras.truth().size();
            assertThat(sentAtLoss).as("frames still to send after the loss").isLessThan(FRAMES);
            cameras.await();

            CheckpointedRun.Committed seen = run.assertEveryFrameScoredOnceAndEveryAlertSeenOnce(cameras, FRAMES);

            String failure = run.lastFailure(cluster);
            assertThat(failure).as("the job noticed the loss").isNotEqualTo("none");
            assertThat(CountingEngineFactory.OPENED.get() - openedBefore)
                    .as("inference sessions opened again, on the TaskManager left")
                    .isGreaterThanOrEqualTo(PipelineTestSupport.PARALLELISM);
            System.out.printf("TaskManager lost after %d of %d frames were sent: %d scored once each, %d alerts "
                    + "once each; the job's last failure: %s%n", sentAtLoss, FRAMES, seen.scores().size(), seen.alerts().size(),
                    failure.lines().findFirst().orElse(""));
        }
    }
}
