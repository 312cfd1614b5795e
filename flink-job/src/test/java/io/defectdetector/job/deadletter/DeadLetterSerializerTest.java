package io.defectdetector.job.deadletter;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.defectdetector.frame.FrameHeaders;
import io.defectdetector.frame.RejectReason;
import io.defectdetector.job.frames.RawFrameRecord;
import io.defectdetector.job.testing.MalformedFrames;
import io.defectdetector.job.testing.TestRecords;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.record.AbstractRecords;
import org.apache.kafka.common.record.CompressionType;
import org.apache.kafka.common.record.RecordBatch;
import org.junit.jupiter.api.Test;

class DeadLetterSerializerTest {
    private static final int LIMIT = 960 * 1024;

    @Test
    void copiesKeyValueAndHeadersUnchangedThenAppendsDlqHeaders() {
        ProducerRecord<byte[], byte[]> sent = MalformedFrames.oneOfEach("frames", "cam-7")
                .get(RejectReason.SIZE_MISMATCH);
        RawFrameRecord original = RawFrameRecord.of(TestRecords.consumed(sent, 3, 42));
        DeadLetterRecord letter = new DeadLetterRecord(RejectReason.SIZE_MISMATCH,
                "expected 64 bytes for 8x8x1, got 63", 1_764_057_600_123L, original);

        ProducerRecord<byte[], byte[]> out = new DeadLetterSerializer("dead-letter", LIMIT)
                .serialize(letter, null, null);

        assertThat(out.topic()).isEqualTo("dead-letter");
        assertThat(out.key()).isEqualTo(sent.key());
        assertThat(out.value()).isEqualTo(sent.value());
        List<Header> headers = Arrays.asList(out.headers().toArray());
        List<Header> originalHeaders = Arrays.asList(sent.headers().toArray());
        assertThat(headers.subList(0, originalHeaders.size())).isEqualTo(originalHeaders);
        assertThat(headers.subList(originalHeaders.size(), headers.size())).extracting(Header::key)
                .containsExactly(FrameHeaders.DLQ_REASON, FrameHeaders.DLQ_DETAIL, FrameHeaders.DLQ_SOURCE_TOPIC,
                        FrameHeaders.DLQ_SOURCE_PARTITION, FrameHeaders.DLQ_SOURCE_OFFSET, FrameHeaders.DLQ_TIME);
        assertThat(text(out, FrameHeaders.DLQ_REASON)).isEqualTo("SIZE_MISMATCH");
        assertThat(text(out, FrameHeaders.DLQ_DETAIL)).isEqualTo("expected 64 bytes for 8x8x1, got 63");
        assertThat(text(out, FrameHeaders.DLQ_SOURCE_TOPIC)).isEqualTo("frames");
        assertThat(text(out, FrameHeaders.DLQ_SOURCE_PARTITION)).isEqualTo("3");
        assertThat(text(out, FrameHeaders.DLQ_SOURCE_OFFSET)).isEqualTo("42");
        assertThat(text(out, FrameHeaders.DLQ_TIME)).isEqualTo("1764057600123");
    }

    @Test
    void keepsNullKeyAndEmptyValueOfTheOriginal() {
        RawFrameRecord noKey = TestRecords.raw(MalformedFrames.oneOfEach("frames", "cam-1")
                .get(RejectReason.MISSING_KEY), 0);
        RawFrameRecord empty = TestRecords.raw(MalformedFrames.oneOfEach("frames", "cam-1")
                .get(RejectReason.EMPTY), 1);

        assertThat(DeadLetterSerializer.toProducerRecord("dlq",
                new DeadLetterRecord(RejectReason.MISSING_KEY, "no key", 1, noKey), LIMIT).key()).isNull();
        assertThat(DeadLetterSerializer.toProducerRecord("dlq",
                new DeadLetterRecord(RejectReason.EMPTY, "empty", 1, empty), LIMIT).value()).isEmpty();
    }

    @Test
    void newDlqHeadersWinOverThoseOfAReplayedDeadLetter() {
        RawFrameRecord first = TestRecords.raw(MalformedFrames.good("frames", "cam-1", "f", 8, 8), 5);
        ProducerRecord<byte[], byte[]> once = DeadLetterSerializer.toProducerRecord("dlq",
                new DeadLetterRecord(RejectReason.WRONG_SHAPE, "first", 1, first), LIMIT);
        RawFrameRecord replayed = TestRecords.raw(new ProducerRecord<>("frames", null, once.key(), once.value(),
                once.headers()), 9);

        ProducerRecord<byte[], byte[]> twice = DeadLetterSerializer.toProducerRecord("dlq",
                new DeadLetterRecord(RejectReason.EMPTY, "second", 2, replayed), LIMIT);

        assertThat(text(twice, FrameHeaders.DLQ_REASON)).isEqualTo("EMPTY");
        assertThat(text(twice, FrameHeaders.DLQ_SOURCE_OFFSET)).isEqualTo("9");
    }

    @Test
    void aRecordLargerThanTheLimitLosesItsValueAndSaysSoButKeepsKeyAndHeaders() {
        ProducerRecord<byte[], byte[]> sent = MalformedFrames.good("frames", "cam-1", "big", 4096, 512);
        RawFrameRecord original = TestRecords.raw(sent, 7);

        ProducerRecord<byte[], byte[]> out = DeadLetterSerializer.toProducerRecord("dlq",
                new DeadLetterRecord(RejectReason.WRONG_SHAPE, "8:1", 1, original), LIMIT);

        assertThat(out.value()).isNull();
        assertThat(out.key()).isEqualTo(sent.key());
        List<Header> originalHeaders = Arrays.asList(sent.headers().toArray());
        assertThat(Arrays.asList(out.headers().toArray()).subList(0, originalHeaders.size()))
                .isEqualTo(originalHeaders);
        assertThat(text(out, FrameHeaders.DLQ_OMITTED)).isEqualTo("value=" + 4096 * 512);
        assertThat(text(out, FrameHeaders.DLQ_REASON)).isEqualTo("WRONG_SHAPE");
    }

    @Test
    void aValueThatFitsIsKeptWholeUpToTheLimit() {
        ProducerRecord<byte[], byte[]> sent = MalformedFrames.good("frames", "cam-1", "fits", 1000, 900);
        ProducerRecord<byte[], byte[]> out = DeadLetterSerializer.toProducerRecord("dlq",
                new DeadLetterRecord(RejectReason.WRONG_SHAPE, "10:9", 1, TestRecords.raw(sent, 7)), LIMIT);

        assertThat(out.value()).isEqualTo(sent.value());
        assertThat(out.headers().lastHeader(FrameHeaders.DLQ_OMITTED)).isNull();
        assertThat(serializedSize(out)).isLessThanOrEqualTo(LIMIT);
    }

    @Test
    void hugeHeadersAndKeyAreLeftOutInTurnAndTheLetterStaysWithinTheLimit() {
        int limit = DeadLetterSerializer.MIN_MAX_BYTES;
        RecordHeaders headers = new RecordHeaders();
        for (int i = 0; i < 40; i++) {
            headers.add("note-" + i, new byte[1024]);
        }
        byte[] key = new byte[20_000];
        RawFrameRecord original = TestRecords.raw(new ProducerRecord<>("frames", null, key, new byte[64],
                headers), 3);

        ProducerRecord<byte[], byte[]> out = DeadLetterSerializer.toProducerRecord("dlq",
                new DeadLetterRecord(RejectReason.GARBLED_KEY, "x".repeat(5000), 1, original), limit);

        assertThat(out.key()).isNull();
        assertThat(out.value()).isNull();
        assertThat(out.headers().lastHeader("note-0")).isNull();
        assertThat(text(out, FrameHeaders.DLQ_OMITTED)).matches("value=64,headers=\\d+,key=20000");
        assertThat(text(out, FrameHeaders.DLQ_REASON)).isEqualTo("GARBLED_KEY");
        assertThat(serializedSize(out)).isLessThanOrEqualTo(limit);
    }

    @Test
    void refusesALimitTheDlqHeadersAloneCouldExceed() {
        assertThatThrownBy(() -> new DeadLetterSerializer("dlq", 1000))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("at least 16384 bytes");
    }

    /** What Kafka's producer counts against max.request.size for a batch of this one record. */
    private static int serializedSize(ProducerRecord<byte[], byte[]> record) {
        return AbstractRecords.estimateSizeInBytesUpperBound(RecordBatch.CURRENT_MAGIC_VALUE, CompressionType.NONE,
                record.key(), record.value(), record.headers().toArray());
    }

    private static String text(ProducerRecord<byte[], byte[]> record, String header) {
        return new String(record.headers().lastHeader(header).value(), StandardCharsets.UTF_8);
    }
}
