package io.defectdetector.job.kafka;

import io.defectdetector.job.alerts.AlertJson;
import io.defectdetector.job.alerts.DefectAlert;
import java.nio.charset.StandardCharsets;
import java.util.Objects;
import org.apache.flink.connector.kafka.sink.KafkaRecordSerializationSchema;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.internals.RecordHeaders;

/**
 * An alert as a Kafka record: key = camera id (one partition per camera keeps its alerts in order), value = the
 * alert JSON (docs/alerts.md), header {@code alert-id} so consumers can de-duplicate without parsing.
 */
public final class AlertSerializer implements KafkaRecordSerializationSchema<DefectAlert> {
    private static final long serialVersionUID = 1L;
    public static final String ALERT_ID_HEADER = "alert-id";

    private final String topic;

    public AlertSerializer(String topic) {
        this.topic = Objects.requireNonNull(topic, "topic");
    }

    @Override
    public ProducerRecord<byte[], byte[]> serialize(DefectAlert alert, KafkaSinkContext context, Long timestamp) {
        RecordHeaders headers = new RecordHeaders();
        headers.add(ALERT_ID_HEADER, alert.getAlertId().getBytes(StandardCharsets.UTF_8));
        return new ProducerRecord<>(topic, null, null, alert.getCameraId().getBytes(StandardCharsets.UTF_8),
                AlertJson.toBytes(alert), headers);
    }
}
