package io.defectdetector.job.control;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.defectdetector.job.alerts.IsoMillis;
import java.nio.charset.StandardCharsets;
import java.util.Objects;
import org.apache.flink.connector.kafka.sink.KafkaRecordSerializationSchema;
import org.apache.kafka.clients.producer.ProducerRecord;

/** An audit record as JSON (docs/operations.md), keyed by its target so one target's history stays ordered. */
public final class AuditSerializer implements KafkaRecordSerializationSchema<AuditRecord> {
    private static final long serialVersionUID = 1L;

    private final String topic;

    public AuditSerializer(String topic) {
        this.topic = Objects.requireNonNull(topic, "topic");
    }

    @Override
    public ProducerRecord<byte[], byte[]> serialize(AuditRecord audit, KafkaSinkContext context, Long timestamp) {
        return new ProducerRecord<>(topic, null, null, audit.getTarget().getBytes(StandardCharsets.UTF_8),
                toJson(audit).getBytes(StandardCharsets.UTF_8));
    }

    /** The published JSON: the body plus when the last instance applied it and how many instances did. */
    public static String toJson(AuditRecord audit) {
        ObjectNode node = ControlJson.read(audit.getBody());
        node.put("applied_at", IsoMillis.format(audit.getAppliedAtMs()));
        node.put("subtasks", audit.getAcks());
        return ControlJson.write(node);
    }
}
