package io.defectdetector.job;

import static org.assertj.core.api.Assertions.assertThat;

import io.defectdetector.job.testing.CheckpointedRun;
import io.defectdetector.job.testing.PipelineTestSupport;
import io.defectdetector.job.testing.SimulatedCameras;
import io.defectdetector.kafka.LocalKafkaExtension;
import java.time.Duration;
import java.util.Map;
import org.apache.flink.runtime.minicluster.MiniCluster;
import org.apache.flink.test.junit5.InjectMiniCluster;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A rolling restart of the Kafka cluster while the job runs (here its only broker, shut down cleanly mid-stream
 * and started again on the same port with the same data): the job rides it out, through its restart strategy
 * where a checkpoint or a transaction fails, and a read_committed consumer still sees every frame scored once and
 * every alert once.
 */
class BrokerRestartITCase {
    @RegisterExtension
    static final LocalKafkaExtension KAFKA = new LocalKafkaExtension();
    @RegisterExtension
    static final MiniClusterExtension FLINK = new MiniClusterExtension(PipelineTestSupport::twoTaskManagers);

    private static final int FRAMES = 750;
    private static final int CAMERAS = 4;
    private static final int FRAMES_PER_SECOND = 50;

    @Test
    void aShortRestartLosesOrRepeatsNothing(
            @InjectMiniCluster MiniCluster cluster) throws Exception {
        runAcrossABrokerRestart("short", Map.of(), Duration.ofSeconds(3), cluster);
    }

    @Test
    void aRestartLongerThanTheCheckpointTimeoutFailsTheJobWhichRecoversWithNothingLostOrRepeated(
            @InjectMiniCluster MiniCluster cluster) throws Exception {
        String failure = runAcrossABrokerRestart("long", Map.of("checkpoint-timeout", "1 s"), Duration.ofSeconds(8),
                cluster);
        assertThat(failure).as("the job failed while the broker was away, and restarted").isNotEqualTo("none");
    }

    /** @return the first line of the job's last failure, or "none" */
    private static String runAcrossABrokerRestart(String prefix, Map<String, String> options, Duration downFor,
            MiniCluster cluster) throws Exception {
        // Paced over 15 s; the broker goes away after a sixth of them (2.5 s in) and is back, even after the 8 s
        // outage and its restart, before the schedule ends, whether or not the cameras' producer blocks meanwhile.
        SimulatedCameras cameras = CheckpointedRun.cameras(prefix, CAMERAS, FRAMES_PER_SECOND, FRAMES, 11);
        try (CheckpointedRun run = CheckpointedRun.start(KAFKA.broker(), prefix, options, Integer.MAX_VALUE)) {
            cameras.start(KAFKA.broker());
            CheckpointedRun.awaitSent(cameras, FRAMES / 6, Duration.ofSeconds(60));
            int sentBefore = cameras.truth().size();
            KAFKA.broker().restart(downFor);
            int sentAfter = cameras.truth().size();
            assertThat(sentAfter).as("frames still to send once it was back").isLessThan(FRAMES);
            assertThat(cameras.await().failed()).as("frames the cameras could not deliver").isZero();

            CheckpointedRun.Committed seen = run.assertEveryFrameScoredOnceAndEveryAlertSeenOnce(cameras, FRAMES);
            String failure = run.lastFailure(cluster).lines().findFirst().orElse("");
            System.out.printf("Broker restart (%s, down %d s): %d frames sent before it went down, %d once it was "
                    + "back; %d scored once each, %d alerts once each; the job's last failure: %s%n", prefix,
                    downFor.toSeconds(), sentBefore, sentAfter, seen.scores().size(), seen.alerts().size(), failure);
            return failure;
        }
    }
}
