package io.defectdetector.job;

import static org.assertj.core.api.Assertions.assertThat;

import io.defectdetector.job.alerts.ScoreRecord;
import io.defectdetector.job.config.JobConfig;
import io.defectdetector.job.frames.RawFrameRecord;
import io.defectdetector.job.testing.MalformedFrames;
import io.defectdetector.job.testing.PipelineTestSupport;
import io.defectdetector.job.kafka.RawFrameDeserializer;
import io.defectdetector.kafka.LocalKafkaExtension;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.functions.MapFunction;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.CoreOptions;
import org.apache.flink.connector.kafka.source.KafkaSource;
import org.apache.flink.connector.kafka.source.enumerator.initializer.OffsetsInitializer;
import org.apache.flink.runtime.minicluster.MiniCluster;
import org.apache.flink.runtime.minicluster.MiniClusterConfiguration;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.util.TestStreamEnvironment;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * (d) ONNX Runtime's native library on a cluster. The job is submitted as the real job jar, so its classes are
 * loaded child-first by a user-code classloader per submission, as on a Flink cluster. With
 * {@code classloader.parent-first-patterns.additional: ai.onnxruntime.} a resubmission and a failover keep
 * inferring with the one native library the JVM already has; without it every submission maps another copy.
 * Copies are counted in /proc/self/maps (Linux), which is where the JVM's loaded libraries show.
 *
 * <p>Unlike a real cluster's lib/, this JVM's classpath (the parent) also holds the Kafka connector, which Flink
 * always loads parent-first ({@code org.apache.flink.}); kafka-clients is made parent-first too, so connector
 * and job see the same Kafka classes. Everything of the job itself still comes from the jar.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class OrtClassLoadingITCase {
    @RegisterExtension
    static final LocalKafkaExtension KAFKA = new LocalKafkaExtension();

    private static final Path JOB_JAR = Path.of("target", "defect-detector-job.jar");
    private static final String TOPIC = "ort-frames";
    private static final int FRAMES = 12;
    private static final AtomicInteger SUBMISSIONS = new AtomicInteger();
    static final AtomicBoolean FAIL_ONCE = new AtomicBoolean();

    @BeforeAll
    static void produceFrames() throws Exception {
        KAFKA.broker().createTopic(TOPIC, 2);
        try (KafkaProducer<byte[], byte[]> producer = PipelineTestSupport.producer(KAFKA.broker())) {
            for (int i = 0; i < FRAMES; i++) {
                producer.send(MalformedFrames.good(TOPIC, "cam-" + (i % 2), "f-" + i, 128, 128)).get();
            }
        }
    }

    @Test
    void withParentFirstOrtResubmissionAndFailoverShareOneNativeLibrary() throws Exception {
        try (MiniCluster cluster = startCluster(true)) {
            assertThat(scoreFrames(cluster, false)).hasSize(FRAMES);
            long afterFirst = nativeCopies();

            FAIL_ONCE.set(true);
            assertThat(scoreFrames(cluster, true)).as("scores after a failover").hasSizeGreaterThanOrEqualTo(FRAMES);
            assertThat(FAIL_ONCE).as("the failure was injected").isFalse();
            assertThat(scoreFrames(cluster, false)).hasSize(FRAMES);

            assertThat(afterFirst).isPositive();
            assertThat(nativeCopies()).as("native ONNX Runtime copies mapped").isEqualTo(afterFirst);
        }
    }

    @Test
    void withoutTheSettingEverySubmissionLoadsAnotherCopy() throws Exception {
        try (MiniCluster cluster = startCluster(false)) {
            assertThat(scoreFrames(cluster, false)).hasSize(FRAMES);
            long afterFirst = nativeCopies();
            assertThat(scoreFrames(cluster, false)).hasSize(FRAMES);

            assertThat(nativeCopies()).as("native ONNX Runtime copies mapped").isEqualTo(afterFirst + 1);
        }
    }

    private static MiniCluster startCluster(boolean ortParentFirst) throws Exception {
        assertThat(JOB_JAR).as("the job jar; build it with mvn -pl flink-job package (mvn verify does)")
                .isRegularFile();
        Configuration conf = LocalFlink.loopbackOnly(new Configuration());
        conf.set(CoreOptions.ALWAYS_PARENT_FIRST_LOADER_PATTERNS_ADDITIONAL, ortParentFirst
                ? List.of("org.apache.kafka.", "ai.onnxruntime.") : List.of("org.apache.kafka."));
        MiniCluster cluster = new MiniCluster(new MiniClusterConfiguration.Builder().setConfiguration(conf)
                .setNumTaskManagers(2).setNumSlotsPerTaskManager(2).build());
        cluster.start();
        return cluster;
    }

    /** One job submission with the job jar as user code: frames in, scores collected. */
    private static List<ScoreRecord> scoreFrames(MiniCluster cluster, boolean failOnce) throws Exception {
        TestStreamEnvironment env = new TestStreamEnvironment(cluster, new Configuration(), 2,
                List.of(new org.apache.flink.core.fs.Path(JOB_JAR.toAbsolutePath().toUri())), List.of());
        Map<String, String> options = Map.of("kafka-bootstrap-servers", KAFKA.bootstrapServers(),
                "scores-enabled", "true", "model-path", PipelineTestSupport.defaultModel().toString(),
                "restart-initial-delay", "100 ms");
        JobConfig cfg = JobConfig.from(Configuration.fromMap(options));
        DetectionPipeline.configureEnvironment(env, cfg);
        KafkaSource<RawFrameRecord> source = KafkaSource.<RawFrameRecord>builder()
                .setBootstrapServers(KAFKA.bootstrapServers())
                .setGroupId("ort-" + SUBMISSIONS.incrementAndGet())
                .setTopics(TOPIC)
                .setStartingOffsets(OffsetsInitializer.earliest())
                .setBounded(OffsetsInitializer.latest())
                .setDeserializer(new RawFrameDeserializer())
                .build();
        DataStream<RawFrameRecord> frames = env.fromSource(source, WatermarkStrategy.noWatermarks(), "frames");
        if (failOnce) {
            frames = frames.map(new FailOnce<RawFrameRecord>()).returns(frames.getType()).name("test-fail-once");
        }
        return DetectionPipeline.build(frames, cfg).scores().executeAndCollect(FRAMES * 2);
    }

    /** Distinct mapped files named libonnxruntime.so (each extracted copy has its own path). */
    private static long nativeCopies() throws IOException {
        return Files.readAllLines(Path.of("/proc/self/maps")).stream()
                .filter(line -> line.contains("/libonnxruntime.so"))
                .map(line -> line.substring(line.indexOf('/')))
                .distinct().count();
    }

    /**
     * Throws on its first record while {@link #FAIL_ONCE} is set. Generic on purpose: this test class is loaded
     * by the parent, the records by the jar's classloader, so it must not cast them to its own RawFrameRecord.
     */
    static final class FailOnce<T> implements MapFunction<T, T> {
        @Override
        public T map(T record) {
            if (FAIL_ONCE.compareAndSet(true, false)) {
                throw new IllegalStateException("injected failure (test)");
            }
            return record;
        }
    }
}
