package io.defectdetector.job.control;

import com.fasterxml.jackson.databind.JsonNode;
import io.defectdetector.frame.ContentType;
import io.defectdetector.frame.FrameEncoder;
import io.defectdetector.job.alerts.AlertJson;
import io.defectdetector.job.alerts.ScoreRecord;
import io.defectdetector.job.config.JobConfig;
import io.defectdetector.job.testing.PipelineTestSupport.Topics;
import io.defectdetector.job.testing.PipelineTestSupport;
import io.defectdetector.kafka.LocalKafkaBroker;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;

/**
 * One end-to-end test's topics (frames, alerts, dead letters, scores, control, audit), its job options, and the
 * few records the control tests send: 16x16 frames whose tiny-graph score is set by one bright pixel, and
 * control commands.
 */
record ControlTopics(String prefix, Topics main, String control, String audit) {
    /** tiny-graph (3x3 mean filter): score = 20 * (8/9 * v/255)^2 for one pixel of value v on black. */
    static final int BRIGHT = 128;
    static final double BRIGHT_SCORE = 20 * Math.pow(8.0 / 9 * BRIGHT / 255.0, 2);

    static ControlTopics create(LocalKafkaBroker broker, String prefix) {
        ControlTopics t = withoutControlTopics(broker, prefix);
        t.createControlTopics(broker);
        return t;
    }

    /** Only the main topics: the control and audit topics are to be created later, while the job runs. */
    static ControlTopics withoutControlTopics(LocalKafkaBroker broker, String prefix) {
        ControlTopics t = new ControlTopics(prefix, Topics.withPrefix(prefix), prefix + "-control", prefix + "-audit");
        t.main.create(broker, 2);
        return t;
    }

    /** The audit topic first, as docs/operations.md asks, then the control topic. */
    void createControlTopics(LocalKafkaBroker broker) {
        broker.createTopic(audit, 1);
        broker.createTopic(control, 1);
    }

    JobConfig config(LocalKafkaBroker broker, Path model, Map<String, String> overrides) {
        Map<String, String> options = new HashMap<>();
        options.put("kafka-control-topic", control);
        options.put("kafka-audit-topic", audit);
        options.put("kafka-control-starting-offsets", "EARLIEST");
        options.put("batch-max-wait", "5 ms");
        options.put("alerts-thumbnails-enabled", "false");
        options.putAll(overrides);
        return PipelineTestSupport.config(broker, prefix, main, model, options);
    }

    ProducerRecord<byte[], byte[]> frame(String camera, String line, String frameId, int value) {
        return frame(camera, line, frameId, value, System.currentTimeMillis());
    }

    /** A black 16x16 frame whose centre pixel is {@code value}, captured at {@code captureTimeMs}. */
    ProducerRecord<byte[], byte[]> frame(String camera, String line, String frameId, int value, long captureTimeMs) {
        byte[] pixels = new byte[16 * 16];
        pixels[8 * 16 + 8] = (byte) value;
        return new FrameEncoder().encode(main.frames(), camera, frameId, captureTimeMs, line,
                ContentType.RAW_GRAY8, 16, 16, pixels);
    }

    /** Sends a control command; returns the audit id the job will report it under. */
    String sendControl(KafkaProducer<byte[], byte[]> producer, String json) throws Exception {
        RecordMetadata m = producer.send(new ProducerRecord<>(control, null, null,
                json.getBytes(StandardCharsets.UTF_8))).get();
        return control + "-" + m.partition() + "-" + m.offset();
    }

    /** Waits until the audit record of {@code auditId} is published (the change is in effect on every subtask). */
    JsonNode awaitAudit(LocalKafkaBroker broker, String auditId, Duration timeout) {
        List<ConsumerRecord<byte[], byte[]>> records = PipelineTestSupport.readCommitted(broker, audit,
                r -> r.stream().anyMatch(c -> auditId.equals(json(c).path("audit_id").asText())), timeout,
                Duration.ZERO);
        return records.stream().map(ControlTopics::json).filter(j -> auditId.equals(j.path("audit_id").asText()))
                .findFirst().orElseThrow();
    }

    List<ScoreRecord> awaitScores(LocalKafkaBroker broker, Predicate<List<ScoreRecord>> done, Duration timeout) {
        return PipelineTestSupport.readCommitted(broker, main.scores(), r -> done.test(scores(r)), timeout,
                Duration.ZERO).stream().map(r -> AlertJson.scoreFromBytes(r.value())).toList();
    }

    private static List<ScoreRecord> scores(List<ConsumerRecord<byte[], byte[]>> records) {
        return records.stream().map(r -> AlertJson.scoreFromBytes(r.value())).toList();
    }

    static JsonNode json(ConsumerRecord<byte[], byte[]> r) {
        return ControlJson.read(new String(r.value(), StandardCharsets.UTF_8));
    }
}
