package io.defectdetector.job.deadletter;

import static org.assertj.core.api.Assertions.assertThat;

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
import org.junit.jupiter.api.Test;

class DeadLetterSerializerTest {

    @Test
    void copiesKeyValueAndHeadersUnchangedThenAppendsDlqHeaders() {
        ProducerRecord<byte[], byte[]> sent = MalformedFrames.oneOfEach("frames", "cam-7")
                .get(RejectReason.SIZE_MISMATCH);
        RawFrameRecord original = RawFrameRecord.of(TestRecords.consumed(sent, 3, 42));
        DeadLetterRecord letter = new DeadLetterRecord(RejectReason.SIZE_MISMATCH,
                "expected 64 bytes for 8x8x1, got 63", 1_764_057_600_123L, original);

        ProducerRecord<byte[], byte[]> out = new DeadLetterSerializer("dead-letter").serialize(letter, null, null);

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
                new DeadLetterRecord(RejectReason.MISSING_KEY, "no key", 1, noKey)).key()).isNull();
        assertThat(DeadLetterSerializer.toProducerRecord("dlq",
                new DeadLetterRecord(RejectReason.EMPTY, "empty", 1, empty)).value()).isEmpty();
    }

    @Test
    void newDlqHeadersWinOverThoseOfAReplayedDeadLetter() {
        RawFrameRecord first = TestRecords.raw(MalformedFrames.good("frames", "cam-1", "f", 8, 8), 5);
        ProducerRecord<byte[], byte[]> once = DeadLetterSerializer.toProducerRecord("dlq",
                new DeadLetterRecord(RejectReason.WRONG_SHAPE, "first", 1, first));
        RawFrameRecord replayed = TestRecords.raw(new ProducerRecord<>("frames", null, once.key(), once.value(),
                once.headers()), 9);

        ProducerRecord<byte[], byte[]> twice = DeadLetterSerializer.toProducerRecord("dlq",
                new DeadLetterRecord(RejectReason.EMPTY, "second", 2, replayed));

        assertThat(text(twice, FrameHeaders.DLQ_REASON)).isEqualTo("EMPTY");
        assertThat(text(twice, FrameHeaders.DLQ_SOURCE_OFFSET)).isEqualTo("9");
    }

    private static String text(ProducerRecord<byte[], byte[]> record, String header) {
        return new String(record.headers().lastHeader(header).value(), StandardCharsets.UTF_8);
    }
}
