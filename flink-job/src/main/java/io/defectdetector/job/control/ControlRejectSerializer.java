package io.defectdetector.job.control;

import io.defectdetector.job.deadletter.DeadLetterSerializer;
import java.util.Objects;
import org.apache.flink.connector.kafka.sink.KafkaRecordSerializationSchema;
import org.apache.kafka.clients.producer.ProducerRecord;

/**
 * Writes a refused control record to the dead-letter topic the way refused frames are written
 * (docs/wire-format.md): key, value and headers unchanged (up to the size limit), then the dlq-* headers, with
 * {@code dlq-reason = CONTROL_<REASON>} and {@code dlq-source-topic} naming the control topic, within the same
 * size limit.
 */
public final class ControlRejectSerializer implements KafkaRecordSerializationSchema<ControlReject> {
    private static final long serialVersionUID = 1L;

    private final String topic;
    private final int maxBytes;

    public ControlRejectSerializer(String topic, int maxBytes) {
        this.topic = Objects.requireNonNull(topic, "topic");
        this.maxBytes = DeadLetterSerializer.checkMaxBytes(maxBytes);
    }

    @Override
    public ProducerRecord<byte[], byte[]> serialize(ControlReject reject, KafkaSinkContext context, Long timestamp) {
        return DeadLetterSerializer.toProducerRecord(topic, reject.getReason().code(), reject.getDetail(),
                reject.getRejectedAtMs(), reject.getOriginal(), maxBytes);
    }
}
