package io.defectdetector.frame;

import java.awt.Transparency;
import java.awt.color.ColorSpace;
import java.awt.image.BufferedImage;
import java.awt.image.ComponentColorModel;
import java.awt.image.DataBuffer;
import java.awt.image.DataBufferByte;
import java.awt.image.Raster;
import java.awt.image.WritableRaster;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Objects;
import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageWriteParam;
import javax.imageio.ImageWriter;
import javax.imageio.stream.MemoryCacheImageOutputStream;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.internals.RecordHeaders;

/**
 * Builds frame records as docs/wire-format.md describes them, for producers (simulator, tests, benchmarks).
 *
 * <p>{@link #encode} checks only what a producer could not otherwise notice (a raw payload whose length does not
 * match its dimensions); it does not enforce id syntax, so tests can produce records the decoder must reject.
 * Records meant to break the contract in other ways are easiest built by hand with {@link ProducerRecord}.
 */
public final class FrameEncoder {
    public static final float DEFAULT_JPEG_QUALITY = 0.95f;

    /**
     * @param line      production line id, or null for none
     * @param width     pixels per row; written as a header for raw types, ignored for PNG and JPEG
     * @param height    rows; as {@code width}
     * @param payload   the record value: raw samples, or the PNG / JPEG file
     */
    public ProducerRecord<byte[], byte[]> encode(String topic, String cameraId, String frameId, long captureTimeMs,
            String line, ContentType type, int width, int height, byte[] payload) {
        Objects.requireNonNull(topic, "topic");
        Objects.requireNonNull(cameraId, "cameraId");
        Objects.requireNonNull(frameId, "frameId");
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(payload, "payload");
        RecordHeaders headers = new RecordHeaders();
        headers.add(FrameHeaders.FRAME_ID, utf8(frameId));
        headers.add(FrameHeaders.CAPTURE_TIME, utf8(Long.toString(captureTimeMs)));
        headers.add(FrameHeaders.CONTENT_TYPE, utf8(type.mimeType()));
        if (type.isRaw()) {
            long expected = (long) width * height * type.rawChannels();
            if (width < 1 || height < 1 || payload.length != expected) {
                throw new IllegalArgumentException("raw " + type.mimeType() + " payload of " + payload.length
                        + " bytes does not match " + width + "x" + height + "x" + type.rawChannels());
            }
            headers.add(FrameHeaders.WIDTH, utf8(Integer.toString(width)));
            headers.add(FrameHeaders.HEIGHT, utf8(Integer.toString(height)));
            headers.add(FrameHeaders.CHANNELS, utf8(Integer.toString(type.rawChannels())));
        }
        if (line != null) {
            headers.add(FrameHeaders.LINE, utf8(line));
        }
        return new ProducerRecord<>(topic, null, utf8(cameraId), payload, headers);
    }

    /** A decoded frame as a record of the given type (PNG / JPEG are encoded here, JPEG at quality 0.95). */
    public ProducerRecord<byte[], byte[]> encode(String topic, Frame frame, ContentType type) {
        byte[] payload = switch (type) {
            case RAW_GRAY8, RAW_RGB8 -> {
                if (frame.getChannels() != type.rawChannels()) {
                    throw new IllegalArgumentException("a " + frame.getChannels() + "-channel frame cannot be sent as "
                            + type.mimeType());
                }
                yield frame.getPixels();
            }
            case PNG -> toPng(frame);
            case JPEG -> toJpeg(frame, DEFAULT_JPEG_QUALITY);
        };
        return encode(topic, frame.getCameraId(), frame.getFrameId(), frame.getCaptureTimeMs(), frame.getLine(),
                type, frame.getWidth(), frame.getHeight(), payload);
    }

    public static byte[] toPng(Frame frame) {
        return toPng(frame.getWidth(), frame.getHeight(), frame.getChannels(), frame.getPixels());
    }

    /** An 8-bit gray (channels 1) or RGB (channels 3) PNG of the samples. */
    public static byte[] toPng(int width, int height, int channels, byte[] pixels) {
        return write(image(width, height, channels, pixels), "png", null);
    }

    public static byte[] toJpeg(Frame frame, float quality) {
        return toJpeg(frame.getWidth(), frame.getHeight(), frame.getChannels(), frame.getPixels(), quality);
    }

    /** A baseline JPEG (gray, or YCbCr for RGB) at {@code quality} in 0..1. */
    public static byte[] toJpeg(int width, int height, int channels, byte[] pixels, float quality) {
        if (quality < 0f || quality > 1f) {
            throw new IllegalArgumentException("JPEG quality must be in 0..1, got " + quality);
        }
        return write(image(width, height, channels, pixels), "jpeg", quality);
    }

    /** Wraps the samples without copying them. */
    static BufferedImage image(int width, int height, int channels, byte[] pixels) {
        if (channels != 1 && channels != 3) {
            throw new IllegalArgumentException("channels must be 1 or 3, got " + channels);
        }
        if (width < 1 || height < 1 || pixels.length != (long) width * height * channels) {
            throw new IllegalArgumentException(pixels.length + " samples do not match " + width + "x" + height + "x"
                    + channels);
        }
        int[] bandOffsets = channels == 1 ? new int[] {0} : new int[] {0, 1, 2};
        WritableRaster raster = Raster.createInterleavedRaster(new DataBufferByte(pixels, pixels.length),
                width, height, width * channels, channels, bandOffsets, null);
        ColorSpace space = ColorSpace.getInstance(channels == 1 ? ColorSpace.CS_GRAY : ColorSpace.CS_sRGB);
        ComponentColorModel cm = new ComponentColorModel(space, false, false, Transparency.OPAQUE,
                DataBuffer.TYPE_BYTE);
        return new BufferedImage(cm, raster, false, null);
    }

    private static byte[] write(BufferedImage image, String format, Float jpegQuality) {
        ImageWriter writer = ImageIO.getImageWritersByFormatName(format).next();
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        // An explicit memory stream: ImageIO's default may spool through a temporary file.
        try (MemoryCacheImageOutputStream out = new MemoryCacheImageOutputStream(bytes)) {
            writer.setOutput(out);
            ImageWriteParam param = writer.getDefaultWriteParam();
            if (jpegQuality != null) {
                param.setCompressionMode(ImageWriteParam.MODE_EXPLICIT);
                param.setCompressionQuality(jpegQuality);
            }
            writer.write(null, new IIOImage(image, null, null), param);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot encode " + format, e);
        } finally {
            writer.dispose();
        }
        return bytes.toByteArray();
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
