package io.defectdetector.job.control;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.defectdetector.job.alerts.ScoreRecord;
import io.defectdetector.job.config.JobConfig;
import io.defectdetector.job.model.ModelBundle;
import io.defectdetector.job.testing.PipelineTestSupport;
import io.defectdetector.job.testing.TestModels;
import io.defectdetector.job.thresholds.ThresholdsSavepointCli;
import io.defectdetector.kafka.LocalKafkaBroker;
import io.defectdetector.kafka.LocalKafkaExtension;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.StateRecoveryOptions;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.core.execution.SavepointFormatType;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * The offline way of tuning, end to end, as docs/operations.md describes it: stop the job with a savepoint,
 * list the thresholds in it, write a new savepoint with a changed value, restart from it; the restored job uses
 * the new value.
 */
class ThresholdSavepointITCase {
    @RegisterExtension
    static final LocalKafkaExtension KAFKA = new LocalKafkaExtension();
    @RegisterExtension
    static final MiniClusterExtension FLINK = new MiniClusterExtension(PipelineTestSupport::twoTaskManagers);

    private static final Duration TIMEOUT = Duration.ofSeconds(60);

    @TempDir
    Path temp;

    private static JobClient start(JobConfig cfg, String savepoint) throws Exception {
        Configuration conf = new Configuration();
        if (savepoint != null) {
            conf.set(StateRecoveryOptions.SAVEPOINT_PATH, savepoint);
        }
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(conf);
        io.defectdetector.job.DetectionPipeline.buildKafkaJob(env, cfg, ModelBundle.locate(cfg.modelPath()));
        return env.executeAsync("savepoint-it");
    }

    /** Runs the CLI in this JVM; returns its standard output, failing on a non-zero exit code. */
    private static String cli(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cli = ThresholdsSavepointCli.commandLine();
        cli.setOut(new PrintWriter(out, true));
        cli.setErr(new PrintWriter(err, true));
        int code = cli.execute(args);
        assertThat(code).as("exit code; stderr: " + err).isZero();
        return out.toString();
    }

    @Test
    void valueEditedInTheSavepointIsInEffectAfterRestore() throws Exception {
        ControlTopics t = ControlTopics.create(KAFKA.broker(), "sp");
        JobConfig cfg = t.config(KAFKA.broker(), TestModels.tinyGraph(), Map.of());
        String model = TestModels.tinyGraph().toString();

        // 1. A running job, tuned live: cam-1's image threshold 5.0.
        JobClient job = start(cfg, null);
        String savepoint;
        try (KafkaProducer<byte[], byte[]> producer = PipelineTestSupport.producer(KAFKA.broker())) {
            t.awaitAudit(KAFKA.broker(), t.sendControl(producer, """
                    {"action":"set","target":"camera:cam-1","by":"alice","image_score":5.0}"""), TIMEOUT);
            producer.send(t.frame("cam-1", "line-1", "first", ControlTopics.BRIGHT)).get();
            assertThat(t.awaitScores(KAFKA.broker(), s -> !s.isEmpty(), TIMEOUT).get(0).getThreshold())
                    .isEqualTo(5.0f);

            // 2. Stop with a savepoint.
            savepoint = job.stopWithSavepoint(false, temp.resolve("savepoints").toUri().toString(),
                    SavepointFormatType.CANONICAL).get();
        }

        // 3. Inspect it.
        String listed = cli("list", "--savepoint", savepoint, "--model-path", model);
        assertThat(listed).contains("1 threshold override(s)").contains("camera:cam-1").contains("image_score=5.0")
                .contains("by alice");

        // 4. Edit: a new savepoint with cam-1 at 7.0 and a debounce for line-1.
        String edited = temp.resolve("edited").toUri().toString();
        String setOutput = cli("set", "--savepoint", savepoint, "--output", edited, "--model-path", model,
                "--target", "camera:cam-1", "--image-score", "7.0", "--by", "bob");
        assertThat(setOutput).contains("old: camera:cam-1").contains("image_score=5.0")
                .contains("new: camera:cam-1").contains("image_score=7.0");
        String edited2 = temp.resolve("edited2").toUri().toString();
        cli("set", "--savepoint", edited, "--output", edited2, "--model-path", model, "--target", "line:line-1",
                "--debounce", "2/3", "--by", "bob");
        assertThat(cli("list", "--savepoint", edited2, "--json")).contains("\"camera:cam-1\"")
                .contains("\"image_score\":7.0").contains("\"line:line-1\"").contains("\"k\":2");

        // 5. Restart from the edited savepoint: the new values are in effect, the old offsets too.
        JobClient restored = start(cfg, edited2);
        try (KafkaProducer<byte[], byte[]> producer = PipelineTestSupport.producer(KAFKA.broker())) {
            JsonNode shown = t.awaitAudit(KAFKA.broker(), t.sendControl(producer,
                    "{\"action\":\"show\",\"target\":\"camera:cam-1\",\"line\":\"line-1\",\"by\":\"carol\"}"),
                    TIMEOUT);
            assertThat(shown.get("stored").get("image_score").asDouble()).isEqualTo(7.0);
            assertThat(shown.get("stored").get("updated_by").asText()).isEqualTo("bob");
            assertThat(shown.get("effective").get("debounce").get("n").asInt()).isEqualTo(3);

            producer.send(t.frame("cam-1", "line-1", "second", ControlTopics.BRIGHT)).get();
            List<ScoreRecord> scores = t.awaitScores(KAFKA.broker(), s -> s.size() >= 2, TIMEOUT);
            assertThat(scores).extracting(ScoreRecord::getFrameId).containsExactly("first", "second");
            assertThat(scores.get(1).getThreshold()).isEqualTo(7.0f);
        } finally {
            restored.cancel().get();
        }
    }

    /**
     * The demo's way (docs/operations.md, "Locally"): a savepoint taken against one broker, restored against a new
     * one. The exactly-once sinks' transactions saved in it are unknown there (as they are on the same brokers once
     * older than transactional.id.expiration.ms): the job must go on, not fail over on them forever.
     */
    @Test
    void anExactlyOnceSavepointRestoresAgainstOtherBrokers() throws Exception {
        String savepoint;
        try (LocalKafkaBroker first = LocalKafkaBroker.start()) {
            ControlTopics t = ControlTopics.create(first, "moved");
            // No checkpoint before the savepoint: its transactions hold the command's audit and the scores.
            JobConfig cfg = t.config(first, TestModels.tinyGraph(), Map.of("delivery-guarantee", "EXACTLY_ONCE",
                    "checkpoint-interval", "5 min"));
            JobClient job = start(cfg, null);
            try (KafkaProducer<byte[], byte[]> producer = PipelineTestSupport.producer(first)) {
                t.sendControl(producer, """
                        {"action":"set","target":"camera:cam-1","by":"alice","image_score":5.0}""");
                PipelineTestSupport.read(first, t.audit(), "read_uncommitted", r -> !r.isEmpty(), TIMEOUT,
                        Duration.ZERO);
                for (String id : List.of("a", "b", "c")) { // the saved offset of cam-1's partition passes 1
                    producer.send(t.frame("cam-1", "line-1", id, ControlTopics.BRIGHT)).get();
                }
                PipelineTestSupport.read(first, t.main().scores(), "read_uncommitted", r -> r.size() >= 3, TIMEOUT,
                        Duration.ZERO);
            }
            savepoint = job.stopWithSavepoint(false, temp.resolve("moved").toUri().toString(),
                    SavepointFormatType.CANONICAL).get();
        }
        try (LocalKafkaBroker second = LocalKafkaBroker.start()) {
            ControlTopics t = ControlTopics.create(second, "moved");
            JobClient restored = start(t.config(second, TestModels.tinyGraph(),
                    Map.of("delivery-guarantee", "EXACTLY_ONCE")), savepoint);
            try (KafkaProducer<byte[], byte[]> producer = PipelineTestSupport.producer(second)) {
                producer.send(t.frame("cam-1", "line-1", "d", ControlTopics.BRIGHT)).get();
                List<ScoreRecord> scores = t.awaitScores(second, s -> !s.isEmpty(), TIMEOUT);
                assertThat(scores).extracting(ScoreRecord::getFrameId).containsExactly("d");
                assertThat(scores.get(0).getThreshold()).as("the override came along").isEqualTo(5.0f);
            } finally {
                restored.cancel().get();
            }
        }
    }

    @Test
    void refusesAnInvalidEditWithoutWritingASavepoint() {
        StringWriter err = new StringWriter();
        CommandLine cli = ThresholdsSavepointCli.commandLine();
        cli.setErr(new PrintWriter(err, true));
        int code = cli.execute("set", "--savepoint", temp.resolve("none").toString(), "--output",
                temp.resolve("out").toString(), "--model-path", TestModels.tinyGraph().toString(), "--target",
                "camera:cam-1", "--image-score", "-1", "--by", "bob");
        assertThat(code).isEqualTo(ThresholdsSavepointCli.REFUSED);
        assertThat(err.toString()).contains("CONTROL_BAD_VALUE").contains("image_score");
        assertThat(temp.resolve("out")).doesNotExist();

        StringWriter nanErr = new StringWriter();
        CommandLine nan = ThresholdsSavepointCli.commandLine();
        nan.setErr(new PrintWriter(nanErr, true));
        assertThat(nan.execute("set", "--savepoint", temp.resolve("none").toString(), "--output",
                temp.resolve("out").toString(), "--model-path", TestModels.tinyGraph().toString(), "--target",
                "camera:cam-1", "--pixel", "NaN", "--by", "bob")).isEqualTo(ThresholdsSavepointCli.REFUSED);
        assertThat(nanErr.toString()).contains("--pixel must be a finite number > 0, got NaN");
        assertThat(temp.resolve("out")).doesNotExist();
    }
}
