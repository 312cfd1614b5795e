package io.defectdetector.job.frames;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Objects;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeaders;

/**
 * A frame record exactly as read from Kafka, not yet decoded, so a rejected one can be copied to the dead-letter
 * topic byte for byte. A Flink POJO: headers are kept as two parallel arrays (names and values, in record order,
 * duplicates included) because Kafka's {@code Headers} is not serializable by Flink.
 */
public class RawFrameRecord {
    private String topic;
    private int partition;
    private long offset;
    /** Kafka record timestamp, epoch ms (-1 when the record has none). */
    private long timestamp;
    private byte[] key;
    private byte[] value;
    private String[] headerNames;
    private byte[][] headerValues;

    public RawFrameRecord() {
    }

    public RawFrameRecord(String topic, int partition, long offset, long timestamp, byte[] key, byte[] value,
            String[] headerNames, byte[][] headerValues) {
        if (headerNames.length != headerValues.length) {
            throw new IllegalArgumentException("header names and values differ in length");
        }
        this.topic = topic;
        this.partition = partition;
        this.offset = offset;
        this.timestamp = timestamp;
        this.key = key;
        this.value = value;
        this.headerNames = headerNames;
        this.headerValues = headerValues;
    }

    /** Keeps the record's arrays (no copy): the consumer hands each record out once. */
    public static RawFrameRecord of(ConsumerRecord<byte[], byte[]> record) {
        Header[] headers = record.headers().toArray();
        String[] names = new String[headers.length];
        byte[][] values = new byte[headers.length][];
        for (int i = 0; i < headers.length; i++) {
            names[i] = headers[i].key();
            values[i] = headers[i].value();
        }
        return new RawFrameRecord(record.topic(), record.partition(), record.offset(), record.timestamp(),
                record.key(), record.value(), names, values);
    }

    /** Kafka headers with the original order and duplicates, for {@code FrameDecoder} and the dead-letter copy. */
    public RecordHeaders kafkaHeaders() {
        RecordHeaders headers = new RecordHeaders();
        for (int i = 0; i < headerNames.length; i++) {
            headers.add(headerNames[i], headerValues[i]);
        }
        return headers;
    }

    /** The last value of a header as UTF-8 text (as Kafka's lastHeader), or null. For logs and tests only. */
    public String lastHeaderText(String name) {
        for (int i = headerNames.length - 1; i >= 0; i--) {
            if (headerNames[i].equals(name)) {
                return headerValues[i] == null ? null : new String(headerValues[i], StandardCharsets.UTF_8);
            }
        }
        return null;
    }

    public String getTopic() {
        return topic;
    }

    public void setTopic(String topic) {
        this.topic = topic;
    }

    public int getPartition() {
        return partition;
    }

    public void setPartition(int partition) {
        this.partition = partition;
    }

    public long getOffset() {
        return offset;
    }

    public void setOffset(long offset) {
        this.offset = offset;
    }

    public long getTimestamp() {
        return timestamp;
    }

    public void setTimestamp(long timestamp) {
        this.timestamp = timestamp;
    }

    public byte[] getKey() {
        return key;
    }

    public void setKey(byte[] key) {
        this.key = key;
    }

    public byte[] getValue() {
        return value;
    }

    public void setValue(byte[] value) {
        this.value = value;
    }

    public String[] getHeaderNames() {
        return headerNames;
    }

    public void setHeaderNames(String[] headerNames) {
        this.headerNames = headerNames;
    }

    public byte[][] getHeaderValues() {
        return headerValues;
    }

    public void setHeaderValues(byte[][] headerValues) {
        this.headerValues = headerValues;
    }

    @Override
    public boolean equals(Object o) {
        if (this == o) {
            return true;
        }
        if (!(o instanceof RawFrameRecord other)) {
            return false;
        }
        return partition == other.partition && offset == other.offset && timestamp == other.timestamp
                && Objects.equals(topic, other.topic) && Arrays.equals(key, other.key)
                && Arrays.equals(value, other.value) && Arrays.equals(headerNames, other.headerNames)
                && Arrays.deepEquals(headerValues, other.headerValues);
    }

    @Override
    public int hashCode() {
        return Objects.hash(topic, partition, offset);
    }

    @Override
    public String toString() {
        return "RawFrameRecord{" + topic + "-" + partition + "@" + offset + ", key="
                + (key == null ? "null" : key.length + " bytes") + ", value="
                + (value == null ? "null" : value.length + " bytes") + ", headers=" + Arrays.toString(headerNames)
                + "}";
    }
}
