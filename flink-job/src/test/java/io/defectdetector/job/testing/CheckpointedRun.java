package io.defectdetector.job.testing;

import static org.assertj.core.api.Assertions.assertThat;

import io.defectdetector.factory.camera.SimulatorConfig;
import io.defectdetector.job.DetectionOutputs;
import io.defectdetector.job.DetectionPipeline;
import io.defectdetector.job.alerts.AlertIds;
import io.defectdetector.job.alerts.AlertJson;
import io.defectdetector.job.alerts.DefectAlert;
import io.defectdetector.job.alerts.ScoreRecord;
import io.defectdetector.job.config.JobConfig;
import io.defectdetector.job.frames.RawFrameRecord;
import io.defectdetector.job.model.ModelBundle;
import io.defectdetector.job.testing.PipelineTestSupport.Topics;
import io.defectdetector.kafka.LocalKafkaBroker;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.runtime.minicluster.MiniCluster;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.kafka.clients.consumer.ConsumerRecord;

/**
 * The job on the default model and Kafka, with a {@link FailOnceAfterCheckpoint} after the source, started on the
 * MiniCluster and past its first completed checkpoint; paced simulated cameras to send its frames; and what a
 * read_committed consumer then sees. For the failure cases, which check that nothing is lost or repeated.
 */
public final class CheckpointedRun implements AutoCloseable {
    private final LocalKafkaBroker broker;
    private final Topics topics;
    private final JobClient job;

    private CheckpointedRun(LocalKafkaBroker broker, Topics topics, JobClient job) {
        this.broker = broker;
        this.topics = topics;
        this.job = job;
    }

    /**
     * @param failAfterRecords records after a completed checkpoint at which to fail once, or
     *                         {@link Integer#MAX_VALUE} never to fail (the map then only reports checkpoints)
     */
    public static CheckpointedRun start(LocalKafkaBroker broker, String prefix, Map<String, String> options,
            int failAfterRecords) throws Exception {
        FailOnceAfterCheckpoint.reset();
        if (failAfterRecords == Integer.MAX_VALUE) {
            FailOnceAfterCheckpoint.FAILED.set(true);
        }
        Topics topics = Topics.withPrefix(prefix);
        topics.create(broker, 4);
        JobConfig cfg = PipelineTestSupport.config(broker, prefix, topics, PipelineTestSupport.defaultModel(),
                options);
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        DetectionPipeline.configureEnvironment(env, cfg);
        DataStream<RawFrameRecord> source = DetectionPipeline.kafkaFrames(env, cfg)
                .map(new FailOnceAfterCheckpoint(failAfterRecords)).uid("test-fail-once").name("test-fail-once");
        DetectionOutputs outputs = DetectionPipeline.build(source, cfg, ModelBundle.locate(cfg.modelPath()),
                new CountingEngineFactory());
        DetectionPipeline.sinkToKafka(outputs, cfg);
        JobClient job = env.executeAsync(prefix + "-it");
        CheckpointedRun run = new CheckpointedRun(broker, topics, job);
        try {
            // Frames only once the job runs and has a checkpoint, so what a test does to it strikes mid-stream.
            long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
            while (FailOnceAfterCheckpoint.CHECKPOINTS_COMPLETED.get() == 0) {
                assertThat(System.nanoTime()).as("a first checkpoint within 90 s").isLessThan(deadline);
                Thread.sleep(50);
            }
            return run;
        } catch (Exception | AssertionError e) {
            run.close();
            throw e;
        }
    }

    /**
     * Paced cameras on the default model's product, 30 % defective, for the frames topic of the run with this
     * prefix. Made before the run starts: rendering their images takes a while, and the frames should follow the
     * first checkpoint at once.
     */
    public static SimulatedCameras cameras(String prefix, int cameras, int framesPerSecond, int frames, long seed) {
        return new SimulatedCameras(SimulatorConfig.defaults(Topics.withPrefix(prefix).frames(),
                        ModelUnderTest.product(PipelineTestSupport.defaultModel()))
                .withCameras(cameras).withRate(framesPerSecond).withLimits(frames, null).withDefectRate(0.3)
                .withPools(6, 6).withSeed(seed));
    }

    public JobClient job() {
        return job;
    }

    /** Waits until the cameras have sent {@code frames} frames. */
    public static void awaitSent(SimulatedCameras cameras, int frames, Duration within) throws InterruptedException {
        long deadline = System.nanoTime() + within.toNanos();
        while (cameras.truth().size() < frames) {
            assertThat(System.nanoTime()).as("%d frames sent within %s", frames, within).isLessThan(deadline);
            Thread.sleep(20);
        }
    }

    /** What a read_committed consumer saw: one score per frame sent and one alert per alerting frame. */
    public record Committed(List<ScoreRecord> scores, List<DefectAlert> alerts) {
    }

    /**
     * Reads the committed scores and alerts once every frame the cameras sent has a score, and checks that none
     * is missing or repeated: one score per frame, one alert per frame whose score alerted.
     */
    public Committed assertEveryFrameScoredOnceAndEveryAlertSeenOnce(SimulatedCameras cameras, int frames) {
        List<ScoreRecord> scores = committedScores(frames, Duration.ofSeconds(180));
        assertThat(scores.stream().map(s -> s.getCameraId() + "/" + s.getFrameId()))
                .as("one score per frame, none twice").doesNotHaveDuplicates().hasSize(frames)
                .containsExactlyInAnyOrderElementsOf(cameras.truth().frames().stream()
                        .map(f -> f.cameraId() + "/" + f.frameId()).toList());
        List<String> expectedAlertIds = expectedAlertIds(scores);
        assertThat(expectedAlertIds).as("some frames alert").isNotEmpty();
        List<DefectAlert> alerts = committedAlerts(expectedAlertIds.size(), Duration.ofSeconds(60));
        assertThat(alerts).extracting(DefectAlert::getAlertId).as("alerts seen by a read_committed consumer")
                .containsExactlyInAnyOrderElementsOf(expectedAlertIds);
        return new Committed(scores, alerts);
    }

    /** Score records committed to the scores topic, once {@code frames} distinct frames have one. */
    public List<ScoreRecord> committedScores(int frames, Duration timeout) {
        return PipelineTestSupport.readCommitted(broker, topics.scores(), r -> distinctFrames(r) >= frames, timeout,
                Duration.ofSeconds(3)).stream().map(r -> AlertJson.scoreFromBytes(r.value())).toList();
    }

    /** Alerts committed to the alerts topic, once there are {@code expected} of them. */
    public List<DefectAlert> committedAlerts(long expected, Duration timeout) {
        return PipelineTestSupport.readCommitted(broker, topics.alerts(), r -> r.size() >= expected, timeout,
                Duration.ofSeconds(3)).stream().map(r -> AlertJson.fromBytes(r.value())).toList();
    }

    /** The alert ids the job owes for these score records: one per distinct frame whose score alerted. */
    public static List<String> expectedAlertIds(List<ScoreRecord> scores) {
        return scores.stream().filter(ScoreRecord::isAlert)
                .map(s -> AlertIds.alertId(s.getCameraId(), s.getFrameId(), s.getModelName(), s.getModelVersion()))
                .distinct().toList();
    }

    /** The job's last failure with its stack trace, or "none". */
    public String lastFailure(MiniCluster cluster) throws Exception {
        var info = cluster.getExecutionGraph(job.getJobID()).get().getFailureInfo();
        return info == null ? "none" : info.getExceptionAsString();
    }

    private static long distinctFrames(List<ConsumerRecord<byte[], byte[]>> records) {
        return records.stream().map(r -> AlertJson.scoreFromBytes(r.value()))
                .map(s -> s.getCameraId() + "/" + s.getFrameId()).distinct().count();
    }

    /** Cancels the job. */
    @Override
    public void close() throws Exception {
        job.cancel().get();
    }
}
