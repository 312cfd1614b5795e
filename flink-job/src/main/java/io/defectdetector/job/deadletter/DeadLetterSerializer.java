package io.defectdetector.job.deadletter;

import io.defectdetector.frame.FrameHeaders;
import io.defectdetector.job.frames.RawFrameRecord;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.apache.flink.connector.kafka.sink.KafkaRecordSerializationSchema;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeader;
import org.apache.kafka.common.header.internals.RecordHeaders;

/**
 * Writes a rejected record to the dead-letter topic as docs/wire-format.md specifies: the original key, value
 * and headers unchanged, followed by the dlq-* headers. Any dlq-* headers the original already carried (a record
 * replayed from the dead-letter topic) are kept before the new ones; Kafka's lastHeader gives the new values.
 *
 * <p>A dead letter is at most {@code maxBytes} (key, value and headers): a larger one would be refused by the
 * producer or the broker, and the sink would fail the job at every restart on the same record. So the value is
 * left out first, then the original headers, then the key, and {@code dlq-omitted} says what and how many bytes.
 */
public final class DeadLetterSerializer implements KafkaRecordSerializationSchema<DeadLetterRecord> {
    private static final long serialVersionUID = 1L;
    /** Headers are UTF-8 text; a detail is a sentence, this bound only stops a pathological message. */
    private static final int MAX_DETAIL_CHARS = 1000;
    /** Smallest allowed {@code maxBytes}: the dlq-* headers alone always fit. */
    public static final int MIN_MAX_BYTES = 16 * 1024;
    /** Upper bounds of Kafka's framing: a one-record batch's header and lengths, and a header's lengths. */
    private static final int RECORD_OVERHEAD = 256;
    private static final int HEADER_OVERHEAD = 12;

    private final String topic;
    private final int maxBytes;

    public DeadLetterSerializer(String topic, int maxBytes) {
        this.topic = Objects.requireNonNull(topic, "topic");
        this.maxBytes = checkMaxBytes(maxBytes);
    }

    @Override
    public ProducerRecord<byte[], byte[]> serialize(DeadLetterRecord record, KafkaSinkContext context,
            Long timestamp) {
        return toProducerRecord(topic, record, maxBytes);
    }

    public static ProducerRecord<byte[], byte[]> toProducerRecord(String topic, DeadLetterRecord record,
            int maxBytes) {
        return toProducerRecord(topic, record.getReason().name(), record.getDetail(), record.getRejectedAtMs(),
                record.getOriginal(), maxBytes);
    }

    /** The one place that writes the dlq-* headers; refused control records use it too. */
    public static ProducerRecord<byte[], byte[]> toProducerRecord(String topic, String reasonCode, String detail,
            long rejectedAtMs, RawFrameRecord original, int maxBytes) {
        checkMaxBytes(maxBytes);
        String text = detail == null ? "" : detail;
        if (text.length() > MAX_DETAIL_CHARS) {
            text = text.substring(0, MAX_DETAIL_CHARS) + "...";
        }
        List<Header> dlq = new ArrayList<>(List.of(
                header(FrameHeaders.DLQ_REASON, reasonCode),
                header(FrameHeaders.DLQ_DETAIL, text),
                header(FrameHeaders.DLQ_SOURCE_TOPIC, original.getTopic()),
                header(FrameHeaders.DLQ_SOURCE_PARTITION, Integer.toString(original.getPartition())),
                header(FrameHeaders.DLQ_SOURCE_OFFSET, Long.toString(original.getOffset())),
                header(FrameHeaders.DLQ_TIME, Long.toString(rejectedAtMs))));
        byte[] key = original.getKey();
        byte[] value = original.getValue();
        RecordHeaders originalHeaders = original.kafkaHeaders();
        // Room for dlq-omitted itself (a few dozen bytes) and the record's own framing in its batch.
        long budget = maxBytes - size(dlq) - RECORD_OVERHEAD;
        List<String> omitted = new ArrayList<>();
        if (length(key) + length(value) + size(originalHeaders) > budget && length(value) > 0) {
            omitted.add("value=" + value.length);
            value = null;
        }
        if (length(key) + size(originalHeaders) > budget && originalHeaders.toArray().length > 0) {
            omitted.add("headers=" + bytes(originalHeaders));
            originalHeaders = new RecordHeaders();
        }
        if (length(key) > budget) {
            omitted.add("key=" + key.length);
            key = null;
        }
        RecordHeaders headers = originalHeaders;
        dlq.forEach(headers::add);
        if (!omitted.isEmpty()) {
            headers.add(header(FrameHeaders.DLQ_OMITTED, String.join(",", omitted)));
        }
        // Partition left to the producer: by key hash, like the frames topic, when there is a key.
        return new ProducerRecord<>(topic, null, null, key, value, headers);
    }

    /** @throws IllegalArgumentException when {@code maxBytes} is below {@link #MIN_MAX_BYTES} */
    public static int checkMaxBytes(int maxBytes) {
        if (maxBytes < MIN_MAX_BYTES) {
            throw new IllegalArgumentException("a dead letter's size limit must be at least " + MIN_MAX_BYTES
                    + " bytes, got " + maxBytes);
        }
        return maxBytes;
    }

    /** What the headers take in a record, their framing included. */
    private static long size(Iterable<Header> headers) {
        long size = 0;
        for (Header h : headers) {
            size += HEADER_OVERHEAD + bytes(h);
        }
        return size;
    }

    /** The headers' keys and values in bytes, as dlq-omitted reports them. */
    private static long bytes(Iterable<Header> headers) {
        long bytes = 0;
        for (Header h : headers) {
            bytes += bytes(h);
        }
        return bytes;
    }

    private static long bytes(Header h) {
        return h.key().getBytes(StandardCharsets.UTF_8).length + length(h.value());
    }

    private static long length(byte[] bytes) {
        return bytes == null ? 0 : bytes.length;
    }

    private static Header header(String key, String value) {
        return new RecordHeader(key, value.getBytes(StandardCharsets.UTF_8));
    }
}
