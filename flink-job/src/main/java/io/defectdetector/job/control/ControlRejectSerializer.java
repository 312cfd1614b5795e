package io.defectdetector.job.control;

import io.defectdetector.frame.FrameHeaders;
import io.defectdetector.job.frames.RawFrameRecord;
import java.nio.charset.StandardCharsets;
import java.util.Objects;
import org.apache.flink.connector.kafka.sink.KafkaRecordSerializationSchema;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.internals.RecordHeaders;

/**
 * Writes a refused control record to the dead-letter topic the way refused frames are written
 * (docs/wire-format.md): key, value and headers unchanged, then the dlq-* headers, with
 * {@code dlq-reason = CONTROL_<REASON>} and {@code dlq-source-topic} naming the control topic.
 */
public final class ControlRejectSerializer implements KafkaRecordSerializationSchema<ControlReject> {
    private static final long serialVersionUID = 1L;
    private static final int MAX_DETAIL_CHARS = 1000;

    private final String topic;

    public ControlRejectSerializer(String topic) {
        this.topic = Objects.requireNonNull(topic, "topic");
    }

    @Override
    public ProducerRecord<byte[], byte[]> serialize(ControlReject reject, KafkaSinkContext context, Long timestamp) {
        RawFrameRecord original = reject.getOriginal();
        RecordHeaders headers = original.kafkaHeaders();
        String detail = reject.getDetail() == null ? "" : reject.getDetail();
        if (detail.length() > MAX_DETAIL_CHARS) {
            detail = detail.substring(0, MAX_DETAIL_CHARS) + "...";
        }
        headers.add(FrameHeaders.DLQ_REASON, utf8(reject.getReason().code()));
        headers.add(FrameHeaders.DLQ_DETAIL, utf8(detail));
        headers.add(FrameHeaders.DLQ_SOURCE_TOPIC, utf8(original.getTopic()));
        headers.add(FrameHeaders.DLQ_SOURCE_PARTITION, utf8(Integer.toString(original.getPartition())));
        headers.add(FrameHeaders.DLQ_SOURCE_OFFSET, utf8(Long.toString(original.getOffset())));
        headers.add(FrameHeaders.DLQ_TIME, utf8(Long.toString(reject.getRejectedAtMs())));
        return new ProducerRecord<>(topic, null, null, original.getKey(), original.getValue(), headers);
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
