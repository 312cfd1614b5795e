package io.defectdetector.job.kafka;

import io.defectdetector.job.alerts.AlertJson;
import io.defectdetector.job.alerts.ScoreRecord;
import java.nio.charset.StandardCharsets;
import java.util.Objects;
import org.apache.flink.connector.kafka.sink.KafkaRecordSerializationSchema;
import org.apache.kafka.clients.producer.ProducerRecord;

/** A per-frame score as a small JSON record (docs/alerts.md) keyed by camera id. */
public final class ScoreSerializer implements KafkaRecordSerializationSchema<ScoreRecord> {
    private static final long serialVersionUID = 1L;

    private final String topic;

    public ScoreSerializer(String topic) {
        this.topic = Objects.requireNonNull(topic, "topic");
    }

    @Override
    public ProducerRecord<byte[], byte[]> serialize(ScoreRecord score, KafkaSinkContext context, Long timestamp) {
        return new ProducerRecord<>(topic, null, null, score.getCameraId().getBytes(StandardCharsets.UTF_8),
                AlertJson.toBytes(score));
    }
}
