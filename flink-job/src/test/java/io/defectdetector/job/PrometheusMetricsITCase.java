package io.defectdetector.job;

import static org.assertj.core.api.Assertions.assertThat;

import io.defectdetector.frame.RejectReason;
import io.defectdetector.job.config.JobConfig;
import io.defectdetector.job.config.JobOptions;
import io.defectdetector.job.model.ModelBundle;
import io.defectdetector.job.testing.MalformedFrames;
import io.defectdetector.job.testing.PipelineTestSupport;
import io.defectdetector.job.testing.PipelineTestSupport.Topics;
import io.defectdetector.kafka.LocalKafkaExtension;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The alerting rules and the dashboard in k8s/monitoring name metrics as Flink's Prometheus reporter exports
 * them. A rule on a misspelt metric never fires, and nothing else would notice: so the job runs here with the
 * reporter on, decides frames and rejects one, and every {@code flink_*} name and label they use must be in what
 * it serves.
 */
class PrometheusMetricsITCase {
    private static final Path MONITORING = Path.of("..", "k8s", "monitoring");
    private static final int PORT = freePort();

    @RegisterExtension
    static final LocalKafkaExtension KAFKA = new LocalKafkaExtension();
    @RegisterExtension
    static final MiniClusterExtension FLINK = new MiniClusterExtension(() -> {
        Configuration conf = LocalFlink.loopbackOnly(new Configuration());
        conf.setString("metrics.reporter.prom.factory.class",
                "org.apache.flink.metrics.prometheus.PrometheusReporterFactory");
        conf.setString("metrics.reporter.prom.port", Integer.toString(PORT));
        return new MiniClusterResourceConfiguration.Builder().setNumberTaskManagers(1).setNumberSlotsPerTaskManager(2)
                .setConfiguration(conf).build();
    });

    @Test
    void everyMetricTheAlertingRulesAndTheDashboardUseIsExported() throws Exception {
        Topics topics = Topics.withPrefix("prom");
        topics.create(KAFKA.broker(), 2);
        JobConfig cfg = PipelineTestSupport.config(KAFKA.broker(), "prom", topics,
                PipelineTestSupport.defaultModel(), Map.of("kafka-control-topic", "prom-control",
                        "kafka-audit-topic", "prom-audit"));
        KAFKA.broker().createTopic(cfg.get(JobOptions.KAFKA_CONTROL_TOPIC), 1);
        KAFKA.broker().createTopic(cfg.get(JobOptions.KAFKA_AUDIT_TOPIC), 1);
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        // The job as DefectDetectionJob assembles and names it: the rules select it by that name.
        DetectionPipeline.buildKafkaJob(env, cfg, ModelBundle.locate(cfg.modelPath()));
        JobClient job = env.executeAsync(DefectDetectionJob.JOB_NAME);
        try {
            try (KafkaProducer<byte[], byte[]> producer = PipelineTestSupport.producer(KAFKA.broker())) {
                producer.send(MalformedFrames.oneOfEach(topics.frames(), "cam-1").get(RejectReason.EMPTY));
                for (int i = 0; i < 10; i++) {
                    producer.send(MalformedFrames.good(topics.frames(), "cam-" + (i % 2), "good-" + i, 256, 256));
                }
            }
            PipelineTestSupport.readCommitted(KAFKA.broker(), topics.scores(), r -> r.size() >= 10,
                    Duration.ofSeconds(90), Duration.ofSeconds(1));
            // Now that the job runs (the control topic is read from its latest offset at start): one bad command.
            try (KafkaProducer<byte[], byte[]> producer = PipelineTestSupport.producer(KAFKA.broker())) {
                producer.send(new ProducerRecord<>(cfg.get(JobOptions.KAFKA_CONTROL_TOPIC),
                        "not a command".getBytes(StandardCharsets.UTF_8))).get();
            }

            String rulesAndDashboard = Files.readString(MONITORING.resolve("prometheus-rule.yaml"))
                    + Files.readString(MONITORING.resolve("grafana-dashboard.json"));
            Set<String> used = matches(Pattern.compile("\\b(flink_\\w+)"), rulesAndDashboard);
            assertThat(used).as("metrics in %s", MONITORING).hasSizeGreaterThan(10);
            Set<String> exported = Set.of();
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (!exported.containsAll(used) && System.nanoTime() < deadline) {
                Thread.sleep(500);  // job-level metrics appear with the first checkpoints
                exported = matches(Pattern.compile("(?m)^(flink_\\w+)"), scrape());
            }
            Set<String> missing = new TreeSet<>(used);
            missing.removeAll(exported);
            assertThat(missing).as("metrics the rules use that the job does not export; it exports: %s",
                    new TreeSet<>(exported)).isEmpty();
            System.out.printf("The rules and the dashboard use %d of the %d metrics the job exports%n", used.size(),
                    exported.size());
            String text = scrape();
            // The labels the rules select on or print, with the values they expect.
            assertThat(text).contains("reason=\"EMPTY\"").contains("quantile=\"0.99\"")
                    .contains("job_name=\"defect_detector\"").contains("operator_name=\"Source:_frames_source\"");
            // Prometheus takes numbers only: the provider is a label of a gauge of 1.
            assertThat(text).containsPattern("(?m)^flink_taskmanager_job_task_operator_provider_executionProviderActive"
                    + "\\{[^}]*provider=\"CPU\"[^}]*} 1\\.0$");
            long deadlineReject = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (!text.matches("(?s).*controlCommandsRejectedByReason\\{[^}]*reason=\"CONTROL_NOT_JSON\"[^}]*} 1\\.0.*")
                    && System.nanoTime() < deadlineReject) {
                Thread.sleep(500);
                text = scrape();
            }
            assertThat(text).containsPattern("(?m)^flink_taskmanager_job_task_operator_reason_"
                    + "controlCommandsRejectedByReason\\{[^}]*reason=\"CONTROL_NOT_JSON\"[^}]*} 1\\.0$");
            // Every metric docs/architecture.md lists is exported under that name.
            Set<String> documented = documentedMetrics();
            assertThat(documented).as("metric names in docs/architecture.md").hasSizeGreaterThan(15);
            String exportedText = text;
            assertThat(documented).as("documented metrics the job does not export")
                    .allMatch(name -> Pattern.compile("(?m)^flink_\\w*_" + name + "[{ ]").matcher(exportedText).find());
        } finally {
            job.cancel().get();
        }
    }

    /** The metric names in docs/architecture.md's metrics paragraph (the words in backquotes). */
    private static Set<String> documentedMetrics() throws IOException {
        String doc = Files.readString(Path.of("..", "docs", "architecture.md"));
        int start = doc.indexOf("Metrics (per subtask");
        assertThat(start).as("the metrics paragraph of docs/architecture.md").isNotNegative();
        String paragraph = doc.substring(start, doc.indexOf("\n\n", start));
        return matches(Pattern.compile("`([a-z][A-Za-z]+)`"), paragraph.substring(0, paragraph.indexOf("Flink's")));
    }

    private static Set<String> matches(Pattern pattern, String text) {
        Set<String> out = new TreeSet<>();
        Matcher m = pattern.matcher(text);
        while (m.find()) {
            out.add(m.group(1));
        }
        return out;
    }

    private static String scrape() throws IOException, InterruptedException {
        HttpResponse<String> response = HttpClient.newHttpClient().send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + PORT + "/metrics")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).isEqualTo(200);
        return response.body();
    }

    private static int freePort() {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
