package io.defectdetector.job.control;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import io.defectdetector.job.alerts.AlertJson;
import io.defectdetector.job.alerts.DefectAlert;
import io.defectdetector.job.alerts.ScoreRecord;
import io.defectdetector.job.testing.PipelineTestSupport;
import io.defectdetector.job.thresholds.ThresholdSuggestion;
import io.defectdetector.kafka.LocalKafkaExtension;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.Arrays;
import java.util.Random;
import java.util.stream.Stream;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import picocli.CommandLine;

/**
 * {@code thresholds suggest} against score records on a real broker: it picks the camera, the period and the
 * newest model version, and prints a command the job accepts whose threshold follows the calibration rule.
 */
class ThresholdSuggestITCase {
    @RegisterExtension
    static final LocalKafkaExtension KAFKA = new LocalKafkaExtension();

    private static final String TOPIC = "suggest-scores";

    @Test
    void suggestsFromTheCamerasRecentFramesOfTheNewestModelOnly() throws Exception {
        KAFKA.broker().createTopic(TOPIC, 3);
        long now = System.currentTimeMillis();
        Random random = new Random(7);
        float[] expected = new float[300];
        try (KafkaProducer<byte[], byte[]> producer = PipelineTestSupport.producer(KAFKA.broker())) {
            for (int i = 0; i < expected.length; i++) {  // what the suggestion must come from
                expected[i] = 0.2f + 0.6f * random.nextFloat();
                send(producer, score("cam-a", "a-" + i, now - 30 * 60_000 + i, expected[i], "2"));
            }
            for (int i = 0; i < 50; i++) {  // an older model version, another camera, frames before the period
                send(producer, score("cam-a", "old-model-" + i, now - 40 * 60_000, 5f, "1"));
                send(producer, score("cam-b", "b-" + i, now - 10 * 60_000, 7f, "2"));
                send(producer, score("cam-a", "early-" + i, now - 3 * 3600_000, 9f, "2"));
            }
        }

        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = new CommandLine(new ThresholdSuggestCli()).setOut(new PrintWriter(out)).setErr(new PrintWriter(err))
                .execute("--bootstrap-servers", KAFKA.broker().bootstrapServers(), "--scores-topic", TOPIC,
                        "--camera", "cam-a", "--last", "1h", "--target-far", "0.02", "--by", "alice");

        assertThat(code).as(err.toString()).isZero();
        System.out.print(err);  // the figures docs/operations.md shows
        System.out.print(out);
        JsonNode command = ControlJson.MAPPER.readTree(out.toString());
        assertThat(command.path("action").asText()).isEqualTo("set");
        assertThat(command.path("target").asText()).isEqualTo("camera:cam-a");
        assertThat(command.path("by").asText()).isEqualTo("alice");
        assertThat(command.path("image_score").asDouble())
                .isCloseTo(ThresholdSuggestion.of(expected, 0.02).imageScore(), within(1e-9));
        ControlCommandParser.parse(out.toString().strip());
        assertThat(err.toString()).contains("camera:cam-a: 300 frames").contains("model cae-test 2")
                .contains("1 older model version(s) in the period left out").contains("rank 295 of the 300 scores");
    }

    /**
     * A line's threshold reaches only its cameras without an image threshold of their own, so the frames of a
     * camera with its own override (here scoring far higher) must not raise the line's suggestion; for the
     * default, neither do frames under a line's override.
     */
    @Test
    void leavesOutFramesWhoseImageThresholdAMoreSpecificOverrideSets() throws Exception {
        String topic = TOPIC + "-lines";
        KAFKA.broker().createTopic(topic, 2);
        long now = System.currentTimeMillis();
        float[] governed = new float[200];
        try (KafkaProducer<byte[], byte[]> producer = PipelineTestSupport.producer(KAFKA.broker())) {
            for (int i = 0; i < governed.length; i++) {
                governed[i] = 0.1f + 0.001f * i;
                ScoreRecord own = score("cam-a", "a-" + i, now - 60_000 + i, governed[i], "2");
                own.setLine("line-1");
                own.setThresholdSource(i % 2 == 0 ? "default" : "line:line-1");
                producer.send(new ProducerRecord<>(topic, own.getCameraId().getBytes(), AlertJson.toBytes(own)));
                ScoreRecord tuned = score("cam-hot", "hot-" + i, now - 60_000 + i, 3f + i, "2");
                tuned.setLine("line-1");
                tuned.setThresholdSource("camera:cam-hot");
                producer.send(new ProducerRecord<>(topic, tuned.getCameraId().getBytes(), AlertJson.toBytes(tuned)));
            }
        }

        StringWriter err = new StringWriter();
        JsonNode line = suggest(topic, err, "--line", "line-1");
        assertThat(line.path("target").asText()).isEqualTo("line:line-1");
        assertThat(line.path("image_score").asDouble())
                .isCloseTo(ThresholdSuggestion.of(governed, 0.01).imageScore(), within(1e-9));
        assertThat(err.toString()).contains("line:line-1: 200 frames")
                .contains("200 frames whose image threshold a more specific override set left out");

        float[] underDefault = new float[100];
        for (int i = 0; i < underDefault.length; i++) {
            underDefault[i] = governed[2 * i];
        }
        err = new StringWriter();
        assertThat(suggest(topic, err).path("image_score").asDouble())
                .isCloseTo(ThresholdSuggestion.of(underDefault, 0.01).imageScore(), within(1e-9));
        assertThat(err.toString()).contains("default: 100 frames").contains("300 frames whose image threshold");

        err = new StringWriter();
        assertThat(suggest(topic, err, "--camera", "cam-hot").path("image_score").asDouble()).isGreaterThan(3.0);
        assertThat(err.toString()).contains("camera:cam-hot: 200 frames").doesNotContain("left out");

        // A newer model whose frames of line-1 all follow a camera's own override: nothing to suggest from, and
        // not the older model's scores either (another scale).
        Thread.sleep(5);
        try (KafkaProducer<byte[], byte[]> producer = PipelineTestSupport.producer(KAFKA.broker())) {
            for (int i = 0; i < 20; i++) {
                ScoreRecord tuned = score("cam-hot", "new-" + i, now - 30_000 + i, 0.5f, "3");
                tuned.setLine("line-1");
                tuned.setThresholdSource("camera:cam-hot");
                producer.send(new ProducerRecord<>(topic, tuned.getCameraId().getBytes(), AlertJson.toBytes(tuned)));
            }
        }
        StringWriter refused = new StringWriter();
        assertThat(new CommandLine(new ThresholdSuggestCli()).setErr(new PrintWriter(refused)).execute(
                "--bootstrap-servers", KAFKA.broker().bootstrapServers(), "--scores-topic", topic, "--line", "line-1",
                "--by", "alice")).isEqualTo(2);
        assertThat(refused.toString()).contains("all 20 frames of line:line-1").contains("model cae-test 3")
                .contains("would change none of them");
    }

    @Test
    void leavesOutFramesOutsideTheModelsInputRange() throws Exception {
        String topic = TOPIC + "-input-range";
        KAFKA.broker().createTopic(topic, 1);
        long now = System.currentTimeMillis();
        float[] seen = new float[100];
        try (KafkaProducer<byte[], byte[]> producer = PipelineTestSupport.producer(KAFKA.broker())) {
            for (int i = 0; i < seen.length; i++) {
                seen[i] = 0.2f + 0.002f * i;
                ScoreRecord r = score("cam-b", "b-" + i, now - 60_000 + i, seen[i], "2");
                producer.send(new ProducerRecord<>(topic, r.getCameraId().getBytes(), AlertJson.toBytes(r)));
                if (i % 5 == 0) {  // the lens covered now and then: high scores the threshold cannot help
                    ScoreRecord blank = score("cam-b", "blank-" + i, now - 60_000 + i, 40f, "2");
                    blank.setCause(DefectAlert.CAUSE_FRAME);
                    producer.send(new ProducerRecord<>(topic, blank.getCameraId().getBytes(),
                            AlertJson.toBytes(blank)));
                }
                ScoreRecord dark = score("cam-dark", "d-" + i, now - 60_000 + i, 0.1f, "2");
                dark.setCause(DefectAlert.CAUSE_FRAME);
                dark.setAlert(true);
                producer.send(new ProducerRecord<>(topic, dark.getCameraId().getBytes(), AlertJson.toBytes(dark)));
            }
        }

        StringWriter err = new StringWriter();
        assertThat(suggest(topic, err, "--camera", "cam-b").path("image_score").asDouble())
                .isCloseTo(ThresholdSuggestion.of(seen, 0.01).imageScore(), within(1e-9));
        assertThat(err.toString()).contains("camera:cam-b: 100 frames")
                .contains("20 frames outside the model's input range left out");

        StringWriter refused = new StringWriter();
        assertThat(new CommandLine(new ThresholdSuggestCli()).setErr(new PrintWriter(refused)).execute(
                "--bootstrap-servers", KAFKA.broker().bootstrapServers(), "--scores-topic", topic, "--camera",
                "cam-dark", "--by", "alice")).isEqualTo(2);
        assertThat(refused.toString()).contains("all 100 frames of camera:cam-dark")
                .contains("outside the model's input range").contains("no threshold changes that");
    }

    private static JsonNode suggest(String topic, StringWriter err, String... target) throws Exception {
        StringWriter out = new StringWriter();
        String[] args = {"--bootstrap-servers", KAFKA.broker().bootstrapServers(), "--scores-topic", topic,
                "--by", "alice"};
        String[] all = Stream.concat(Arrays.stream(args), Arrays.stream(target))
                .toArray(String[]::new);
        int code = new CommandLine(new ThresholdSuggestCli()).setOut(new PrintWriter(out))
                .setErr(new PrintWriter(err)).execute(all);
        assertThat(code).as(err.toString()).isZero();
        return ControlJson.MAPPER.readTree(out.toString());
    }

    @Test
    void saysWhyWhenThereIsNothingToSuggestFrom() {
        KAFKA.broker().createTopic(TOPIC + "-empty", 1);
        StringWriter err = new StringWriter();
        int code = new CommandLine(new ThresholdSuggestCli()).setErr(new PrintWriter(err)).execute(
                "--bootstrap-servers", KAFKA.broker().bootstrapServers(), "--scores-topic", TOPIC + "-empty",
                "--line", "line-9", "--by", "alice");

        assertThat(code).isEqualTo(2);
        assertThat(err.toString()).contains("no score records of line:line-9").contains("scores-enabled");

        StringWriter bad = new StringWriter();
        assertThat(new CommandLine(new ThresholdSuggestCli()).setErr(new PrintWriter(bad)).execute(
                "--bootstrap-servers", KAFKA.broker().bootstrapServers(), "--target-far", "1.5", "--by", "alice"))
                .isEqualTo(2);
        assertThat(bad.toString()).contains("error: target false-alarm rate must be in (0, 1)")
                .doesNotContain("Exception");
        StringWriter bare = new StringWriter();  // Flink's parser would read a bare 2 as 2 ms
        assertThat(new CommandLine(new ThresholdSuggestCli()).setErr(new PrintWriter(bare)).execute(
                "--bootstrap-servers", KAFKA.broker().bootstrapServers(), "--last", "2", "--by", "alice"))
                .isEqualTo(2);
        assertThat(bare.toString()).contains("'2' has no unit: give one, e.g. 2s");
    }

    private static ScoreRecord score(String camera, String frame, long captureTime, float value, String version) {
        ScoreRecord r = new ScoreRecord();
        r.setCameraId(camera);
        r.setFrameId(frame);
        r.setCaptureTimeMs(captureTime);
        r.setDetectionTimeMs("1".equals(version) ? captureTime : System.currentTimeMillis());
        r.setScore(value);
        r.setThreshold(1.0f);
        r.setAlert(value >= 1.0);
        r.setModelName("cae-test");
        r.setModelVersion(version);
        return r;
    }

    private static void send(KafkaProducer<byte[], byte[]> producer, ScoreRecord r) {
        producer.send(new ProducerRecord<>(TOPIC, r.getCameraId().getBytes(), AlertJson.toBytes(r)));
    }
}
