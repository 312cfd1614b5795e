package io.defectdetector.job.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.defectdetector.job.DefectDetectionJob;
import io.defectdetector.job.config.DeliveryMode;
import io.defectdetector.job.config.JobConfig;
import io.defectdetector.job.config.JobOptions;
import io.defectdetector.job.testing.PipelineTestSupport;
import io.defectdetector.job.testing.PipelineTestSupport.Topics;
import io.defectdetector.kafka.LocalKafkaBroker;
import io.defectdetector.kafka.LocalKafkaExtension;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.MemorySize;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.config.TopicConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The start-time topic check against a real broker: each test uses its own topic names on the shared broker. */
class TopicPreflightITCase {
    @RegisterExtension
    static final LocalKafkaExtension KAFKA = new LocalKafkaExtension();

    /** Frames, alerts, dead letters and scores of {@code prefix} created; control and audit only as asked. */
    private static JobConfig config(String prefix, boolean control, boolean audit, Map<String, String> overrides) {
        Topics topics = Topics.withPrefix(prefix);
        topics.create(KAFKA.broker(), 1);
        if (control) {
            KAFKA.broker().createTopic(prefix + "-control", 1);
        }
        if (audit) {
            KAFKA.broker().createTopic(prefix + "-audit", 1);
        }
        Map<String, String> options = new HashMap<>(Map.of("kafka-control-topic", prefix + "-control",
                "kafka-audit-topic", prefix + "-audit", "kafka-topic-check-timeout", "20 s"));
        options.putAll(overrides);
        return PipelineTestSupport.config(KAFKA.broker(), prefix, topics, PipelineTestSupport.DEFAULT_MODEL, options);
    }

    @Test
    void mainRefusesToStartWhenTheControlTopicExistsButTheAuditTopicDoesNot() {
        config("no-audit", true, false, Map.of());
        PrintStream err = System.err;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
        try {
            assertThatThrownBy(() -> DefectDetectionJob.main(new String[] {
                "--kafka-bootstrap-servers", KAFKA.bootstrapServers(),
                "--model-path", PipelineTestSupport.defaultModel().toString(),
                "--kafka-frames-topic", "no-audit-frames", "--kafka-alerts-topic", "no-audit-alerts",
                "--kafka-dead-letter-topic", "no-audit-dead-letter", "--kafka-control-topic", "no-audit-control",
                "--kafka-audit-topic", "no-audit-audit"}))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("kafka-audit-topic: topic 'no-audit-audit' does not exist")
                    .hasMessageContaining("the control topic 'no-audit-control' exists")
                    .hasMessageContaining("create it")
                    .hasMessageContaining("kafka-topic-check-enabled=false")
                    .hasMessageNotContaining("kafka-frames-topic")
                    .hasMessageNotContaining("kafka-alerts-topic");
        } finally {
            System.setErr(err);
        }
        assertThat(captured.toString(StandardCharsets.UTF_8)).startsWith("defect-detector: Kafka topics or brokers not ready for this job on ")
                .contains("kafka-audit-topic");
    }

    @Test
    void passesWhenEveryTopicExists() {
        JobConfig cfg = config("all-there", true, true, Map.of("scores-enabled", "true"));

        assertThatCode(() -> TopicPreflight.check(cfg)).doesNotThrowAnyException();
    }

    @Test
    void needsNoAuditTopicWhileThereIsNoControlTopic() {
        JobConfig cfg = config("no-control", false, false, Map.of());

        assertThatCode(() -> TopicPreflight.check(cfg)).doesNotThrowAnyException();
    }

    @Test
    void namesEveryMissingTopicWithItsOption() {
        JobConfig cfg = config("outputs", false, false, Map.of("kafka-alerts-topic", "outputs-no-alerts",
                "kafka-scores-topic", "outputs-no-scores", "scores-enabled", "true"));

        assertThatThrownBy(() -> TopicPreflight.check(cfg))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("kafka-alerts-topic: topic 'outputs-no-alerts' does not exist; create it")
                .hasMessageContaining("kafka-scores-topic: topic 'outputs-no-scores' does not exist "
                        + "(scores-enabled is true); create it")
                .hasMessageNotContaining("kafka-frames-topic")
                .hasMessageNotContaining("kafka-audit-topic");
    }

    @Test
    void refusesADeadLetterTopicThatWouldNotTakeTheLargestDeadLetter() throws Exception {
        JobConfig cfg = config("small-dlq", false, false, Map.of());
        try (Admin admin = Admin.create(KAFKA.broker().clientProperties())) {
            ConfigResource topic = new ConfigResource(ConfigResource.Type.TOPIC, "small-dlq-dead-letter");
            admin.incrementalAlterConfigs(Map.of(topic, List.of(new AlterConfigOp(
                    new ConfigEntry(TopicConfig.MAX_MESSAGE_BYTES_CONFIG, "100000"), AlterConfigOp.OpType.SET))))
                    .all().get();
        }

        assertThatThrownBy(() -> TopicPreflight.check(cfg))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("kafka-dead-letter-topic: topic 'small-dlq-dead-letter' takes records up to "
                        + "100000 bytes (max.message.bytes), but dead letters may be 983040 bytes "
                        + "(dead-letter-max-bytes)")
                .hasMessageContaining("lower dead-letter-max-bytes to at most 100000 bytes");
        assertThatCode(() -> TopicPreflight.check(cfg.with(JobOptions.DEAD_LETTER_MAX_BYTES,
                MemorySize.parse("90kb")))).doesNotThrowAnyException();
        // Above the brokers' largest request (socket.request.max.bytes, 100 MiB by default) no topic setting helps.
        assertThatThrownBy(() -> TopicPreflight.check(cfg.with(JobOptions.DEAD_LETTER_MAX_BYTES,
                MemorySize.parse("200mb"))))
                .hasMessageContaining("dead-letter-max-bytes (209715200 bytes) needs produce requests of up to "
                        + "209780736 bytes, above the brokers' socket.request.max.bytes (104857600)");
    }

    @Test
    void aSaslJaasConfigKafkaCannotParseIsReportedWithoutItsText() {
        // An unquoted password with a space: Kafka's parser quotes the word after it in its message.
        JobConfig cfg = config("bad-jaas", false, false, Map.of("kafka.security.protocol", "SASL_PLAINTEXT",
                "kafka.sasl.mechanism", "PLAIN", "kafka.sasl.jaas.config",
                "org.apache.kafka.common.security.plain.PlainLoginModule required username=\"u\" "
                        + "password=alpha Sec3-LEAK-5522 omega;"));

        Throwable thrown = catchThrowable(() -> TopicPreflight.check(cfg));
        assertThat(thrown).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("Kafka cannot parse sasl.jaas.config")
                .hasMessageContaining("every value in double quotes");
        for (Throwable t = thrown; t != null; t = t.getCause()) {
            assertThat(String.valueOf(t.getMessage())).doesNotContain("LEAK", "alpha");
        }
    }

    @Test
    void refusesATransactionTimeoutAboveTheBrokersMaximum() {
        try (LocalKafkaBroker strict = LocalKafkaBroker.start(Map.of("transaction.max.timeout.ms", "300000"))) {
            Topics topics = Topics.withPrefix("tx");
            topics.create(strict, 1);
            JobConfig cfg = PipelineTestSupport.config(strict, "tx", topics, PipelineTestSupport.DEFAULT_MODEL,
                    Map.of("kafka-control-topic", "tx-control", "kafka-audit-topic", "tx-audit"));

            assertThatThrownBy(() -> TopicPreflight.check(cfg))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("kafka-transaction-timeout (10 min) is above the brokers' "
                            + "transaction.max.timeout.ms (5 min)")
                    .hasMessageContaining("set kafka-transaction-timeout and kafka-transaction-max-timeout to at "
                            + "most 5 min");
            assertThatCode(() -> TopicPreflight.check(cfg.with(JobOptions.KAFKA_TRANSACTION_TIMEOUT,
                    Duration.ofMinutes(4)).with(JobOptions.KAFKA_TRANSACTION_MAX_TIMEOUT, Duration.ofMinutes(5))))
                    .doesNotThrowAnyException();
            assertThatCode(() -> TopicPreflight.check(cfg.with(JobOptions.DELIVERY_GUARANTEE,
                    DeliveryMode.AT_LEAST_ONCE))).as("no transactions, nothing to check").doesNotThrowAnyException();
        }
    }

    @Test
    void ignoresAMissingScoresTopicWhenScoresAreOff() {
        JobConfig cfg = config("scores-off", false, false, Map.of("kafka-scores-topic", "scores-off-none",
                "scores-enabled", "false"));

        assertThatCode(() -> TopicPreflight.check(cfg)).doesNotThrowAnyException();
    }

    @Test
    void failsWithinItsTimeoutWhenNoBrokerAnswersAndCanBeTurnedOff() throws Exception {
        int port;
        try (ServerSocket socket = new ServerSocket(0)) {
            port = socket.getLocalPort(); // closed again: nothing listens there
        }
        Map<String, String> options = Map.of("kafka-bootstrap-servers", "127.0.0.1:" + port,
                "kafka-topic-check-timeout", "2 s");

        long start = System.nanoTime();
        assertThatThrownBy(() -> TopicPreflight.check(JobConfig.from(Configuration.fromMap(options))))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("no answer from kafka-bootstrap-servers '127.0.0.1:" + port + "'")
                .hasMessageContaining("within kafka-topic-check-timeout (2 s)")
                .hasMessageContaining("kafka-topic-check-enabled=false");
        assertThat((System.nanoTime() - start) / 1_000_000).as("ms until it gave up").isLessThan(10_000);

        Map<String, String> off = new HashMap<>(options);
        off.put("kafka-topic-check-enabled", "false");
        assertThatCode(() -> TopicPreflight.check(JobConfig.from(Configuration.fromMap(off))))
                .doesNotThrowAnyException();
    }
}
