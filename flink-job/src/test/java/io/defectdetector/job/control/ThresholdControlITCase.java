package io.defectdetector.job.control;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.defectdetector.frame.FrameHeaders;
import io.defectdetector.job.alerts.AlertJson;
import io.defectdetector.job.alerts.DefectAlert;
import io.defectdetector.job.alerts.ScoreRecord;
import io.defectdetector.job.config.JobConfig;
import io.defectdetector.job.model.ModelBundle;
import io.defectdetector.job.testing.PipelineTestSupport;
import io.defectdetector.job.testing.TestModels;
import io.defectdetector.job.thresholds.ThresholdsSavepointCli;
import io.defectdetector.kafka.LocalKafkaExtension;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.common.header.Header;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import picocli.CommandLine;

/**
 * The live way of tuning, end to end: a real broker, the job on a MiniCluster (2 TaskManagers, parallelism 2),
 * commands on the control topic.
 */
class ThresholdControlITCase {
    @RegisterExtension
    static final LocalKafkaExtension KAFKA = new LocalKafkaExtension();
    @RegisterExtension
    static final MiniClusterExtension FLINK = new MiniClusterExtension(PipelineTestSupport::twoTaskManagers);

    private static final Duration TIMEOUT = Duration.ofSeconds(60);

    private static JobClient start(JobConfig cfg) throws Exception {
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        io.defectdetector.job.DetectionPipeline.buildKafkaJob(env, cfg, ModelBundle.locate(cfg.modelPath()));
        return env.executeAsync("control-it");
    }

    @Test
    void controlTopicChangeTakesEffectOnTheRunningJob() throws Exception {
        ControlTopics t = ControlTopics.create(KAFKA.broker(), "live");
        JobConfig cfg = t.config(KAFKA.broker(), TestModels.tinyGraph(), Map.of());
        JobClient job = start(cfg);
        try (KafkaProducer<byte[], byte[]> producer = PipelineTestSupport.producer(KAFKA.broker())) {
            for (int i = 0; i < 5; i++) {
                producer.send(t.frame("cam-1", "line-1", "before-" + i, ControlTopics.BRIGHT));
                producer.send(t.frame("cam-2", "line-1", "before-" + i, ControlTopics.BRIGHT));
            }
            producer.flush();
            t.awaitScores(KAFKA.broker(), s -> s.size() >= 10, TIMEOUT);

            long sent = System.nanoTime();
            String auditId = t.sendControl(producer, """
                    {"action": "set", "target": "camera:cam-1", "by": "it-test", "image_score": 10.0}""");
            JsonNode audit = t.awaitAudit(KAFKA.broker(), auditId, TIMEOUT);
            System.out.printf("Control command to published audit record: %d ms%n",
                    (System.nanoTime() - sent) / 1_000_000);
            assertThat(audit.get("subtasks").asInt()).as("applied by every parallel instance")
                    .isEqualTo(PipelineTestSupport.PARALLELISM);
            assertThat(audit.get("by").asText()).isEqualTo("it-test");
            assertThat(audit.get("old").isNull()).isTrue();
            assertThat(audit.get("new").get("image_score").asDouble()).isEqualTo(10.0);

            for (int i = 0; i < 5; i++) {
                producer.send(t.frame("cam-1", "line-1", "after-" + i, ControlTopics.BRIGHT));
                producer.send(t.frame("cam-2", "line-1", "after-" + i, ControlTopics.BRIGHT));
            }
            producer.flush();
            List<ScoreRecord> scores = t.awaitScores(KAFKA.broker(), s -> s.size() >= 20, TIMEOUT);

            assertThat(scores).filteredOn(s -> s.getFrameId().startsWith("before-"))
                    .allSatisfy(s -> assertThat(s.isAlert()).isTrue()).hasSize(10);
            assertThat(scores).filteredOn(s -> s.getFrameId().startsWith("after-") && s.getCameraId().equals("cam-1"))
                    .hasSize(5).allSatisfy(s -> {
                        assertThat(s.getThreshold()).isEqualTo(10.0f);
                        assertThat(s.isAlert()).isFalse();
                    });
            assertThat(scores).filteredOn(s -> s.getFrameId().startsWith("after-") && s.getCameraId().equals("cam-2"))
                    .hasSize(5).allSatisfy(s -> {
                        assertThat(s.getThreshold()).as("other cameras keep the card's value").isEqualTo(1.0f);
                        assertThat(s.isAlert()).isTrue();
                    });
            List<DefectAlert> alerts = PipelineTestSupport.readCommitted(KAFKA.broker(), t.main().alerts(),
                    r -> r.size() >= 15, TIMEOUT, Duration.ofSeconds(1)).stream()
                    .map(r -> AlertJson.fromBytes(r.value())).toList();
            assertThat(alerts).extracting(a -> a.getCameraId() + "/" + a.getFrameId())
                    .hasSize(15).noneMatch(id -> id.startsWith("cam-1/after-"));

            // The shell tool: refuses a bad command without sending it, confirms a good one once applied.
            assertThat(controlCli(t, "{\"action\":\"reset\",\"target\":\"camera:cam-1\"}").code())
                    .isEqualTo(ThresholdsSavepointCli.REFUSED);
            CliRun reset = controlCli(t, "{\"action\":\"reset\",\"target\":\"camera:cam-1\",\"by\":\"cli\"}");
            assertThat(reset.code()).as(reset.err()).isZero();
            JsonNode resetAudit = ControlJson.read(reset.out().substring(reset.out().indexOf('{')));
            assertThat(resetAudit.get("subtasks").asInt()).isEqualTo(PipelineTestSupport.PARALLELISM);
            assertThat(resetAudit.get("old").get("image_score").asDouble()).isEqualTo(10.0);
            assertThat(resetAudit.get("effective").get("image_score").asDouble()).isEqualTo(1.0);

            // A misspelt audit topic is refused before anything is sent (the next command takes the next offset),
            // and not created; a timeout without its unit is refused too.
            CliRun misspelt = controlCli(t, t.audit() + "-typo", "60s", SHOW);
            assertThat(misspelt.code()).as(misspelt.out()).isEqualTo(ThresholdsSavepointCli.REFUSED);
            assertThat(misspelt.err()).contains("the audit topic '" + t.audit() + "-typo' does not exist")
                    .doesNotContain("Exception");
            assertThat(KAFKA.broker().admin().listTopics().names().get()).doesNotContain(t.audit() + "-typo");
            // So is a misspelt control topic, at once (a producer would wait a minute, or create it).
            long before = System.nanoTime();
            CliRun noControl = controlCli(t.control() + "-typo", t.audit(), "60s", SHOW);
            assertThat(noControl.code()).as(noControl.out()).isEqualTo(ThresholdsSavepointCli.REFUSED);
            assertThat(noControl.err()).contains("the control topic '" + t.control() + "-typo' does not exist")
                    .contains("nothing was sent").doesNotContain("Exception");
            assertThat(Duration.ofNanos(System.nanoTime() - before)).isLessThan(Duration.ofSeconds(30));
            assertThat(KAFKA.broker().admin().listTopics().names().get()).doesNotContain(t.control() + "-typo");
            assertThat(controlCli(t, t.audit(), "5", SHOW).err()).contains("'5' has no unit");
            CliRun show = controlCli(t, SHOW);
            assertThat(show.code()).as(show.err()).isZero();
            assertThat(offset(show.out())).isEqualTo(offset(reset.out()) + 1);
        } finally {
            job.cancel().get();
        }
    }

    /**
     * A job started before its control and audit topics exist detects as usual (every exactly-once sink starts,
     * the audit sink's included), then reads the control topic once it appears and audits the command.
     */
    @Test
    void controlAndAuditTopicsCreatedAfterTheStartAreUsed() throws Exception {
        ControlTopics t = ControlTopics.withoutControlTopics(KAFKA.broker(), "late");
        JobConfig cfg = t.config(KAFKA.broker(), TestModels.tinyGraph(), Map.of());
        JobClient job = start(cfg);
        try (KafkaProducer<byte[], byte[]> producer = PipelineTestSupport.producer(KAFKA.broker())) {
            for (int i = 0; i < 5; i++) {
                producer.send(t.frame("cam-1", "line-1", "before-" + i, ControlTopics.BRIGHT));
            }
            producer.flush();
            t.awaitScores(KAFKA.broker(), s -> s.size() >= 5, TIMEOUT);

            t.createControlTopics(KAFKA.broker());
            String auditId = t.sendControl(producer, """
                    {"action": "set", "target": "camera:cam-1", "by": "it-test", "image_score": 10.0}""");
            JsonNode audit = t.awaitAudit(KAFKA.broker(), auditId, TIMEOUT.plus(ControlKafka.DISCOVERY_INTERVAL));
            assertThat(audit.get("subtasks").asInt()).isEqualTo(PipelineTestSupport.PARALLELISM);
            assertThat(audit.get("new").get("image_score").asDouble()).isEqualTo(10.0);

            producer.send(t.frame("cam-1", "line-1", "after", ControlTopics.BRIGHT));
            producer.flush();
            List<ScoreRecord> scores = t.awaitScores(KAFKA.broker(), s -> s.size() >= 6, TIMEOUT);
            assertThat(scores).filteredOn(s -> s.getFrameId().equals("after")).singleElement()
                    .satisfies(s -> assertThat(s.isAlert()).isFalse());
        } finally {
            job.cancel().get();
        }
    }

    @Test
    void everyKindOfBadCommandGoesToTheDeadLetterTopicAndChangesNothing() throws Exception {
        ControlTopics t = ControlTopics.create(KAFKA.broker(), "bad");
        JobConfig cfg = t.config(KAFKA.broker(), TestModels.tinyGraph(), Map.of());
        Map<String, ControlRejectReason> bad = new LinkedHashMap<>();
        bad.put("", ControlRejectReason.EMPTY);
        bad.put("x".repeat(ControlCommandParser.MAX_BYTES + 1), ControlRejectReason.OVERSIZED);
        bad.put("image_score=5", ControlRejectReason.NOT_JSON);
        bad.put("{\"action\":\"set\",\"target\":\"default\",\"by\":\"m\",\"imagescore\":5}",
                ControlRejectReason.UNKNOWN_FIELD);
        bad.put("{\"action\":\"set\",\"target\":\"default\",\"image_score\":5}", ControlRejectReason.MISSING_FIELD);
        bad.put("{\"action\":\"delete\",\"target\":\"default\",\"by\":\"m\"}", ControlRejectReason.BAD_ACTION);
        bad.put("{\"action\":\"set\",\"target\":\"camera:bad id\",\"by\":\"m\",\"image_score\":5}",
                ControlRejectReason.BAD_TARGET);
        bad.put("{\"action\":\"set\",\"target\":\"default\",\"by\":\"m\",\"image_score\":-5}",
                ControlRejectReason.BAD_VALUE);
        bad.put("{\"action\":\"set\",\"target\":\"default\",\"by\":\"m\",\"pixel\":NaN}",
                ControlRejectReason.BAD_VALUE);
        JobClient job = start(cfg);
        try (KafkaProducer<byte[], byte[]> producer = PipelineTestSupport.producer(KAFKA.broker())) {
            for (String command : bad.keySet()) {
                t.sendControl(producer, command);
            }
            String show = t.sendControl(producer, "{\"action\":\"show\",\"target\":\"all\",\"by\":\"it-test\"}");
            JsonNode shown = t.awaitAudit(KAFKA.broker(), show, TIMEOUT);
            assertThat(shown.get("overrides").isEmpty()).as("no refused command changed anything").isTrue();

            List<ConsumerRecord<byte[], byte[]>> dead = PipelineTestSupport.readCommitted(KAFKA.broker(),
                    t.main().deadLetter(), r -> r.size() >= bad.size(), TIMEOUT, Duration.ofSeconds(1));
            List<String> reasons = new ArrayList<>();
            for (ConsumerRecord<byte[], byte[]> r : dead) {
                assertThat(header(r, FrameHeaders.DLQ_SOURCE_TOPIC)).isEqualTo(t.control());
                assertThat(header(r, FrameHeaders.DLQ_DETAIL)).isNotBlank();
                reasons.add(header(r, FrameHeaders.DLQ_REASON));
            }
            assertThat(reasons).containsExactlyElementsOf(bad.values().stream().map(ControlRejectReason::code)
                    .toList());
            assertThat(new String(dead.get(2).value(), StandardCharsets.UTF_8)).as("the record is kept unchanged")
                    .isEqualTo("image_score=5");

            List<ConsumerRecord<byte[], byte[]>> audit = PipelineTestSupport.readCommitted(KAFKA.broker(), t.audit(),
                    r -> !r.isEmpty(), TIMEOUT, Duration.ofSeconds(1));
            assertThat(audit).as("only the show is audited").hasSize(1);
        } finally {
            job.cancel().get();
        }
    }

    private record CliRun(int code, String out, String err) {
    }

    private static final String SHOW = "{\"action\":\"show\",\"target\":\"camera:cam-1\",\"by\":\"cli\"}";

    /** The control record's offset from the tool's "sent control-P-OFFSET" line. */
    private static long offset(String out) {
        String sent = out.lines().filter(l -> l.startsWith("sent ")).findFirst().orElseThrow();
        return Long.parseLong(sent.substring(sent.lastIndexOf('-') + 1));
    }

    private static CliRun controlCli(ControlTopics t, String command) {
        return controlCli(t, t.audit(), "60s", command);
    }

    private static CliRun controlCli(ControlTopics t, String auditTopic, String timeout, String command) {
        return controlCli(t.control(), auditTopic, timeout, command);
    }

    private static CliRun controlCli(String controlTopic, String auditTopic, String timeout, String command) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cli = new CommandLine(new ControlCli());
        cli.setOut(new PrintWriter(out, true));
        cli.setErr(new PrintWriter(err, true));
        int code = cli.execute("--bootstrap-servers", KAFKA.bootstrapServers(), "--topic", controlTopic,
                "--audit-topic", auditTopic, "--timeout", timeout, command);
        return new CliRun(code, out.toString(), err.toString());
    }

    private static String header(ConsumerRecord<byte[], byte[]> r, String name) {
        Header h = r.headers().lastHeader(name);
        return h == null ? null : new String(h.value(), StandardCharsets.UTF_8);
    }
}
