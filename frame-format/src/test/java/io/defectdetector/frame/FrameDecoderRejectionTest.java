package io.defectdetector.frame;

import static io.defectdetector.frame.TestImages.headers;
import static io.defectdetector.frame.TestImages.pattern;
import static io.defectdetector.frame.TestImages.put;
import static io.defectdetector.frame.TestImages.rawHeaders;
import static io.defectdetector.frame.TestImages.utf8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.awt.image.BufferedImage;
import java.util.Arrays;
import java.util.List;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.assertj.core.api.AbstractStringAssert;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Every way a record can break docs/wire-format.md: the reason code, and a detail that names the problem. */
class FrameDecoderRejectionTest {
    private static final byte[] KEY = utf8("cam-1");
    private final FrameDecoder decoder = new FrameDecoder();

    @Test
    void rejectsNullValueAsEmpty() {
        assertRejected(KEY, null, rawHeaders(ContentType.RAW_GRAY8, 1, 1), RejectReason.EMPTY).contains("null");
    }

    @Test
    void rejectsZeroLengthValueAsEmpty() {
        assertRejected(KEY, new byte[0], rawHeaders(ContentType.RAW_GRAY8, 1, 1), RejectReason.EMPTY)
                .contains("no bytes");
    }

    @Test
    void rejectsValueOverTheByteLimitBeforeLookingAtIt() {
        FrameDecoder small = new FrameDecoder(new FrameLimits(100, 16384, 1 << 20));
        FrameRejectedException e = catchThrowableOfType(FrameRejectedException.class,
                () -> small.decode(null, new byte[101], null));
        assertThat(e.reason()).isEqualTo(RejectReason.OVERSIZED);
        assertThat(e.getMessage()).contains("101 bytes").contains("limit is 100");
    }

    @Test
    void rejectsNullKey() {
        assertRejected(null, new byte[1], rawHeaders(ContentType.RAW_GRAY8, 1, 1), RejectReason.MISSING_KEY)
                .contains("null");
    }

    @Test
    void rejectsEmptyKey() {
        assertRejected(new byte[0], new byte[1], rawHeaders(ContentType.RAW_GRAY8, 1, 1), RejectReason.MISSING_KEY)
                .contains("empty");
    }

    @ParameterizedTest
    @ValueSource(strings = {"-cam", "cam 1", "cam/1", "kamera-ä", ".hidden"})
    void rejectsKeyBreakingCameraIdSyntax(String key) {
        assertRejected(utf8(key), new byte[1], rawHeaders(ContentType.RAW_GRAY8, 1, 1), RejectReason.GARBLED_KEY)
                .contains(key).contains("[A-Za-z0-9._:-]");
    }

    @Test
    void rejectsKeyLongerThan128Characters() {
        assertRejected(utf8("c".repeat(129)), new byte[1], rawHeaders(ContentType.RAW_GRAY8, 1, 1),
                RejectReason.GARBLED_KEY).contains("1-128 characters");
    }

    @Test
    void rejectsKeyThatIsNotUtf8() {
        assertRejected(new byte[] {'c', (byte) 0xC3, '('}, new byte[1], rawHeaders(ContentType.RAW_GRAY8, 1, 1),
                RejectReason.GARBLED_KEY).contains("UTF-8");
    }

    @ParameterizedTest
    @ValueSource(strings = {FrameHeaders.FRAME_ID, FrameHeaders.CAPTURE_TIME, FrameHeaders.CONTENT_TYPE,
            FrameHeaders.WIDTH, FrameHeaders.HEIGHT, FrameHeaders.CHANNELS})
    void rejectsRawRecordWithoutARequiredHeader(String header) {
        RecordHeaders headers = rawHeaders(ContentType.RAW_GRAY8, 2, 2);
        headers.remove(header);
        assertRejected(KEY, new byte[4], headers, RejectReason.MISSING_HEADER).contains("'" + header + "'");
    }

    @Test
    void rejectsRecordWithoutAnyHeaders() {
        assertRejected(KEY, new byte[4], null, RejectReason.MISSING_HEADER).contains(FrameHeaders.FRAME_ID);
    }

    @Test
    void rejectsHeaderThatIsNotUtf8() {
        RecordHeaders headers = rawHeaders(ContentType.RAW_GRAY8, 2, 2);
        headers.remove(FrameHeaders.FRAME_ID);
        headers.add(FrameHeaders.FRAME_ID, new byte[] {'f', (byte) 0xFF, (byte) 0xFE});
        assertRejected(KEY, new byte[4], headers, RejectReason.GARBLED_HEADER)
                .contains(FrameHeaders.FRAME_ID).contains("UTF-8");
    }

    @Test
    void rejectsHeaderWithNullValue() {
        RecordHeaders headers = rawHeaders(ContentType.RAW_GRAY8, 2, 2);
        headers.remove(FrameHeaders.CAPTURE_TIME);
        headers.add(FrameHeaders.CAPTURE_TIME, null);
        assertRejected(KEY, new byte[4], headers, RejectReason.GARBLED_HEADER)
                .contains(FrameHeaders.CAPTURE_TIME).contains("null");
    }

    @Test
    void rejectsEmptyFrameId() {
        RecordHeaders headers = rawHeaders(ContentType.RAW_GRAY8, 2, 2);
        put(headers, FrameHeaders.FRAME_ID, "");
        assertRejected(KEY, new byte[4], headers, RejectReason.GARBLED_HEADER).contains(FrameHeaders.FRAME_ID);
    }

    @Test
    void rejectsFrameIdLongerThan128Characters() {
        RecordHeaders headers = rawHeaders(ContentType.RAW_GRAY8, 2, 2);
        put(headers, FrameHeaders.FRAME_ID, "f".repeat(129));
        assertRejected(KEY, new byte[4], headers, RejectReason.GARBLED_HEADER)
                .contains(FrameHeaders.FRAME_ID).contains("129");
    }

    @ParameterizedTest
    @ValueSource(strings = {"yesterday", "-1", "12.5", " 17", "1764057600123Z", "1234567890123456789", ""})
    void rejectsCaptureTimeThatIsNotDecimalDigits(String value) {
        RecordHeaders headers = rawHeaders(ContentType.RAW_GRAY8, 2, 2);
        put(headers, FrameHeaders.CAPTURE_TIME, value);
        assertRejected(KEY, new byte[4], headers, RejectReason.GARBLED_HEADER)
                .contains(FrameHeaders.CAPTURE_TIME).contains("digits");
    }

    @ParameterizedTest
    @ValueSource(strings = {"1764057600123000", "253402300800000", "999999999999999999"})
    void rejectsCaptureTimeAfterTheYear9999(String value) {
        RecordHeaders headers = rawHeaders(ContentType.RAW_GRAY8, 2, 2);
        put(headers, FrameHeaders.CAPTURE_TIME, value);
        assertRejected(KEY, new byte[4], headers, RejectReason.GARBLED_HEADER)
                .contains(FrameHeaders.CAPTURE_TIME).contains("microseconds?").contains("253402300799999");
    }

    @Test
    void acceptsTheLastCaptureTimeOfTheYear9999() throws Exception {
        RecordHeaders headers = rawHeaders(ContentType.RAW_GRAY8, 2, 2);
        put(headers, FrameHeaders.CAPTURE_TIME, "253402300799999");
        assertThat(new FrameDecoder().decode(KEY, new byte[4], headers).getCaptureTimeMs())
                .isEqualTo(FrameDecoder.MAX_CAPTURE_TIME_MS);
    }

    @Test
    void rejectsLineThatBreaksIdSyntax() {
        RecordHeaders headers = rawHeaders(ContentType.RAW_GRAY8, 2, 2);
        put(headers, FrameHeaders.LINE, "line 4");
        assertRejected(KEY, new byte[4], headers, RejectReason.GARBLED_HEADER)
                .contains(FrameHeaders.LINE).contains("line 4");
    }

    @ParameterizedTest
    @ValueSource(strings = {"image/gif", "image/x-raw-gray16", "application/octet-stream", ""})
    void rejectsUnsupportedContentType(String type) {
        RecordHeaders headers = rawHeaders(ContentType.RAW_GRAY8, 2, 2);
        put(headers, FrameHeaders.CONTENT_TYPE, type);
        assertRejected(KEY, new byte[4], headers, RejectReason.UNSUPPORTED_CONTENT_TYPE)
                .contains("'" + type + "'").contains("image/png");
    }

    @Test
    void rejectsZeroWidth() {
        RecordHeaders headers = rawHeaders(ContentType.RAW_GRAY8, 2, 2);
        put(headers, FrameHeaders.WIDTH, "0");
        assertRejected(KEY, new byte[4], headers, RejectReason.GARBLED_HEADER)
                .contains(FrameHeaders.WIDTH).contains("at least 1");
    }

    @Test
    void rejectsNonNumericHeight() {
        RecordHeaders headers = rawHeaders(ContentType.RAW_GRAY8, 2, 2);
        put(headers, FrameHeaders.HEIGHT, "two");
        assertRejected(KEY, new byte[4], headers, RejectReason.GARBLED_HEADER)
                .contains(FrameHeaders.HEIGHT).contains("'two'");
    }

    @Test
    void rejectsWidthAboveThePixelLimitAsOversized() throws Exception {
        RecordHeaders headers = rawHeaders(ContentType.RAW_GRAY8, 2, 2);
        put(headers, FrameHeaders.WIDTH, "16385");
        assertRejected(KEY, new byte[4], headers, RejectReason.OVERSIZED)
                .contains(FrameHeaders.WIDTH).contains("16385").contains("16384");
        put(headers, FrameHeaders.WIDTH, "99999999999999999999");  // more digits than a long holds: still a number
        assertRejected(KEY, new byte[4], headers, RejectReason.OVERSIZED)
                .contains("99999999999999999999").contains("16384");
        put(headers, FrameHeaders.HEIGHT, "0000000000000000000000002");  // leading zeros do not make it large
        put(headers, FrameHeaders.WIDTH, "2");
        put(headers, FrameHeaders.CHANNELS, "00000000000000000000001");
        assertThat(decoder.decode(KEY, new byte[4], headers).getHeight()).isEqualTo(2);
        put(headers, FrameHeaders.WIDTH, "00x2");
        assertRejected(KEY, new byte[4], headers, RejectReason.GARBLED_HEADER).contains("'00x2'");
    }

    @Test
    void rejectsRawFrameWithTooManySamplesAsOversized() {
        FrameDecoder small = new FrameDecoder(new FrameLimits(1 << 20, 1000, 10_000));
        FrameRejectedException e = catchThrowableOfType(FrameRejectedException.class,
                () -> small.decode(KEY, new byte[4], rawHeaders(ContentType.RAW_RGB8, 100, 100)));
        assertThat(e.reason()).isEqualTo(RejectReason.OVERSIZED);
        assertThat(e.getMessage()).contains("100x100x3").contains("30000 samples").contains("10000");
    }

    @Test
    void rejectsChannelsNotMatchingTheRawType() {
        RecordHeaders headers = rawHeaders(ContentType.RAW_GRAY8, 2, 2);
        put(headers, FrameHeaders.CHANNELS, "3");
        assertRejected(KEY, new byte[12], headers, RejectReason.GARBLED_HEADER)
                .contains(FrameHeaders.CHANNELS).contains("image/x-raw-gray8 has 1");
    }

    @Test
    void rejectsRawFrameWhoseLengthDoesNotMatchHeaders() {
        assertRejected(KEY, new byte[65535], rawHeaders(ContentType.RAW_GRAY8, 256, 256), RejectReason.SIZE_MISMATCH)
                .isEqualTo("expected 65536 bytes for 256x256x1, got 65535");
    }

    @Test
    void rejectsPngWithFlippedByteByCrc() {
        byte[] png = FrameEncoder.toPng(16, 16, 1, pattern(16, 16, 1, 7));
        int idat = TestImages.chunkOffset(png, "IDAT");
        png[idat + 10] ^= 0x55;
        assertRejected(KEY, png, headers("f", "1", "image/png"), RejectReason.UNDECODABLE_IMAGE)
                .contains("CRC").contains("IDAT");
    }

    @Test
    void rejectsPngWhoseCompressedDataIsGarbageEvenWithValidCrcs() {
        byte[] ihdr = Arrays.copyOfRange(TestImages.pngWithHeaderSize(16, 16), 16, 29);
        byte[] garbage = new byte[40];
        Arrays.fill(garbage, (byte) 0x5A);
        byte[] png = concat(new byte[] {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'},
                TestImages.chunk("IHDR", ihdr), TestImages.chunk("IDAT", garbage), TestImages.chunk("IEND", new byte[0]));
        assertRejected(KEY, png, headers("f", "1", "image/png"), RejectReason.UNDECODABLE_IMAGE)
                .contains("PNG cannot be decoded: ").doesNotContain("javax.imageio");  // the reader's words only
    }

    @Test
    void rejectsTruncatedPng() {
        byte[] png = FrameEncoder.toPng(64, 64, 3, pattern(64, 64, 3, 8));
        byte[] half = Arrays.copyOf(png, png.length / 2);
        assertRejected(KEY, half, headers("f", "1", "image/png"), RejectReason.UNDECODABLE_IMAGE)
                .contains("truncated PNG");
    }

    @Test
    void rejectsPngWhoseImageDataEndsEarlyInsideWellFormedChunks() {
        // Chunk lengths and CRCs are consistent, only the compressed stream stops half-way: the structure check
        // cannot see it, the decoder must.
        byte[] png = FrameEncoder.toPng(64, 64, 3, pattern(64, 64, 3, 14));
        int idat = TestImages.chunkOffset(png, "IDAT");
        int length = java.nio.ByteBuffer.wrap(png, idat, 4).getInt();
        byte[] halfData = Arrays.copyOfRange(png, idat + 8, idat + 8 + length / 2);
        byte[] ihdr = Arrays.copyOfRange(png, 16, 29);
        byte[] cut = concat(Arrays.copyOf(png, 8), TestImages.chunk("IHDR", ihdr), TestImages.chunk("IDAT", halfData),
                TestImages.chunk("IEND", new byte[0]));
        assertRejected(KEY, cut, headers("f", "1", "image/png"), RejectReason.UNDECODABLE_IMAGE)
                .contains("PNG cannot be decoded");
    }

    @Test
    void rejectsPngCutJustBeforeIend() {
        byte[] png = FrameEncoder.toPng(8, 8, 1, pattern(8, 8, 1, 9));
        byte[] cut = Arrays.copyOf(png, png.length - 12);
        assertRejected(KEY, cut, headers("f", "1", "image/png"), RejectReason.UNDECODABLE_IMAGE)
                .contains("IEND");
    }

    @Test
    void rejectsJpegBytesLabelledAsPng() {
        byte[] jpeg = FrameEncoder.toJpeg(8, 8, 1, pattern(8, 8, 1, 10), 0.9f);
        assertRejected(KEY, jpeg, headers("f", "1", "image/png"), RejectReason.UNDECODABLE_IMAGE)
                .contains("not a PNG");
    }

    @Test
    void rejectsPngBytesLabelledAsJpeg() {
        byte[] png = FrameEncoder.toPng(8, 8, 1, pattern(8, 8, 1, 11));
        assertRejected(KEY, png, headers("f", "1", "image/jpeg"), RejectReason.UNDECODABLE_IMAGE)
                .contains("not a JPEG");
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 2, 3})
    void rejectsAJpegTooShortForAnySegment(int length) {
        byte[] stub = Arrays.copyOf(new byte[] {(byte) 0xFF, (byte) 0xD8, (byte) 0xFF}, length);
        assertRejected(KEY, stub, headers("f", "1", "image/jpeg"), RejectReason.UNDECODABLE_IMAGE);
    }

    @Test
    void rejectsTruncatedJpeg() {
        byte[] jpeg = FrameEncoder.toJpeg(64, 64, 3, FrameDecoderTest.smooth(64, 64, 3), 0.9f);
        byte[] half = Arrays.copyOf(jpeg, jpeg.length * 2 / 3);
        assertRejected(KEY, half, headers("f", "1", "image/jpeg"), RejectReason.UNDECODABLE_IMAGE)
                .contains("JPEG");
    }

    @Test
    void rejectsJpegCutInsideItsHeader() {
        byte[] jpeg = FrameEncoder.toJpeg(64, 64, 1, FrameDecoderTest.smooth(64, 64, 1), 0.9f);
        assertRejected(KEY, Arrays.copyOf(jpeg, 40), headers("f", "1", "image/jpeg"), RejectReason.UNDECODABLE_IMAGE)
                .contains("JPEG");
    }

    @Test
    void rejectsCorruptJpeg() {
        byte[] jpeg = FrameEncoder.toJpeg(64, 64, 1, FrameDecoderTest.smooth(64, 64, 1), 0.9f);
        for (int i = jpeg.length / 2; i < jpeg.length / 2 + 64; i++) {
            jpeg[i] = (byte) 0xFF;
        }
        assertRejected(KEY, jpeg, headers("f", "1", "image/jpeg"), RejectReason.UNDECODABLE_IMAGE)
                .contains("JPEG");
    }

    @Test
    void rejectsPngWhoseHeaderDimensionsExceedTheLimitWithoutDecodingIt() {
        // 100000 x 100000 would need 10 GB decoded: the header alone must be enough to refuse it.
        byte[] bomb = TestImages.pngWithHeaderSize(100_000, 100_000);
        assertRejected(KEY, bomb, headers("f", "1", "image/png"), RejectReason.OVERSIZED)
                .contains("100000x100000").contains("16384 per side");
    }

    @Test
    void rejectsPngWithTooManySamplesForTheLimits() {
        FrameDecoder small = new FrameDecoder(new FrameLimits(1 << 20, 1000, 1000));
        byte[] png = FrameEncoder.toPng(40, 40, 1, pattern(40, 40, 1, 12));
        FrameRejectedException e = catchThrowableOfType(FrameRejectedException.class,
                () -> small.decode(KEY, png, headers("f", "1", "image/png")));
        assertThat(e.reason()).isEqualTo(RejectReason.OVERSIZED);
        assertThat(e.getMessage()).contains("40x40x1").contains("1600 samples");
    }

    @Test
    void decodesValidImagesAfterRejectingBrokenOnes() throws Exception {
        byte[] pixels = pattern(16, 16, 3, 13);
        byte[] png = FrameEncoder.toPng(16, 16, 3, pixels);
        byte[] jpeg = FrameEncoder.toJpeg(16, 16, 3, FrameDecoderTest.smooth(16, 16, 3), 0.9f);
        for (int i = 0; i < 3; i++) {
            assertRejected(KEY, Arrays.copyOf(jpeg, jpeg.length / 2), headers("f", "1", "image/jpeg"),
                    RejectReason.UNDECODABLE_IMAGE);
            assertThat(decoder.decode(KEY, jpeg, headers("f", "1", "image/jpeg")).getWidth()).isEqualTo(16);
            assertThat(decoder.decode(KEY, png, headers("f", "1", "image/png")).getPixels()).isEqualTo(pixels);
        }
    }

    /** Each scan is another pass over the image: thousands of them kept one decode busy for minutes. */
    @Test
    void rejectsAJpegWithMoreScansThanAnyEncoderWritesBeforeDecodingIt() {
        BufferedImage image = new BufferedImage(64, 64, BufferedImage.TYPE_BYTE_GRAY);
        image.getRaster().setDataElements(0, 0, 64, 64, FrameDecoderTest.smooth(64, 64, 1));
        byte[] progressive = TestImages.progressiveJpeg(image);
        int scans = FrameDecoder.jpegScans(progressive, Integer.MAX_VALUE);
        assertThat(scans).isBetween(2, 12);
        byte[] many = TestImages.withLastScanRepeated(progressive, FrameDecoder.MAX_JPEG_SCANS + 1 - scans);
        assertThat(FrameDecoder.jpegScans(many, Integer.MAX_VALUE)).isEqualTo(FrameDecoder.MAX_JPEG_SCANS + 1);
        assertRejected(KEY, many, headers("f", "1", "image/jpeg"), RejectReason.OVERSIZED)
                .contains("JPEG has more than 64 scans");
        // At the limit it goes to the decoder, which warns about a refinement scan seen twice.
        byte[] limit = TestImages.withLastScanRepeated(progressive, FrameDecoder.MAX_JPEG_SCANS - scans);
        assertThat(FrameDecoder.jpegScans(limit, Integer.MAX_VALUE)).isEqualTo(FrameDecoder.MAX_JPEG_SCANS);
        assertRejected(KEY, limit, headers("f", "1", "image/jpeg"), RejectReason.UNDECODABLE_IMAGE)
                .contains("decoder warning");
        assertThat(catchThrowableOfType(FrameRejectedException.class,
                () -> decoder.decode(KEY, progressive, headers("f", "1", "image/jpeg")))).isNull();
    }

    @Test
    void countsScansPastThumbnailsFillBytesAndStrayBytes() {
        byte[] baseline = FrameEncoder.toJpeg(32, 32, 3, pattern(32, 32, 3, 4), 0.9f);
        assertThat(FrameDecoder.jpegScans(baseline, Integer.MAX_VALUE)).isEqualTo(1);
        // Stray bytes or fill bytes before the scan: libjpeg skips them (and decodes every scan before it warns).
        int sos = sosOffset(baseline);
        for (byte[] extra : List.of(new byte[] {0}, new byte[] {(byte) 0xFF, 0}, new byte[] {(byte) 0xFF, (byte) 0xFF},
            new byte[] {1, 2, 3})) {
            byte[] odd = concat(Arrays.copyOf(baseline, sos), extra, Arrays.copyOfRange(baseline, sos,
                    baseline.length));
            assertThat(FrameDecoder.jpegScans(odd, Integer.MAX_VALUE)).as(Arrays.toString(extra)).isEqualTo(1);
        }
        // An APP1 segment holding a whole JPEG (an EXIF thumbnail) after SOI: its SOS is not the image's.
        byte[] app1 = concat(new byte[] {(byte) 0xFF, (byte) 0xE1, (byte) ((baseline.length + 2) >> 8),
            (byte) (baseline.length + 2)}, baseline);
        byte[] withThumbnail = concat(Arrays.copyOf(baseline, 2), app1, Arrays.copyOfRange(baseline, 2,
                baseline.length));
        assertThat(FrameDecoder.jpegScans(withThumbnail, Integer.MAX_VALUE)).isEqualTo(1);
        assertThat(FrameDecoder.jpegScans(new byte[] {(byte) 0xFF, (byte) 0xD8}, 10)).isZero();
    }

    @Test
    void aStrayByteDoesNotHideTheScansOfAJpeg() {
        BufferedImage image = new BufferedImage(64, 64, BufferedImage.TYPE_BYTE_GRAY);
        byte[] progressive = TestImages.progressiveJpeg(image);
        byte[] many = TestImages.withLastScanRepeated(progressive, 100);
        int sos = sosOffset(many);
        byte[] hidden = concat(Arrays.copyOf(many, sos), new byte[] {0}, Arrays.copyOfRange(many, sos, many.length));
        assertRejected(KEY, hidden, headers("f", "1", "image/jpeg"), RejectReason.OVERSIZED)
                .contains("more than 64 scans");
    }

    /** The offset of the first start-of-scan marker (FF DA) after the header segments. */
    private static int sosOffset(byte[] jpeg) {
        for (int i = 2; i + 1 < jpeg.length; i++) {
            if ((jpeg[i] & 0xFF) == 0xFF && (jpeg[i + 1] & 0xFF) == 0xDA) {
                return i;
            }
        }
        throw new IllegalArgumentException("no scan");
    }

    private AbstractStringAssert<?> assertRejected(byte[] key, byte[] value, Headers headers, RejectReason reason) {
        FrameRejectedException e = catchThrowableOfType(FrameRejectedException.class,
                () -> decoder.decode(key, value, headers));
        assertThat(e).as("expected a rejection").isNotNull();
        assertThat(e.reason()).as(e.getMessage()).isEqualTo(reason);
        return assertThat(e.getMessage());
    }

    private static byte[] concat(byte[]... parts) {
        int n = 0;
        for (byte[] p : parts) {
            n += p.length;
        }
        byte[] out = new byte[n];
        int o = 0;
        for (byte[] p : parts) {
            System.arraycopy(p, 0, out, o, p.length);
            o += p.length;
        }
        return out;
    }
}
