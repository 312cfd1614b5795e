package io.defectdetector.job.testing;

import io.defectdetector.job.frames.RawFrameRecord;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.record.TimestampType;

/** Producer records as the job's source would read them back. */
public final class TestRecords {
    private TestRecords() {
    }

    public static ConsumerRecord<byte[], byte[]> consumed(ProducerRecord<byte[], byte[]> r, int partition,
            long offset) {
        RecordHeaders headers = new RecordHeaders(r.headers().toArray());
        return new ConsumerRecord<>(r.topic(), partition, offset, 1_700_000_000_000L + offset,
                TimestampType.CREATE_TIME, r.key() == null ? -1 : r.key().length,
                r.value() == null ? -1 : r.value().length, r.key(), r.value(), headers, java.util.Optional.empty());
    }

    public static RawFrameRecord raw(ProducerRecord<byte[], byte[]> r, long offset) {
        return RawFrameRecord.of(consumed(r, 0, offset));
    }
}
