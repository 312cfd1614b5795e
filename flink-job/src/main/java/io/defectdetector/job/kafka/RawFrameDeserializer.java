package io.defectdetector.job.kafka;

import io.defectdetector.job.frames.RawFrameRecord;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.connector.kafka.source.reader.deserializer.KafkaRecordDeserializationSchema;
import org.apache.flink.util.Collector;
import org.apache.kafka.clients.consumer.ConsumerRecord;

/**
 * Keeps each Kafka record whole (key, value, headers, topic, partition, offset) and decodes nothing: decoding
 * happens in {@code FrameDecodeFunction}, where a bad record becomes a dead letter with its original bytes
 * instead of an exception that would fail the source.
 */
public final class RawFrameDeserializer implements KafkaRecordDeserializationSchema<RawFrameRecord> {
    private static final long serialVersionUID = 1L;

    @Override
    public void deserialize(ConsumerRecord<byte[], byte[]> record, Collector<RawFrameRecord> out) {
        out.collect(RawFrameRecord.of(record));
    }

    @Override
    public TypeInformation<RawFrameRecord> getProducedType() {
        return TypeInformation.of(RawFrameRecord.class);
    }
}
