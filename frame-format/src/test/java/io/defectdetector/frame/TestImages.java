package io.defectdetector.frame;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Random;
import java.util.zip.CRC32;
import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageWriteParam;
import javax.imageio.ImageWriter;
import javax.imageio.stream.ImageOutputStream;
import org.apache.kafka.common.header.internals.RecordHeaders;

/** Builders for test images and frame-record headers. */
final class TestImages {
    private TestImages() {
    }

    /** Samples that vary in x, y and channel, so layout mistakes change them. */
    static byte[] pattern(int width, int height, int channels, long seed) {
        byte[] pixels = new byte[width * height * channels];
        new Random(seed).nextBytes(pixels);
        return pixels;
    }

    static byte[] png(BufferedImage image) {
        return write(image, "png");
    }

    static byte[] write(BufferedImage image, String format) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            if (!ImageIO.write(image, format, out)) {
                throw new IllegalStateException("no " + format + " writer for " + image);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    /** A progressive JPEG of the JDK's default scan script (several scans). */
    static byte[] progressiveJpeg(BufferedImage image) {
        ImageWriter writer = ImageIO.getImageWritersByFormatName("jpeg").next();
        ImageWriteParam param = writer.getDefaultWriteParam();
        param.setProgressiveMode(ImageWriteParam.MODE_DEFAULT);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (ImageOutputStream ios = ImageIO.createImageOutputStream(out)) {
            writer.setOutput(ios);
            writer.write(null, new IIOImage(image, null, null), param);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } finally {
            writer.dispose();
        }
        return out.toByteArray();
    }

    /** The JPEG with its last scan (its SOS segment and entropy-coded data) repeated {@code extra} more times. */
    static byte[] withLastScanRepeated(byte[] jpeg, int extra) {
        int sos = -1;
        for (int i = 0; i + 1 < jpeg.length; i++) {
            if ((jpeg[i] & 0xFF) == 0xFF && (jpeg[i + 1] & 0xFF) == 0xDA) {
                sos = i;
            }
        }
        int eoi = jpeg.length - 2;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(jpeg, 0, eoi);
        for (int i = 0; i < extra; i++) {
            out.write(jpeg, sos, eoi - sos);
        }
        out.write(jpeg, eoi, 2);
        return out.toByteArray();
    }

    static RecordHeaders headers(String frameId, String captureTime, String contentType) {
        RecordHeaders headers = new RecordHeaders();
        put(headers, FrameHeaders.FRAME_ID, frameId);
        put(headers, FrameHeaders.CAPTURE_TIME, captureTime);
        put(headers, FrameHeaders.CONTENT_TYPE, contentType);
        return headers;
    }

    static RecordHeaders rawHeaders(ContentType type, int width, int height) {
        RecordHeaders headers = headers("f-1", "1764057600123", type.mimeType());
        put(headers, FrameHeaders.WIDTH, Integer.toString(width));
        put(headers, FrameHeaders.HEIGHT, Integer.toString(height));
        put(headers, FrameHeaders.CHANNELS, Integer.toString(type.rawChannels()));
        return headers;
    }

    static void put(RecordHeaders headers, String name, String value) {
        headers.remove(name);
        if (value != null) {
            headers.add(name, value.getBytes(StandardCharsets.UTF_8));
        }
    }

    static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    /** A syntactically valid PNG chunk (length, type, data, CRC). */
    static byte[] chunk(String type, byte[] data) {
        ByteBuffer buf = ByteBuffer.allocate(12 + data.length);
        buf.putInt(data.length);
        byte[] typeBytes = type.getBytes(StandardCharsets.ISO_8859_1);
        buf.put(typeBytes).put(data);
        CRC32 crc = new CRC32();
        crc.update(typeBytes);
        crc.update(data);
        buf.putInt((int) crc.getValue());
        return buf.array();
    }

    /** A PNG whose IHDR claims {@code width x height} 8-bit gray but whose IDAT is a few bytes. */
    static byte[] pngWithHeaderSize(int width, int height) {
        ByteBuffer ihdr = ByteBuffer.allocate(13);
        ihdr.putInt(width).putInt(height).put((byte) 8).put((byte) 0).put((byte) 0).put((byte) 0).put((byte) 0);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(new byte[] {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'});
        out.writeBytes(chunk("IHDR", ihdr.array()));
        out.writeBytes(chunk("IDAT", new byte[] {0x78, (byte) 0x9C, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01}));
        out.writeBytes(chunk("IEND", new byte[0]));
        return out.toByteArray();
    }

    /** Finds the first chunk of that type: offset of its length field, or -1. */
    static int chunkOffset(byte[] png, String type) {
        int pos = 8;
        while (pos + 8 <= png.length) {
            int length = ByteBuffer.wrap(png, pos, 4).getInt();
            if (new String(png, pos + 4, 4, StandardCharsets.ISO_8859_1).equals(type)) {
                return pos;
            }
            pos += 12 + length;
        }
        return -1;
    }
}
