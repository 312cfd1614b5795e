package io.defectdetector.job;

import static org.assertj.core.api.Assertions.assertThat;

import io.defectdetector.factory.camera.SimulatorConfig;
import io.defectdetector.job.alerts.AlertIds;
import io.defectdetector.job.alerts.AlertJson;
import io.defectdetector.job.alerts.DefectAlert;
import io.defectdetector.job.alerts.ScoreRecord;
import io.defectdetector.job.config.JobConfig;
import io.defectdetector.job.frames.RawFrameRecord;
import io.defectdetector.job.model.ModelBundle;
import io.defectdetector.job.testing.CountingEngineFactory;
import io.defectdetector.job.testing.FailOnceAfterCheckpoint;
import io.defectdetector.job.testing.ModelUnderTest;
import io.defectdetector.job.testing.PipelineTestSupport;
import io.defectdetector.job.testing.PipelineTestSupport.Topics;
import io.defectdetector.job.testing.SimulatedCameras;
import io.defectdetector.kafka.LocalKafkaExtension;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.runtime.minicluster.MiniCluster;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.InjectMiniCluster;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.kafka.clients.consumer.ConsumerRecord;
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

    private static final int FRAMES = 500;
    private static final int CAMERAS = 4;
    private static final int FRAMES_PER_SECOND = 50;

    @Test
    void aShortRestartIsRiddenOutWithEveryFrameScoredOnceAndEveryAlertSeenOnce(
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
        FailOnceAfterCheckpoint.reset();
        FailOnceAfterCheckpoint.FAILED.set(true); // never fails: here it only reports completed checkpoints
        Topics topics = Topics.withPrefix(prefix);
        topics.create(KAFKA.broker(), 4);
        JobConfig cfg = PipelineTestSupport.config(KAFKA.broker(), prefix, topics, PipelineTestSupport.defaultModel(),
                options);
        // Paced over 10 s, so the broker goes away with frames arriving and comes back before they stop.
        SimulatedCameras cameras = new SimulatedCameras(SimulatorConfig.defaults(topics.frames(),
                        ModelUnderTest.product(PipelineTestSupport.defaultModel()))
                .withCameras(CAMERAS).withRate(FRAMES_PER_SECOND).withLimits(FRAMES, null).withDefectRate(0.3)
                .withPools(6, 6).withSeed(11));

        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        DetectionPipeline.configureEnvironment(env, cfg);
        DataStream<RawFrameRecord> source = DetectionPipeline.kafkaFrames(env, cfg)
                .map(new FailOnceAfterCheckpoint(Integer.MAX_VALUE)).uid("test-checkpoints")
                .name("test-checkpoints");
        DetectionOutputs outputs = DetectionPipeline.build(source, cfg, ModelBundle.locate(cfg.modelPath()),
                new CountingEngineFactory());
        DetectionPipeline.sinkToKafka(outputs, cfg);
        JobClient job = env.executeAsync(prefix + "-broker-restart-it");
        try {
            long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
            while (FailOnceAfterCheckpoint.CHECKPOINTS_COMPLETED.get() == 0) {
                assertThat(System.nanoTime()).as("a first checkpoint within 90 s").isLessThan(deadline);
                Thread.sleep(50);
            }
            cameras.start(KAFKA.broker());
            while (cameras.truth().size() < FRAMES / 4) {
                assertThat(System.nanoTime()).as("a quarter of the frames sent within 90 s").isLessThan(deadline);
                Thread.sleep(20);
            }
            int sentBefore = cameras.truth().size();
            KAFKA.broker().restart(downFor);
            int sentAfter = cameras.truth().size();
            assertThat(sentAfter).as("frames still to send once it was back").isLessThan(FRAMES);
            assertThat(cameras.await().failed()).as("frames the cameras could not deliver").isZero();

            List<ScoreRecord> scores = PipelineTestSupport.readCommitted(KAFKA.broker(), topics.scores(),
                            r -> distinctFrames(r) >= FRAMES, Duration.ofSeconds(180), Duration.ofSeconds(3))
                    .stream().map(r -> AlertJson.scoreFromBytes(r.value())).toList();
            assertThat(scores.stream().map(s -> s.getCameraId() + "/" + s.getFrameId()))
                    .as("one score per frame, none twice").doesNotHaveDuplicates().hasSize(FRAMES)
                    .containsExactlyInAnyOrderElementsOf(cameras.truth().frames().stream()
                            .map(f -> f.cameraId() + "/" + f.frameId()).toList());

            List<String> expectedAlertIds = scores.stream().filter(ScoreRecord::isAlert)
                    .map(s -> AlertIds.alertId(s.getCameraId(), s.getFrameId(), s.getModelName(),
                            s.getModelVersion()))
                    .toList();
            assertThat(expectedAlertIds).as("some frames alert").isNotEmpty();
            List<DefectAlert> alerts = PipelineTestSupport.readCommitted(KAFKA.broker(), topics.alerts(),
                            r -> r.size() >= expectedAlertIds.size(), Duration.ofSeconds(60), Duration.ofSeconds(3))
                    .stream().map(r -> AlertJson.fromBytes(r.value())).toList();
            assertThat(alerts).extracting(DefectAlert::getAlertId).as("alerts seen by a read_committed consumer")
                    .containsExactlyInAnyOrderElementsOf(expectedAlertIds);
            var info = cluster.getExecutionGraph(job.getJobID()).get().getFailureInfo();
            String failure = info == null ? "none" : info.getExceptionAsString().lines().findFirst().orElse("");
            System.out.printf("Broker restart (%s, down %d s): %d frames sent before it went down, %d once it was "
                    + "back; %d scored once each, %d alerts once each; the job's last failure: %s%n", prefix,
                    downFor.toSeconds(), sentBefore, sentAfter, scores.size(), alerts.size(), failure);
            return failure;
        } finally {
            job.cancel().get();
        }
    }

    private static long distinctFrames(List<ConsumerRecord<byte[], byte[]>> records) {
        return records.stream().map(r -> AlertJson.scoreFromBytes(r.value()))
                .map(s -> s.getCameraId() + "/" + s.getFrameId()).distinct().count();
    }
}
