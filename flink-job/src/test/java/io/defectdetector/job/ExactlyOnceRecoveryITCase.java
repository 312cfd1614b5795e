package io.defectdetector.job;

import static org.assertj.core.api.Assertions.assertThat;

import io.defectdetector.factory.camera.FrameTruth;
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
import io.defectdetector.job.testing.PipelineTestSupport;
import io.defectdetector.job.testing.ModelUnderTest;
import io.defectdetector.job.testing.PipelineTestSupport.Topics;
import io.defectdetector.job.testing.SimulatedCameras;
import io.defectdetector.kafka.LocalKafkaExtension;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.runtime.minicluster.MiniCluster;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.InjectMiniCluster;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.kafka.clients.consumer.ConsumerRecord;
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
        FailOnceAfterCheckpoint.reset();
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

        List<String> expectedAlertIds = run.scores.stream().filter(ScoreRecord::isAlert)
                .map(s -> AlertIds.alertId(s.getCameraId(), s.getFrameId(), s.getModelName(), s.getModelVersion()))
                .toList();
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
        Topics topics = Topics.withPrefix(prefix);
        topics.create(KAFKA.broker(), 4);
        JobConfig cfg = PipelineTestSupport.config(KAFKA.broker(), prefix, topics,
                PipelineTestSupport.defaultModel(), Map.of("delivery-guarantee", delivery));
        // Paced, so the failure strikes mid-stream with frames still arriving.
        SimulatedCameras cameras = new SimulatedCameras(SimulatorConfig.defaults(topics.frames(),
                        ModelUnderTest.product(PipelineTestSupport.defaultModel()))
                .withCameras(CAMERAS).withRate(FRAMES_PER_SECOND).withLimits(FRAMES, null).withDefectRate(0.3)
                .withPools(6, 6).withSeed(7));

        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        DetectionPipeline.configureEnvironment(env, cfg);
        DataStream<RawFrameRecord> source = DetectionPipeline.kafkaFrames(env, cfg)
                .map(new FailOnceAfterCheckpoint(15)).uid("test-fail-once").name("test-fail-once");
        DetectionOutputs outputs = DetectionPipeline.build(source, cfg, ModelBundle.locate(cfg.modelPath()),
                new CountingEngineFactory());
        DetectionPipeline.sinkToKafka(outputs, cfg);
        long adminThreadsBefore = unnamedAdminClientThreads();
        JobClient job = env.executeAsync(prefix + "-recovery-it");
        try {
            // Frames only once the job runs and has a checkpoint, so the failure always strikes mid-stream.
            long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
            while (FailOnceAfterCheckpoint.CHECKPOINTS_COMPLETED.get() == 0) {
                assertThat(System.nanoTime()).as("a first checkpoint within 90 s").isLessThan(deadline);
                Thread.sleep(50);
            }
            cameras.start(KAFKA.broker()).await();
            List<ScoreRecord> scores = PipelineTestSupport.readCommitted(KAFKA.broker(), topics.scores(),
                            r -> distinctFrames(r) >= FRAMES, Duration.ofSeconds(120), Duration.ofSeconds(3))
                    .stream().map(r -> AlertJson.scoreFromBytes(r.value())).toList();
            long expectedAlerts = scores.stream().filter(ScoreRecord::isAlert)
                    .map(s -> s.getCameraId() + "/" + s.getFrameId()).distinct().count();
            List<DefectAlert> alerts = PipelineTestSupport.readCommitted(KAFKA.broker(), topics.alerts(),
                            r -> r.size() >= expectedAlerts, Duration.ofSeconds(60), Duration.ofSeconds(3))
                    .stream().map(r -> AlertJson.fromBytes(r.value())).toList();
            var failure = cluster.getExecutionGraph(job.getJobID()).get().getFailureInfo();
            long adminThreadsLeft = unnamedAdminClientThreads() - adminThreadsBefore;
            return new Run(cameras.truth().frames(), scores, alerts,
                    failure == null ? "" : failure.getExceptionAsString(), adminThreadsLeft);
        } finally {
            job.cancel().get();
        }
    }

    /** Threads of Kafka admin clients without a client.id (the job's sources and checks name theirs). */
    private static long unnamedAdminClientThreads() {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.getName().startsWith("kafka-admin-client-thread | adminclient-")).count();
    }

    private static long distinctFrames(List<ConsumerRecord<byte[], byte[]>> records) {
        return records.stream().map(r -> AlertJson.scoreFromBytes(r.value()))
                .map(s -> s.getCameraId() + "/" + s.getFrameId()).distinct().count();
    }
}
