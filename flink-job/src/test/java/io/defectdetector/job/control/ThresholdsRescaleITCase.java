package io.defectdetector.job.control;

import static org.assertj.core.api.Assertions.assertThat;

import io.defectdetector.job.alerts.ScoreRecord;
import io.defectdetector.job.testing.PipelineTestSupport;
import io.defectdetector.job.testing.TestModels;
import io.defectdetector.job.thresholds.ThresholdOverride;
import io.defectdetector.job.thresholds.ThresholdsSavepoint;
import io.defectdetector.kafka.LocalKafkaExtension;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.core.execution.SavepointFormatType;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Thresholds set live follow the job through stop-with-savepoint and restores at other parallelisms, down to one
 * subtask and up to more than before, and an offline edit of such a savepoint restores at yet another (with the
 * model given as a URI): every camera is decided with its own threshold at every step, and no frame is decided
 * twice.
 */
class ThresholdsRescaleITCase {
    @RegisterExtension
    static final LocalKafkaExtension KAFKA = new LocalKafkaExtension();
    @RegisterExtension
    static final MiniClusterExtension FLINK = new MiniClusterExtension(PipelineTestSupport::twoTaskManagers);
    private static final Duration TIMEOUT = Duration.ofSeconds(90);
    private static final int CAMERAS = 10;

    private static double thresholdOf(int camera) {
        return 1.25 + 0.25 * camera; // none equals the card's 1.0, so a lost override shows
    }

    @Test
    void liveThresholdsSurviveEveryRescaleAndAnOfflineEdit(@TempDir Path temp) throws Exception {
        String prefix = "rescale";
        ControlTopics t = new ControlTopics(prefix, PipelineTestSupport.Topics.withPrefix(prefix),
                prefix + "-control", prefix + "-audit");
        t.main().create(KAFKA.broker(), 4); // 4 frame partitions: at parallelism 4 every subtask decides frames
        t.createControlTopics(KAFKA.broker());
        try (KafkaProducer<byte[], byte[]> producer = PipelineTestSupport.producer(KAFKA.broker())) {
            JobClient job = CompatibilityJob.start(KAFKA.broker(), t, null, Map.of("parallelism", "2"));
            String last = null;
            for (int i = 0; i < CAMERAS; i++) {
                last = t.sendControl(producer, "{\"action\":\"set\",\"target\":\"camera:cam-" + i
                        + "\",\"by\":\"alice\",\"image_score\":" + thresholdOf(i) + "}");
            }
            t.awaitAudit(KAFKA.broker(), last, TIMEOUT);
            int decided = sendAndCheck(t, producer, "p2", 0);
            String savepoint = stop(job, temp, "p2");

            for (int parallelism : new int[] {1, 4, 3}) {
                job = CompatibilityJob.start(KAFKA.broker(), t, savepoint,
                        Map.of("parallelism", Integer.toString(parallelism)));
                decided = sendAndCheck(t, producer, "p" + parallelism, decided);
                savepoint = stop(job, temp, "p" + parallelism);
            }

            Map<String, ThresholdOverride> overrides = new TreeMap<>(ThresholdsSavepoint.read(savepoint));
            assertThat(overrides).hasSize(CAMERAS);
            ThresholdOverride nine = overrides.get("camera:cam-9").copy();
            nine.setImageScore(9.5);
            overrides.put("camera:cam-9", nine);
            String edited = temp.resolve("edited").toUri().toString();
            ThresholdsSavepoint.write(savepoint, edited, overrides);

            // This last run reads its model through a URI (the same tiny-graph, a file:// one here; s3:// on a
            // cluster), as every TaskManager then does itself.
            job = CompatibilityJob.start(KAFKA.broker(), t, edited, Map.of("parallelism", "4",
                    "model-path", TestModels.tinyGraph().getParent().toUri().toString()));
            try {
                producer.send(t.frame("cam-9", "line-1", "edited-cam-9", ControlTopics.BRIGHT)).get();
                producer.send(t.frame("cam-3", "line-1", "edited-cam-3", ControlTopics.BRIGHT)).get();
                int want = decided + 2;
                List<ScoreRecord> scores = t.awaitScores(KAFKA.broker(), r -> r.size() >= want, TIMEOUT);
                Map<String, ScoreRecord> byFrame = byFrame(scores);
                assertThat(byFrame).as("no frame decided twice").hasSize(scores.size());
                assertThat(byFrame.get("edited-cam-9").getThreshold()).isEqualTo(9.5f);
                assertThat(byFrame.get("edited-cam-3").getThreshold()).isEqualTo((float) thresholdOf(3));
            } finally {
                job.cancel().get();
            }
        }
    }

    /** One bright frame per camera; each must be decided once, with that camera's own threshold. */
    private static int sendAndCheck(ControlTopics t, KafkaProducer<byte[], byte[]> producer, String tag, int before)
            throws Exception {
        for (int i = 0; i < CAMERAS; i++) {
            producer.send(t.frame("cam-" + i, "line-1", tag + "-cam-" + i, ControlTopics.BRIGHT)).get();
        }
        int want = before + CAMERAS;
        List<ScoreRecord> scores = t.awaitScores(KAFKA.broker(), r -> r.size() >= want, TIMEOUT);
        Map<String, ScoreRecord> byFrame = byFrame(scores);
        assertThat(byFrame).as("no frame decided twice").hasSize(scores.size());
        for (int i = 0; i < CAMERAS; i++) {
            assertThat(byFrame.get(tag + "-cam-" + i)).as(tag + " cam-" + i).isNotNull()
                    .extracting(ScoreRecord::getThreshold).isEqualTo((float) thresholdOf(i));
        }
        return want;
    }

    private static Map<String, ScoreRecord> byFrame(List<ScoreRecord> scores) {
        return scores.stream().collect(Collectors.toMap(ScoreRecord::getFrameId, Function.identity(), (a, b) -> a));
    }

    private static String stop(JobClient job, Path temp, String name) throws Exception {
        return job.stopWithSavepoint(false, temp.resolve(name).toUri().toString(), SavepointFormatType.CANONICAL)
                .get();
    }
}
