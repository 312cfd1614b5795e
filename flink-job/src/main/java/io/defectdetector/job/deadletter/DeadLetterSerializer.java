package io.defectdetector.job.deadletter;

import io.defectdetector.frame.FrameHeaders;
import io.defectdetector.job.frames.RawFrameRecord;
import java.nio.charset.StandardCharsets;
import java.util.Objects;
import org.apache.flink.connector.kafka.sink.KafkaRecordSerializationSchema;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.internals.RecordHeaders;

/**
 * Writes a rejected record to the dead-letter topic as docs/wire-format.md specifies: the original key, value
 * and headers unchanged, followed by the dlq-* headers. Any dlq-* headers the original already carried (a record
 * replayed from the dead-letter topic) are kept before the new ones; Kafka's lastHeader gives the new values.
 */
public final class DeadLetterSerializer implements KafkaRecordSerializationSchema<DeadLetterRecord> {
    private static final long serialVersionUID = 1L;
    /** Headers are UTF-8 text; a detail is a sentence, this bound only stops a pathological message. */
    private static final int MAX_DETAIL_CHARS = 1000;

    private final String topic;

    public DeadLetterSerializer(String topic) {
        this.topic = Objects.requireNonNull(topic, "topic");
    }

    @Override
    public ProducerRecord<byte[], byte[]> serialize(DeadLetterRecord record, KafkaSinkContext context,
            Long timestamp) {
        return toProducerRecord(topic, record);
    }

    public static ProducerRecord<byte[], byte[]> toProducerRecord(String topic, DeadLetterRecord record) {
        return toProducerRecord(topic, record.getReason().name(), record.getDetail(), record.getRejectedAtMs(),
                record.getOriginal());
    }

    /** The one place that writes the dlq-* headers; refused control records use it too. */
    public static ProducerRecord<byte[], byte[]> toProducerRecord(String topic, String reasonCode, String detail,
            long rejectedAtMs, RawFrameRecord original) {
        RecordHeaders headers = original.kafkaHeaders();
        String text = detail == null ? "" : detail;
        if (text.length() > MAX_DETAIL_CHARS) {
            text = text.substring(0, MAX_DETAIL_CHARS) + "...";
        }
        headers.add(FrameHeaders.DLQ_REASON, utf8(reasonCode));
        headers.add(FrameHeaders.DLQ_DETAIL, utf8(text));
        headers.add(FrameHeaders.DLQ_SOURCE_TOPIC, utf8(original.getTopic()));
        headers.add(FrameHeaders.DLQ_SOURCE_PARTITION, utf8(Integer.toString(original.getPartition())));
        headers.add(FrameHeaders.DLQ_SOURCE_OFFSET, utf8(Long.toString(original.getOffset())));
        headers.add(FrameHeaders.DLQ_TIME, utf8(Long.toString(rejectedAtMs)));
        // Partition left to the producer: by key hash, like the frames topic, when there is a key.
        return new ProducerRecord<>(topic, null, null, original.getKey(), original.getValue(), headers);
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
