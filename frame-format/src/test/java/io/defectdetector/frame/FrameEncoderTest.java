package io.defectdetector.frame;

import static io.defectdetector.frame.TestImages.pattern;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Header;
import org.junit.jupiter.api.Test;

class FrameEncoderTest {
    private final FrameEncoder encoder = new FrameEncoder();
    private final FrameDecoder decoder = new FrameDecoder();

    @Test
    void writesKeyAndAllHeadersOfARawFrame() {
        byte[] pixels = pattern(4, 3, 3, 1);
        ProducerRecord<byte[], byte[]> record = encoder.encode("frames", "cam-7", "f-42", 1764057600123L, "line-2",
                ContentType.RAW_RGB8, 4, 3, pixels);
        assertThat(record.topic()).isEqualTo("frames");
        assertThat(new String(record.key(), StandardCharsets.UTF_8)).isEqualTo("cam-7");
        assertThat(record.value()).isSameAs(pixels);
        assertThat(header(record, FrameHeaders.FRAME_ID)).isEqualTo("f-42");
        assertThat(header(record, FrameHeaders.CAPTURE_TIME)).isEqualTo("1764057600123");
        assertThat(header(record, FrameHeaders.CONTENT_TYPE)).isEqualTo("image/x-raw-rgb8");
        assertThat(header(record, FrameHeaders.WIDTH)).isEqualTo("4");
        assertThat(header(record, FrameHeaders.HEIGHT)).isEqualTo("3");
        assertThat(header(record, FrameHeaders.CHANNELS)).isEqualTo("3");
        assertThat(header(record, FrameHeaders.LINE)).isEqualTo("line-2");
    }

    @Test
    void omitsSizeHeadersAndLineForEncodedImagesWithoutLine() {
        byte[] png = FrameEncoder.toPng(4, 3, 1, pattern(4, 3, 1, 2));
        ProducerRecord<byte[], byte[]> record = encoder.encode("frames", "cam-7", "f-1", 1L, null, ContentType.PNG,
                0, 0, png);
        assertThat(record.headers().lastHeader(FrameHeaders.WIDTH)).isNull();
        assertThat(record.headers().lastHeader(FrameHeaders.CHANNELS)).isNull();
        assertThat(record.headers().lastHeader(FrameHeaders.LINE)).isNull();
    }

    @Test
    void refusesRawPayloadWhoseLengthDoesNotMatchTheSize() {
        assertThatThrownBy(() -> encoder.encode("frames", "cam-7", "f-1", 1L, null, ContentType.RAW_GRAY8, 4, 4,
                new byte[15])).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("4x4x1");
    }

    @Test
    void roundTripsFramesThroughEveryContentType() throws Exception {
        Frame gray = new Frame("cam-1", "f-1", 123L, "line-1", 12, 7, 1, pattern(12, 7, 1, 3));
        Frame rgb = new Frame("cam-2", "f-2", 456L, null, 12, 7, 3, pattern(12, 7, 3, 4));
        assertThat(roundTrip(gray, ContentType.RAW_GRAY8)).isEqualTo(gray);
        assertThat(roundTrip(rgb, ContentType.RAW_RGB8)).isEqualTo(rgb);
        assertThat(roundTrip(gray, ContentType.PNG)).isEqualTo(gray);
        assertThat(roundTrip(rgb, ContentType.PNG)).isEqualTo(rgb);
        Frame smooth = new Frame("cam-3", "f-3", 789L, null, 32, 16, 3, FrameDecoderTest.smooth(32, 16, 3));
        Frame viaJpeg = roundTrip(smooth, ContentType.JPEG);
        assertThat(viaJpeg.getCameraId()).isEqualTo("cam-3");
        assertThat(FrameDecoderTest.maxDifference(viaJpeg.getPixels(), smooth.getPixels())).isLessThanOrEqualTo(12);
    }

    @Test
    void refusesToSendAnRgbFrameAsGray() {
        Frame rgb = new Frame("cam-2", "f-2", 456L, null, 2, 2, 3, new byte[12]);
        assertThatThrownBy(() -> encoder.encode("frames", rgb, ContentType.RAW_GRAY8))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void writesPngAndJpegFilesWithTheirSignatures() {
        byte[] png = FrameEncoder.toPng(3, 3, 1, new byte[9]);
        byte[] jpeg = FrameEncoder.toJpeg(3, 3, 3, new byte[27], 0.8f);
        assertThat(png).startsWith(0x89, 'P', 'N', 'G');
        assertThat(jpeg).startsWith(0xFF, 0xD8);
    }

    private Frame roundTrip(Frame frame, ContentType type) throws FrameRejectedException {
        ProducerRecord<byte[], byte[]> record = encoder.encode("frames", frame, type);
        return decoder.decode(record.key(), record.value(), record.headers());
    }

    private static String header(ProducerRecord<byte[], byte[]> record, String name) {
        Header header = record.headers().lastHeader(name);
        return header == null ? null : new String(header.value(), StandardCharsets.UTF_8);
    }
}
