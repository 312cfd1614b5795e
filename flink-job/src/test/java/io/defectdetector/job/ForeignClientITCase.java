package io.defectdetector.job;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.defectdetector.frame.RejectReason;
import io.defectdetector.job.config.JobConfig;
import io.defectdetector.job.model.ModelBundle;
import io.defectdetector.job.model.GoldenVectors;
import io.defectdetector.job.testing.PipelineTestSupport;
import io.defectdetector.job.testing.PipelineTestSupport.Topics;
import io.defectdetector.job.testing.TestModels;
import io.defectdetector.kafka.LocalKafkaExtension;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import javax.imageio.ImageIO;
import org.apache.flink.api.common.JobStatus;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The wire format is a contract for any Kafka client, not just the Java one the rest of the tests use. Here the
 * frames come from librdkafka (Python's confluent-kafka, through the user-facing example
 * {@code examples/python/publish_frames.py}) as PNG, JPEG and raw samples, and the alerts, score records and dead
 * letters are read back by the same client ({@code read_topic.py}) with read_committed. Scores must equal what
 * model-export computed in Python for the same images (golden vectors).
 */
class ForeignClientITCase {
    @RegisterExtension
    static final LocalKafkaExtension KAFKA = new LocalKafkaExtension();
    @RegisterExtension
    static final MiniClusterExtension FLINK = new MiniClusterExtension(PipelineTestSupport::twoTaskManagers);

    /** Debian's interpreter, which sees python3-confluent-kafka (scripts/ensure-python-deps.sh installs it). */
    private static final String PYTHON = System.getProperty("python", "/usr/bin/python3");
    private static final Path EXAMPLES = Path.of("..", "examples", "python").toAbsolutePath().normalize();
    private static final ObjectMapper JSON = new ObjectMapper();

    @BeforeAll
    static void pythonClientIsInstalled() throws Exception {
        Result check = python(List.of("-c", "import confluent_kafka"));
        if (check.exitCode() != 0) {
            fail(PYTHON + " cannot import confluent_kafka: install the Debian package python3-confluent-kafka "
                    + "(scripts/ensure-python-deps.sh does; run the tests with ./run-tests.sh)\n" + check.stderr());
        }
    }

    @Test
    void framesFromLibrdkafkaAreScoredLikePythonAndItsReadCommittedConsumerSeesEachAlertOnce(@TempDir Path tmp)
            throws Exception {
        Topics topics = Topics.withPrefix("foreign");
        topics.create(KAFKA.broker(), 2);
        JobConfig cfg = PipelineTestSupport.config(KAFKA.broker(), "foreign", topics,
                PipelineTestSupport.defaultModel(), Map.of());
        double threshold = ModelBundle.locate(PipelineTestSupport.defaultModel().toString()).card()
                .defaultThresholds().imageScore();
        GoldenVectors golden = GoldenVectors.load(TestModels.defaultModelFolder());

        // The golden images as files: every PNG flavour, the 8-bit ones also sent raw, one as JPEG, and two
        // records that break the contract (a truncated PNG, a camera id with a space). Each batch of records uses
        // another of the compression codecs a producer may choose (the job's consumer must read them all).
        Path pngs = Files.createDirectories(tmp.resolve("png"));
        Map<String, GoldenVectors.Image> expected = new HashMap<>();
        List<String> pngFiles = new ArrayList<>();
        List<String> rawFiles = new ArrayList<>();
        for (GoldenVectors.Image image : golden.images()) {
            Path file = Files.write(pngs.resolve(image.file()), image.png());
            String stem = image.file().replace(".png", "");
            pngFiles.add(file.toString());
            expected.put("png-" + stem, image);
            if (!stem.startsWith("gray16")) {  // the example's --raw sends 8-bit samples only
                rawFiles.add(file.toString());
                expected.put("raw-" + stem, image);
            }
        }
        Path jpeg = tmp.resolve("gray_defect.jpg");
        ImageIO.write(ImageIO.read(pngs.resolve("gray_defect.png").toFile()), "jpg", jpeg.toFile());
        byte[] goodPng = Files.readAllBytes(pngs.resolve("gray_good.png"));
        Path clientConfig = Files.writeString(tmp.resolve("client.properties"),
                "# settings file, as a plant would keep its SASL/TLS secrets\ncompression.type=snappy\n"
                        + "client.id=foreign-client-it\n");
        Path truncated = Files.write(tmp.resolve("truncated.png"), Arrays.copyOf(goodPng, goodPng.length / 2));

        JobClient job = PipelineTestSupport.startKafkaJob(cfg, "foreign-client-it");
        try {
            String servers = KAFKA.broker().bootstrapServers();
            List<String> publish = List.of(EXAMPLES.resolve("publish_frames.py").toString(),
                    "--bootstrap-servers", servers, "--topic", topics.frames());
            List<JsonNode> delivered = new ArrayList<>();
            delivered.addAll(run(publish, List.of("--camera", "cam-py-png", "--frame-id-prefix", "png-",
                    "-X", "compression.type=lz4"),
                    pngFiles));
            delivered.addAll(run(publish, List.of("--camera", "cam-py-raw", "--frame-id-prefix", "raw-", "--raw",
                    "-X", "compression.type=zstd"),
                    rawFiles));
            delivered.addAll(run(publish, List.of("--camera", "cam-py-jpeg", "--frame-id-prefix", "jpeg-",
                    "--client-config", clientConfig.toString()),
                    List.of(jpeg.toString())));
            delivered.addAll(run(publish, List.of("--camera", "cam-py-png", "--frame-id-prefix", "trunc-",
                    "-X", "compression.type=gzip"),
                    List.of(truncated.toString())));
            delivered.addAll(run(publish, List.of("--camera", "bad camera", "--frame-id-prefix", "badkey-"),
                    List.of(pngs.resolve("gray_good.png").toString())));
            assertThat(delivered).hasSize(expected.size() + 3);

            List<String> read = List.of(EXAMPLES.resolve("read_topic.py").toString(), "--bootstrap-servers",
                    servers, "--idle-exit", "3", "--timeout", "120");

            // Every valid frame is scored once, with Python's score for the same image (JPEG: close enough).
            Map<String, Double> scores = new HashMap<>();
            for (JsonNode record : run(read, List.of("--topic", topics.scores(), "--min-records",
                    Integer.toString(expected.size() + 1)), List.of())) {
                Double previous = scores.put(record.get("value").get("frameId").asText(),
                        record.get("value").get("score").asDouble());
                assertThat(previous).as("score records of one frame").isNull();
            }
            assertThat(scores.keySet()).containsExactlyInAnyOrderElementsOf(
                    concat(expected.keySet(), "jpeg-gray_defect"));
            expected.forEach((frameId, image) -> assertThat(Math.abs(scores.get(frameId) - image.score()))
                    .as(frameId + " score " + scores.get(frameId) + ", Python " + image.score())
                    .isLessThanOrEqualTo(golden.tolerance("score", image.score())));
            assertThat(scores.get("jpeg-gray_defect")).isGreaterThanOrEqualTo(threshold);

            // Alerts: exactly the frames at or over the threshold, each once, read_committed.
            List<String> shouldAlert = concat(expected.entrySet().stream()
                    .filter(e -> e.getValue().score() >= threshold).map(Map.Entry::getKey).toList(),
                    "jpeg-gray_defect");
            assertThat(shouldAlert).hasSizeGreaterThanOrEqualTo(5).hasSizeLessThan(expected.size());
            List<JsonNode> alerts = run(read, List.of("--topic", topics.alerts(), "--headers", "--min-records",
                    Integer.toString(shouldAlert.size())), List.of());
            assertThat(alerts).extracting(a -> a.get("value").get("frameId").asText())
                    .containsExactlyInAnyOrderElementsOf(shouldAlert);
            for (JsonNode alert : alerts) {
                assertThat(alert.get("headers").get("alert-id").asText())
                        .isEqualTo(alert.get("value").get("alertId").asText());
                assertThat(alert.get("key").asText()).isEqualTo(alert.get("value").get("cameraId").asText());
            }

            // The two broken records are dead letters with their reason, headers as librdkafka sent them.
            List<JsonNode> dead = run(read,
                    List.of("--topic", topics.deadLetter(), "--headers", "--min-records", "2"), List.of());
            Map<String, String> reasonByFrame = dead.stream().collect(Collectors.toMap(
                    d -> d.get("headers").get("frame-id").asText(), d -> d.get("headers").get("dlq-reason").asText()));
            assertThat(reasonByFrame).containsExactlyInAnyOrderEntriesOf(Map.of(
                    "trunc-truncated", RejectReason.UNDECODABLE_IMAGE.name(),
                    "badkey-gray_good", RejectReason.GARBLED_KEY.name()));
            System.out.printf("librdkafka client: %d frames scored, %d alerts, dead letters %s%n", scores.size(),
                    alerts.size(), reasonByFrame);
            assertThat(job.getJobStatus().get()).isEqualTo(JobStatus.RUNNING);
        } finally {
            job.cancel().get();
        }
    }

    @Test
    void publishFramesRefusesFilesItCannotPublishBeforeSendingAny(@TempDir Path tmp) throws Exception {
        Topics topics = Topics.withPrefix("foreign-refused");
        topics.create(KAFKA.broker(), 1);
        GoldenVectors golden = GoldenVectors.load(TestModels.defaultModelFolder());
        Path good = null;
        Path gray16 = null;
        for (GoldenVectors.Image image : golden.images()) {
            Path file = Files.write(tmp.resolve(image.file()), image.png());
            good = image.file().equals("gray_good.png") ? file : good;
            gray16 = image.file().startsWith("gray16") ? file : gray16;
        }
        Path notes = Files.writeString(tmp.resolve("notes.txt"), "not a frame");
        Path garbage = Files.writeString(tmp.resolve("garbage.png"), "not a PNG either");
        List<String> publish = List.of(EXAMPLES.resolve("publish_frames.py").toString(), "--bootstrap-servers",
                KAFKA.broker().bootstrapServers(), "--topic", topics.frames(), "--camera", "cam-refused");

        record Refusal(List<String> options, Path file, String reason) {
        }
        for (Refusal refusal : List.of(new Refusal(List.of(), tmp.resolve("missing.png"), "no such file"),
                new Refusal(List.of(), notes, "unknown extension"),
                new Refusal(List.of("--raw"), garbage, "cannot be decoded"),
                new Refusal(List.of("--raw"), gray16, "samples are not 8-bit"))) {
            List<String> args = new ArrayList<>(publish);
            args.addAll(refusal.options());
            args.add(good.toString());  // a publishable file first: it must not go out either
            args.add(refusal.file().toString());
            Result result = python(args);
            assertThat(result.exitCode()).as(result.stderr()).isNotZero();
            assertThat(result.stderr()).contains(refusal.file().getFileName() + ": " + refusal.reason())
                    .contains("nothing was sent").doesNotContain("Traceback");
            assertThat(result.stdout()).as("delivery reports").isBlank();
        }

        // Then one publishable batch: the topic holds its frame and nothing from the refused ones.
        assertThat(run(publish, List.of(), List.of(good.toString()))).hasSize(1);
        List<ConsumerRecord<byte[], byte[]>> frames = PipelineTestSupport.readCommitted(KAFKA.broker(),
                topics.frames(), records -> !records.isEmpty(), Duration.ofSeconds(30), Duration.ofSeconds(2));
        assertThat(frames).hasSize(1);
    }

    private static List<String> concat(Collection<String> items, String more) {
        List<String> out = new ArrayList<>(items);
        out.add(more);
        return out;
    }

    /** Runs an example script; each stdout line is one JSON record. Fails with the script's stderr. */
    private static List<JsonNode> run(List<String> script, List<String> options, List<String> files)
            throws Exception {
        List<String> args = new ArrayList<>(script);
        args.addAll(options);
        args.addAll(files);
        Result result = python(args);
        assertThat(result.exitCode()).as("%s\nstderr:\n%s", args, result.stderr()).isZero();
        List<JsonNode> lines = new ArrayList<>();
        for (String line : result.stdout().split("\n")) {
            if (!line.isBlank()) {
                lines.add(JSON.readTree(line));
            }
        }
        return lines;
    }

    private record Result(int exitCode, String stdout, String stderr) {
    }

    private static Result python(List<String> args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>();
        command.add(PYTHON);
        command.addAll(args);
        // stderr goes to a file, so reading stdout to its end cannot block on a full stderr pipe.
        Path stderr = Files.createTempFile("python-stderr", ".txt");
        try {
            Process process = new ProcessBuilder(command).redirectInput(ProcessBuilder.Redirect.from(
                    new File("/dev/null"))).redirectError(stderr.toFile()).start();
            String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!process.waitFor(180, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                fail(command + " did not finish in 180 s");
            }
            return new Result(process.exitValue(), out, Files.readString(stderr));
        } finally {
            Files.deleteIfExists(stderr);
        }
    }
}
