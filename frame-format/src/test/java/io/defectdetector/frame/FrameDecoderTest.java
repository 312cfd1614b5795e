package io.defectdetector.frame;

import static io.defectdetector.frame.TestImages.headers;
import static io.defectdetector.frame.TestImages.pattern;
import static io.defectdetector.frame.TestImages.png;
import static io.defectdetector.frame.TestImages.put;
import static io.defectdetector.frame.TestImages.rawHeaders;
import static io.defectdetector.frame.TestImages.utf8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.awt.color.ColorSpace;
import java.awt.color.ICC_Profile;
import java.awt.image.BufferedImage;
import java.awt.image.IndexColorModel;
import java.awt.image.WritableRaster;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Decoding of valid records: every content type back to the samples that were sent. */
class FrameDecoderTest {
    private final FrameDecoder decoder = new FrameDecoder();

    @Test
    void decodesRawGrayWithoutCopyingTheValue() throws Exception {
        byte[] pixels = pattern(31, 17, 1, 1);
        Frame frame = decoder.decode(utf8("cam-1"), pixels, rawHeaders(ContentType.RAW_GRAY8, 31, 17));
        assertThat(frame).isEqualTo(new Frame("cam-1", "f-1", 1764057600123L, null, 31, 17, 1, pixels));
        assertThat(frame.getPixels()).isSameAs(pixels);
    }

    @Test
    void decodesRawRgb() throws Exception {
        byte[] pixels = pattern(9, 4, 3, 2);
        Frame frame = decoder.decode(utf8("cam-1"), pixels, rawHeaders(ContentType.RAW_RGB8, 9, 4));
        assertThat(frame.getChannels()).isEqualTo(3);
        assertThat(frame.getPixels()).isEqualTo(pixels);
    }

    @Test
    void readsLineAndTakesTheLastOfRepeatedHeaders() throws Exception {
        RecordHeaders headers = rawHeaders(ContentType.RAW_GRAY8, 2, 2);
        headers.add(FrameHeaders.FRAME_ID, utf8("f-later"));
        put(headers, FrameHeaders.LINE, "line-7");
        Frame frame = decoder.decode(utf8("cam-1"), new byte[4], headers);
        assertThat(frame.getFrameId()).isEqualTo("f-later");
        assertThat(frame.getLine()).isEqualTo("line-7");
    }

    @Test
    void acceptsContentTypeInAnyCaseWithSurroundingSpaces() throws Exception {
        RecordHeaders headers = rawHeaders(ContentType.RAW_GRAY8, 2, 1);
        put(headers, FrameHeaders.CONTENT_TYPE, "  Image/X-RAW-Gray8 ");
        assertThat(decoder.decode(utf8("cam-1"), new byte[2], headers).getWidth()).isEqualTo(2);
    }

    @Test
    void ignoresSizeHeadersOfEncodedImages() throws Exception {
        byte[] pixels = pattern(5, 3, 1, 3);
        RecordHeaders headers = headers("f", "1", "image/png");
        put(headers, FrameHeaders.WIDTH, "999");
        put(headers, FrameHeaders.CHANNELS, "3");
        Frame frame = decoder.decode(utf8("cam-1"), FrameEncoder.toPng(5, 3, 1, pixels), headers);
        assertThat(frame.getWidth()).isEqualTo(5);
        assertThat(frame.getPixels()).isEqualTo(pixels);
    }

    @Test
    void roundTripsGrayPngExactly() throws Exception {
        byte[] pixels = pattern(33, 21, 1, 4);
        assertThat(decodePng(FrameEncoder.toPng(33, 21, 1, pixels)))
                .satisfies(f -> assertThat(f.getChannels()).isEqualTo(1))
                .satisfies(f -> assertThat(f.getPixels()).isEqualTo(pixels));
    }

    @Test
    void roundTripsRgbPngExactly() throws Exception {
        byte[] pixels = pattern(33, 21, 3, 5);
        Frame frame = decodePng(FrameEncoder.toPng(33, 21, 3, pixels));
        assertThat(frame.getChannels()).isEqualTo(3);
        assertThat(frame.getPixels()).isEqualTo(pixels);
    }

    @Test
    void dropsAlphaOfRgbaPngWithoutCompositing() throws Exception {
        BufferedImage image = new BufferedImage(6, 4, BufferedImage.TYPE_4BYTE_ABGR);
        byte[] expected = new byte[6 * 4 * 3];
        for (int y = 0; y < 4; y++) {
            for (int x = 0; x < 6; x++) {
                int r = x * 40, g = y * 60, b = (x * y * 13) & 0xFF;
                image.getRaster().setPixel(x, y, new int[] {r, g, b, x == 0 ? 0 : 128});
                int o = (y * 6 + x) * 3;
                expected[o] = (byte) r;
                expected[o + 1] = (byte) g;
                expected[o + 2] = (byte) b;
            }
        }
        Frame frame = decodePng(png(image));
        assertThat(frame.getChannels()).isEqualTo(3);
        assertThat(frame.getPixels()).isEqualTo(expected);
    }

    @Test
    void keepsHighByteOf16BitGrayPng() throws Exception {
        BufferedImage image = new BufferedImage(5, 3, BufferedImage.TYPE_USHORT_GRAY);
        byte[] expected = new byte[15];
        for (int i = 0; i < 15; i++) {
            int sample = i * 4321 + 255;
            image.getRaster().setSample(i % 5, i / 5, 0, sample);
            expected[i] = (byte) (sample >>> 8);
        }
        Frame frame = decodePng(png(image));
        assertThat(frame.getChannels()).isEqualTo(1);
        assertThat(frame.getPixels()).isEqualTo(expected);
    }

    @Test
    void expandsColourPaletteToRgb() throws Exception {
        byte[] r = {0, (byte) 255, 10, 20};
        byte[] g = {0, 0, (byte) 200, 30};
        byte[] b = {0, 0, 5, (byte) 250};
        BufferedImage image = new BufferedImage(4, 2, BufferedImage.TYPE_BYTE_INDEXED, new IndexColorModel(8, 4, r, g, b));
        WritableRaster raster = image.getRaster();
        for (int i = 0; i < 8; i++) {
            raster.setSample(i % 4, i / 4, 0, (i * 3) % 4);
        }
        Frame frame = decodePng(png(image));
        assertThat(frame.getChannels()).isEqualTo(3);
        for (int i = 0; i < 8; i++) {
            int index = (i * 3) % 4;
            assertThat(frame.sample(i % 4, i / 4, 0)).isEqualTo(r[index] & 0xFF);
            assertThat(frame.sample(i % 4, i / 4, 1)).isEqualTo(g[index] & 0xFF);
            assertThat(frame.sample(i % 4, i / 4, 2)).isEqualTo(b[index] & 0xFF);
        }
    }

    @Test
    void decodesGrayPaletteToOneChannel() throws Exception {
        byte[] levels = {0, 77, (byte) 200, (byte) 255};
        BufferedImage image = new BufferedImage(4, 2, BufferedImage.TYPE_BYTE_INDEXED,
                new IndexColorModel(8, 4, levels, levels, levels));
        for (int i = 0; i < 8; i++) {
            image.getRaster().setSample(i % 4, i / 4, 0, i % 4);
        }
        Frame frame = decodePng(png(image));
        assertThat(frame.getChannels()).isEqualTo(1);
        assertThat(frame.getPixels()).containsExactly(0, 77, (byte) 200, (byte) 255, 0, 77, (byte) 200, (byte) 255);
    }

    @Test
    void decodesGrayJpegCloseToTheOriginal() throws Exception {
        byte[] pixels = smooth(40, 24, 1);
        Frame frame = decodeJpeg(FrameEncoder.toJpeg(40, 24, 1, pixels, 0.95f));
        assertThat(frame.getChannels()).isEqualTo(1);
        assertThat(frame.getWidth()).isEqualTo(40);
        assertThat(maxDifference(frame.getPixels(), pixels)).isLessThanOrEqualTo(8);
    }

    @Test
    void decodesRgbJpegCloseToTheOriginal() throws Exception {
        byte[] pixels = smooth(40, 24, 3);
        Frame frame = decodeJpeg(FrameEncoder.toJpeg(40, 24, 3, pixels, 0.95f));
        assertThat(frame.getChannels()).isEqualTo(3);
        assertThat(frame.getHeight()).isEqualTo(24);
        assertThat(maxDifference(frame.getPixels(), pixels)).isLessThanOrEqualTo(12);
    }

    /**
     * Profiles a reader would apply (linear RGB: up to 73 levels; XYZ: up to 207), one that does not fit the
     * image (gray on colour: the JDK's reader fails) and one it cannot parse (the JDK warns): all are ignored.
     */
    @ParameterizedTest
    @ValueSource(strings = {"linear-rgb", "xyz", "gray", "garbage", "truncated"})
    void aJpegsEmbeddedColourProfileIsIgnored(String kind) throws Exception {
        byte[] pixels = smooth(32, 24, 3);
        byte[] plain = FrameEncoder.toJpeg(32, 24, 3, pixels, 0.9f);
        byte[] profile = switch (kind) {
            case "linear-rgb" -> ICC_Profile.getInstance(ColorSpace.CS_LINEAR_RGB).getData();
            case "xyz" -> ICC_Profile.getInstance(ColorSpace.CS_CIEXYZ).getData();
            case "gray" -> ICC_Profile.getInstance(ColorSpace.CS_GRAY).getData();
            case "garbage" -> pattern(600, 1, 1, 7);
            default -> Arrays.copyOf(ICC_Profile.getInstance(ColorSpace.CS_LINEAR_RGB).getData(), 300);
        };
        byte[] withProfile = withIccProfile(plain, profile);

        Frame frame = decodeJpeg(withProfile);

        assertThat(frame.getChannels()).isEqualTo(3);
        assertThat(frame.getPixels()).isEqualTo(decodeJpeg(plain).getPixels());
        byte[] truncated = Arrays.copyOf(withProfile, withProfile.length - 50);
        assertThatThrownBy(() -> decodeJpeg(truncated)).isInstanceOf(FrameRejectedException.class)
                .hasMessageContaining("JPEG decoder warning"); // the samples' own fault, not the profile
    }

    /** {@code jpeg} with an ICC_PROFILE APP2 segment (one chunk) inserted after its APP0 segment. */
    private static byte[] withIccProfile(byte[] jpeg, byte[] profile) {
        assertThat(jpeg[3] & 0xFF).as("APP0 after SOI").isEqualTo(0xE0);
        int afterApp0 = 4 + ((jpeg[4] & 0xFF) << 8 | (jpeg[5] & 0xFF));
        byte[] tag = "ICC_PROFILE\0".getBytes(StandardCharsets.US_ASCII);
        int length = 2 + tag.length + 2 + profile.length;
        ByteBuffer out = ByteBuffer.allocate(jpeg.length + 2 + length);
        out.put(jpeg, 0, afterApp0).put((byte) 0xFF).put((byte) 0xE2).putShort((short) length).put(tag)
                .put((byte) 1).put((byte) 1).put(profile).put(jpeg, afterApp0, jpeg.length - afterApp0);
        return out.array();
    }

    @Test
    void reusesItsReadersAcrossManyRecords() throws Exception {
        for (int i = 0; i < 20; i++) {
            byte[] pixels = pattern(8, 8, 1 + 2 * (i % 2), i);
            Frame frame = decodePng(FrameEncoder.toPng(8, 8, 1 + 2 * (i % 2), pixels));
            assertThat(frame.getPixels()).isEqualTo(pixels);
        }
    }

    private Frame decodePng(byte[] png) throws FrameRejectedException {
        return decoder.decode(utf8("cam-1"), png, headers("f-1", "5", "image/png"));
    }

    private Frame decodeJpeg(byte[] jpeg) throws FrameRejectedException {
        return decoder.decode(utf8("cam-1"), jpeg, headers("f-1", "5", "image/jpeg"));
    }

    /** Gradients: JPEG keeps them within a few levels (noise would not be a fair test). */
    static byte[] smooth(int width, int height, int channels) {
        byte[] pixels = new byte[width * height * channels];
        for (int y = 0; y < height; y++) {
            for (int x = 0; x < width; x++) {
                for (int c = 0; c < channels; c++) {
                    pixels[(y * width + x) * channels + c] = (byte) (30 + x * 100 / width + y * 60 / height + c * 20);
                }
            }
        }
        return pixels;
    }

    static int maxDifference(byte[] a, byte[] b) {
        assertThat(a).hasSameSizeAs(b);
        int max = 0;
        for (int i = 0; i < a.length; i++) {
            max = Math.max(max, Math.abs((a[i] & 0xFF) - (b[i] & 0xFF)));
        }
        return max;
    }
}
