package io.defectdetector.job;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.defectdetector.frame.ContentType;
import io.defectdetector.frame.FrameEncoder;
import io.defectdetector.job.alerts.AlertJson;
import io.defectdetector.job.alerts.DefectAlert;
import io.defectdetector.job.alerts.ScoreRecord;
import io.defectdetector.job.config.JobConfig;
import io.defectdetector.job.kafka.TopicPreflight;
import io.defectdetector.job.model.GoldenVectors;
import io.defectdetector.job.testing.PipelineTestSupport;
import io.defectdetector.job.testing.PipelineTestSupport.Topics;
import io.defectdetector.job.testing.TestModels;
import io.defectdetector.kafka.LocalKafkaBroker;
import io.defectdetector.kafka.LocalKafkaExtension;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.stream.Collectors;
import org.apache.flink.api.common.JobStatus;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.runtime.minicluster.MiniCluster;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.InjectMiniCluster;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.common.errors.SaslAuthenticationException;
import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.core.LogEvent;
import org.apache.logging.log4j.core.LoggerContext;
import org.apache.logging.log4j.core.appender.AbstractAppender;
import org.apache.logging.log4j.core.config.Configuration;
import org.apache.logging.log4j.core.config.LoggerConfig;
import org.apache.logging.log4j.core.config.Property;
import org.apache.logging.log4j.core.layout.PatternLayout;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The job against a broker that requires SASL_PLAINTEXT/PLAIN, its credentials only in the {@code --kafka-config}
 * file, as docs/kafka.md ("Pointing at an external Kafka") tells a plant to run it: every client of the job (topic
 * check, frames and control sources, the transactional sinks) must authenticate with them, and the password must
 * appear in none of the log lines written meanwhile, by the job, Flink or the Kafka clients (docs/kafka.md: "The
 * job never logs secrets").
 */
class SaslKafkaITCase {
    private static final String USER = "detector";
    /** Distinctive, so a leak anywhere in a log line is found; random, so it is nobody's real password. */
    private static final String PASSWORD = "s3cr3t-Pa55-" + UUID.randomUUID().toString().replace("-", "");
    private static final String JAAS = LocalKafkaBroker.plainJaasConfig(USER, PASSWORD);

    @RegisterExtension
    static final LocalKafkaExtension KAFKA = LocalKafkaExtension.saslPlain(Map.of(USER, PASSWORD));
    @RegisterExtension
    static final MiniClusterExtension FLINK = new MiniClusterExtension(PipelineTestSupport::twoTaskManagers);

    @Test
    void jobAuthenticatesWithTheKafkaConfigFileAndNeverLogsItsPassword(@InjectMiniCluster MiniCluster cluster,
            @TempDir Path tmp) throws Exception {
        LocalKafkaBroker broker = KAFKA.broker();
        // Authentication is really on: the job's user with another password is refused.
        String wrongPassword = "wr0ng-Pa55-" + UUID.randomUUID();
        Properties wrong = broker.clientProperties();
        wrong.put("sasl.jaas.config", LocalKafkaBroker.plainJaasConfig(USER, wrongPassword));
        try (Admin admin = Admin.create(wrong)) {
            assertThat(admin.listTopics().names()).failsWithin(Duration.ofSeconds(30))
                    .withThrowableOfType(ExecutionException.class)
                    .withCauseInstanceOf(SaslAuthenticationException.class);
        }

        Topics topics = Topics.withPrefix("sasl");
        topics.create(broker, 2);
        broker.createTopic("sasl-control", 1);
        broker.createTopic("sasl-audit", 1);
        GoldenVectors golden = GoldenVectors.load(TestModels.defaultModelFolder());
        Path model = PipelineTestSupport.defaultModel();

        try (LogCapture logs = LogCapture.open()) {
            // The job's start with a wrong password in its settings file stops at the topic check, naming the
            // cause, not the password.
            Path wrongConfig = Files.writeString(tmp.resolve("wrong.properties"), clientConfig(
                    LocalKafkaBroker.plainJaasConfig(USER, wrongPassword)));
            JobConfig refused = DefectDetectionJob.prepare(args(topics, model, wrongConfig)).config();
            assertThatThrownBy(() -> TopicPreflight.check(refused))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("SaslAuthenticationException")
                    .satisfies(e -> assertThat(stackTrace(e)).doesNotContain(wrongPassword));

            // The job as DefectDetectionJob.main starts it, the secret only in its --kafka-config file.
            Path kafkaConfig = Files.writeString(tmp.resolve("client.properties"), clientConfig(JAAS));
            StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
            DefectDetectionJob.Prepared prepared = DefectDetectionJob.prepare(args(topics, model, kafkaConfig),
                    env.getConfiguration());
            JobConfig cfg = prepared.config();
            assertThat(cfg.kafkaSettings().get("sasl.jaas.config")).contains(JAAS);
            DefectDetectionJob.checkInferenceDevice(cfg);
            TopicPreflight.check(cfg);
            DetectionPipeline.buildKafkaJob(env, cfg, prepared.model());
            JobClient job = env.executeAsync(DefectDetectionJob.JOB_NAME);
            Map<String, Float> expected = new HashMap<>();
            try {
                // Golden images, good and defective, sent (and read back below) by the broker's own user.
                FrameEncoder encoder = new FrameEncoder();
                try (KafkaProducer<byte[], byte[]> producer = PipelineTestSupport.producer(broker)) {
                    for (GoldenVectors.Image image : golden.images()) {
                        String frameId = image.file().replace(".png", "");
                        producer.send(encoder.encode(topics.frames(), "cam-sasl", frameId,
                                System.currentTimeMillis(), "line-1", ContentType.PNG, 0, 0, image.png()));
                        expected.put(frameId, image.score());
                    }
                    producer.flush();
                }
                double threshold = prepared.model().card().defaultThresholds().imageScore();
                List<String> shouldAlert = expected.entrySet().stream().filter(e -> e.getValue() >= threshold)
                        .map(Map.Entry::getKey).toList();
                assertThat(shouldAlert).isNotEmpty().hasSizeLessThan(expected.size());

                List<ConsumerRecord<byte[], byte[]>> scores = PipelineTestSupport.readCommitted(broker,
                        topics.scores(), r -> r.size() >= expected.size(), Duration.ofSeconds(60),
                        Duration.ofSeconds(1));
                Map<String, Float> scoreById = scores.stream().map(r -> AlertJson.scoreFromBytes(r.value()))
                        .collect(Collectors.toMap(ScoreRecord::getFrameId, ScoreRecord::getScore));
                assertThat(scoreById).as("one score per frame").hasSize(scores.size())
                        .containsOnlyKeys(expected.keySet());
                expected.forEach((frameId, score) -> assertThat((double) Math.abs(scoreById.get(frameId) - score))
                        .as("score of %s %s, Python's %s", frameId, scoreById.get(frameId), score)
                        .isLessThanOrEqualTo(golden.tolerance("score", score)));

                List<ConsumerRecord<byte[], byte[]>> alerts = PipelineTestSupport.readCommitted(broker,
                        topics.alerts(), r -> r.size() >= shouldAlert.size(), Duration.ofSeconds(30),
                        Duration.ofSeconds(1));
                assertThat(alerts).extracting(r -> AlertJson.fromBytes(r.value())).extracting(DefectAlert::getFrameId)
                        .containsExactlyInAnyOrderElementsOf(shouldAlert);
                assertThat(job.getJobStatus().get()).isEqualTo(JobStatus.RUNNING);
                assertThat(cluster.getExecutionGraph(job.getJobID()).get().getFailureInfo())
                        .as("the job never failed or restarted").isNull();
            } finally {
                job.cancel().get();
            }

            List<String> lines = logs.lines();
            System.out.printf("SASL job: %d frames scored; %d log lines captured%n", expected.size(), lines.size());
            // The capture saw the job and its Kafka clients (else the checks below prove nothing): the job's
            // redacted configuration and the clients' own configuration dumps.
            assertThat(lines).anyMatch(l -> l.contains("Configuration: JobConfig{") && l.contains("******"))
                    .anyMatch(l -> l.contains("ProducerConfig values") && l.contains("sasl.jaas.config = [hidden]"))
                    .anyMatch(l -> l.contains("ConsumerConfig values") && l.contains("sasl.jaas.config = [hidden]"))
                    .anyMatch(l -> l.contains("AdminClientConfig values")
                            && l.contains("sasl.jaas.config = [hidden]"));
            assertThat(lines.stream().filter(l -> l.contains(PASSWORD) || l.contains(JAAS)
                    || l.contains(wrongPassword)).map(l -> l.replace(PASSWORD, "<PASSWORD>")
                            .replace(wrongPassword, "<WRONG PASSWORD>")).toList())
                    .as("log lines with the SASL password or JAAS configuration").isEmpty();
        }
    }

    private static String clientConfig(String jaas) {
        return "# as a plant keeps its SASL secrets (docs/kafka.md)\nsecurity.protocol=SASL_PLAINTEXT\n"
                + "sasl.mechanism=PLAIN\nsasl.jaas.config=" + jaas + "\n";
    }

    private static String[] args(Topics topics, Path model, Path kafkaConfig) {
        List<String> args = new ArrayList<>(List.of(
                "--kafka-bootstrap-servers", KAFKA.bootstrapServers(),
                "--kafka-config", kafkaConfig.toString(),
                "--kafka-frames-topic", topics.frames(),
                "--kafka-alerts-topic", topics.alerts(),
                "--kafka-dead-letter-topic", topics.deadLetter(),
                "--kafka-scores-topic", topics.scores(),
                "--kafka-control-topic", "sasl-control",
                "--kafka-audit-topic", "sasl-audit",
                "--kafka-group-id", "sasl",
                "--kafka-starting-offsets", "EARLIEST",
                "--kafka-topic-check-timeout", "10 s",
                "--checkpoint-interval", "500 ms",
                "--restart-initial-delay", "200 ms",
                "--restart-max-delay", "2 s",
                "--scores-enabled", "true",
                "--parallelism", Integer.toString(PipelineTestSupport.PARALLELISM),
                "--model-path", model.toString()));
        return args.toArray(String[]::new);
    }

    private static String stackTrace(Throwable e) {
        StringWriter out = new StringWriter();
        e.printStackTrace(new PrintWriter(out));
        return out.toString();
    }

    /**
     * Every log event of this JVM (the job's client code, Flink's JobManager and TaskManagers, the Kafka clients
     * and broker) while open, formatted with its thread, MDC and stack trace. Lowers the root logger to INFO, and
     * this project's, Flink's Kafka connector's and the Kafka login modules' to DEBUG, meanwhile (the test's log
     * file gets those lines too).
     */
    private static final class LogCapture extends AbstractAppender implements AutoCloseable {
        private static final List<String> DEBUG_LOGGERS = List.of("io.defectdetector",
                "org.apache.flink.connector.kafka", "org.apache.kafka.common.security");
        private final List<String> lines = new ArrayList<>();
        private final Map<String, Level> previousLevels = new HashMap<>();
        private final List<String> addedLoggers = new ArrayList<>();
        private final LoggerContext context;

        private LogCapture(LoggerContext context) {
            super("sasl-it-capture", null, PatternLayout.newBuilder()
                    .withPattern("%-5p %c [%t] %X %m%n%ex").build(), true, Property.EMPTY_ARRAY);
            this.context = context;
        }

        static LogCapture open() {
            LoggerContext context = (LoggerContext) LogManager.getContext(false);
            LogCapture capture = new LogCapture(context);
            capture.start();
            Configuration config = context.getConfiguration();
            LoggerConfig root = config.getRootLogger();
            capture.previousLevels.put(root.getName(), root.getLevel());
            root.setLevel(Level.INFO);
            root.addAppender(capture, Level.ALL, null);
            for (String name : DEBUG_LOGGERS) {
                LoggerConfig logger = config.getLoggerConfig(name);
                if (logger.getName().equals(name)) {
                    capture.previousLevels.put(name, logger.getLevel());
                } else {  // no config of its own: one that logs to the root's appenders, until close()
                    logger = new LoggerConfig(name, null, true);
                    config.addLogger(name, logger);
                    capture.addedLoggers.add(name);
                }
                logger.setLevel(Level.DEBUG);
            }
            context.updateLoggers();
            return capture;
        }

        @Override
        public void append(LogEvent event) {
            String line = getLayout().toSerializable(event).toString();
            synchronized (lines) {
                lines.add(line);
            }
        }

        List<String> lines() {
            synchronized (lines) {
                return List.copyOf(lines);
            }
        }

        @Override
        public void close() {
            Configuration config = context.getConfiguration();
            config.getRootLogger().removeAppender(getName());
            addedLoggers.forEach(config::removeLogger);
            previousLevels.forEach((name, level) -> config.getLoggerConfig(name).setLevel(level));
            context.updateLoggers();
            stop();
        }
    }
}
