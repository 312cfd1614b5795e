package io.defectdetector.frame;

import java.awt.image.BufferedImage;
import java.awt.image.ColorModel;
import java.awt.image.ComponentSampleModel;
import java.awt.image.DataBuffer;
import java.awt.image.DataBufferByte;
import java.awt.image.DataBufferUShort;
import java.awt.image.IndexColorModel;
import java.awt.image.Raster;
import java.awt.image.SampleModel;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Iterator;
import java.util.Objects;
import java.util.zip.CRC32;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.ImageTypeSpecifier;
import javax.imageio.event.IIOReadWarningListener;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;

/**
 * Validates a frame record against docs/wire-format.md and decodes its pixels to 8-bit samples.
 *
 * <p>Not thread-safe: it reuses ImageIO readers and a UTF-8 decoder between calls. Create one per thread (per
 * Flink subtask); construction is cheap, readers are created on first use.
 *
 * <p>Encoded images are read from the raster, never through {@code BufferedImage.getRGB}, which converts colour
 * spaces and would change gray levels. 16-bit samples keep their high byte, 1/2/4-bit gray samples are scaled to
 * 0..255, alpha is dropped, and palette images become gray when every palette entry is gray, RGB otherwise.
 */
public final class FrameDecoder {
    private static final int MAX_ID_LENGTH = 128;
    /** Enough digits for any epoch-ms value, few enough that parsing cannot overflow a long. */
    private static final int MAX_DIGITS = 18;
    /** 9999-12-31T23:59:59.999Z, the last instant an ISO-8601 timestamp with a four-digit year can write. */
    static final long MAX_CAPTURE_TIME_MS = 253_402_300_799_999L;
    private static final byte[] PNG_SIGNATURE = {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};

    private final FrameLimits limits;
    private final CharsetDecoder utf8 = StandardCharsets.UTF_8.newDecoder()
            .onMalformedInput(CodingErrorAction.REPORT)
            .onUnmappableCharacter(CodingErrorAction.REPORT);
    private final CRC32 crc = new CRC32();
    /** Entries of the last PNG's PLTE chunk (0 without one): the JDK's reader pads a short palette with black. */
    private int pngPaletteEntries;
    private ImageReader pngReader;
    private ImageReader jpegReader;
    /** First warning of the current read; the JPEG reader reports truncation only as a warning. */
    private String readWarning;
    private final IIOReadWarningListener warningListener = (source, warning) -> {
        if (readWarning == null) {
            readWarning = warning;
        }
    };

    public FrameDecoder() {
        this(FrameLimits.defaults());
    }

    public FrameDecoder(FrameLimits limits) {
        this.limits = Objects.requireNonNull(limits, "limits");
    }

    public FrameLimits limits() {
        return limits;
    }

    /**
     * @param headers the record's headers; null is treated as none
     * @throws FrameRejectedException with the reason code and a detail naming what is wrong
     */
    public Frame decode(byte[] key, byte[] value, Headers headers) throws FrameRejectedException {
        if (value == null) {
            throw reject(RejectReason.EMPTY, "record value is null");
        }
        if (value.length == 0) {
            throw reject(RejectReason.EMPTY, "record value has no bytes");
        }
        if (value.length > limits.maxBytes()) {
            throw reject(RejectReason.OVERSIZED,
                    "record value has " + value.length + " bytes, limit is " + limits.maxBytes());
        }
        String cameraId = cameraId(key);

        String frameId = requiredText(headers, FrameHeaders.FRAME_ID);
        int frameIdLength = frameId.codePointCount(0, frameId.length());
        if (frameIdLength < 1 || frameIdLength > MAX_ID_LENGTH) {
            throw reject(RejectReason.GARBLED_HEADER, "header '" + FrameHeaders.FRAME_ID + "' must have 1-"
                    + MAX_ID_LENGTH + " characters, got " + frameIdLength);
        }
        long captureTime = decimal(FrameHeaders.CAPTURE_TIME, requiredText(headers, FrameHeaders.CAPTURE_TIME));
        if (captureTime > MAX_CAPTURE_TIME_MS) {
            // Most likely microseconds: accepted, they would date alerts tens of thousands of years ahead, in
            // timestamps that the alert schema (four-digit years) refuses.
            throw reject(RejectReason.GARBLED_HEADER, "header '" + FrameHeaders.CAPTURE_TIME + "' value "
                    + captureTime + " is after the year 9999 as milliseconds since the epoch (microseconds?); "
                    + "send milliseconds, at most " + MAX_CAPTURE_TIME_MS);
        }
        String contentTypeText = requiredText(headers, FrameHeaders.CONTENT_TYPE);
        ContentType type = ContentType.parse(contentTypeText).orElseThrow(() -> reject(
                RejectReason.UNSUPPORTED_CONTENT_TYPE, "content-type '" + printable(contentTypeText)
                        + "' is not one of image/x-raw-gray8, image/x-raw-rgb8, image/png, image/jpeg"));
        String line = optionalText(headers, FrameHeaders.LINE);
        if (line != null && !isValidId(line)) {
            throw reject(RejectReason.GARBLED_HEADER, "header '" + FrameHeaders.LINE + "' value '"
                    + printable(line) + "' " + ID_SYNTAX);
        }

        Frame frame = type.isRaw() ? decodeRaw(type, value, headers) : decodeImage(type, value);
        frame.setCameraId(cameraId);
        frame.setFrameId(frameId);
        frame.setCaptureTimeMs(captureTime);
        frame.setLine(line);
        return frame;
    }

    private static final String ID_SYNTAX =
            "must be 1-128 characters from [A-Za-z0-9._:-] starting with a letter or digit";

    /** The camera-id / line-id syntax of the wire format. */
    public static boolean isValidId(String id) {
        if (id == null || id.isEmpty() || id.length() > MAX_ID_LENGTH) {
            return false;
        }
        for (int i = 0; i < id.length(); i++) {
            char c = id.charAt(i);
            boolean alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
            if (!alnum && (i == 0 || (c != '.' && c != '_' && c != ':' && c != '-'))) {
                return false;
            }
        }
        return true;
    }

    private String cameraId(byte[] key) throws FrameRejectedException {
        if (key == null) {
            throw reject(RejectReason.MISSING_KEY, "record key (camera id) is null");
        }
        if (key.length == 0) {
            throw reject(RejectReason.MISSING_KEY, "record key (camera id) is empty");
        }
        String id;
        try {
            id = utf8(key);
        } catch (CharacterCodingException e) {
            throw reject(RejectReason.GARBLED_KEY, "record key (camera id) is not valid UTF-8");
        }
        if (!isValidId(id)) {
            throw reject(RejectReason.GARBLED_KEY, "record key (camera id) '" + printable(id) + "' " + ID_SYNTAX);
        }
        return id;
    }

    private String requiredText(Headers headers, String name) throws FrameRejectedException {
        String text = optionalText(headers, name);
        if (text == null) {
            throw reject(RejectReason.MISSING_HEADER, "required header '" + name + "' is missing");
        }
        return text;
    }

    /** The last header of that name as UTF-8 text, or null when absent. */
    private String optionalText(Headers headers, String name) throws FrameRejectedException {
        Header header = headers == null ? null : headers.lastHeader(name);
        if (header == null) {
            return null;
        }
        byte[] bytes = header.value();
        if (bytes == null) {
            throw reject(RejectReason.GARBLED_HEADER, "header '" + name + "' has a null value");
        }
        try {
            return utf8(bytes);
        } catch (CharacterCodingException e) {
            throw reject(RejectReason.GARBLED_HEADER, "header '" + name + "' is not valid UTF-8");
        }
    }

    private String utf8(byte[] bytes) throws CharacterCodingException {
        return utf8.decode(ByteBuffer.wrap(bytes)).toString();
    }

    private static long decimal(String name, String text) throws FrameRejectedException {
        return decimal(name, text, 0);
    }

    /** The digits of {@code text} from {@code start}, at most MAX_DIGITS of them; rejections quote all of it. */
    private static long decimal(String name, String text, int start) throws FrameRejectedException {
        int n = text.length() - start;
        if (n <= 0 || n > MAX_DIGITS) {
            throw reject(RejectReason.GARBLED_HEADER, "header '" + name + "' must be 1-" + MAX_DIGITS
                    + " ASCII decimal digits, got '" + printable(text) + "'");
        }
        long value = 0;
        for (int i = start; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c < '0' || c > '9') {
                throw reject(RejectReason.GARBLED_HEADER, "header '" + name
                        + "' must be ASCII decimal digits, got '" + printable(text) + "'");
            }
            value = value * 10 + (c - '0');
        }
        return value;
    }

    /**
     * A count in a raw frame's header (width, height, channels): ASCII decimal digits, leading zeros allowed.
     * A number too long for a long is {@link Long#MAX_VALUE}: it is still a number, only over every limit.
     */
    private static long count(String name, String text) throws FrameRejectedException {
        int start = 0;
        while (start < text.length() - 1 && text.charAt(start) == '0') {
            start++;
        }
        if (text.length() - start > MAX_DIGITS && text.chars().allMatch(c -> c >= '0' && c <= '9')) {
            return Long.MAX_VALUE;
        }
        return decimal(name, text, start);
    }

    private int side(Headers headers, String name) throws FrameRejectedException {
        String text = requiredText(headers, name);
        long value = count(name, text);
        if (value < 1) {
            throw reject(RejectReason.GARBLED_HEADER, "header '" + name + "' must be at least 1, got " + value);
        }
        if (value > limits.maxSide()) {
            throw reject(RejectReason.OVERSIZED, "header '" + name + "' is " + printable(text) + " pixels, limit is "
                    + limits.maxSide());
        }
        return (int) value;
    }

    private Frame decodeRaw(ContentType type, byte[] value, Headers headers) throws FrameRejectedException {
        int width = side(headers, FrameHeaders.WIDTH);
        int height = side(headers, FrameHeaders.HEIGHT);
        String channelsText = requiredText(headers, FrameHeaders.CHANNELS);
        long channels = count(FrameHeaders.CHANNELS, channelsText);
        if (channels != type.rawChannels()) {
            throw reject(RejectReason.GARBLED_HEADER, "header '" + FrameHeaders.CHANNELS + "' is "
                    + printable(channelsText) + " but " + type.mimeType() + " has " + type.rawChannels());
        }
        long samples = (long) width * height * channels;
        checkSamples(width, height, (int) channels, samples);
        if (value.length != samples) {
            throw reject(RejectReason.SIZE_MISMATCH, "expected " + samples + " bytes for " + width + "x" + height
                    + "x" + channels + ", got " + value.length);
        }
        // The record's value is the pixel array already: no copy.
        return new Frame(null, null, 0, null, width, height, (int) channels, value);
    }

    private void checkSamples(int width, int height, int channels, long samples) throws FrameRejectedException {
        if (samples > limits.maxSamples()) {
            throw reject(RejectReason.OVERSIZED, width + "x" + height + "x" + channels + " is " + samples
                    + " samples, limit is " + limits.maxSamples());
        }
    }

    /**
     * A JPEG is decoded without its ICC_PROFILE segments: samples are used as stored (docs/model-card.md), as PIL
     * and the training side read them. Left in, the JDK's reader converts pixels from a non-sRGB profile into
     * sRGB (up to 200 levels away), fails on a profile that does not fit the image, and warns on one it cannot
     * parse; a JPEG without profile is decoded from the record's own array.
     */
    private Frame decodeImage(ContentType type, byte[] value) throws FrameRejectedException {
        return decodeImageOnce(type, type == ContentType.JPEG ? withoutIccProfile(value) : value);
    }

    /** The JPEG without its ICC_PROFILE APP2 segments; the same array when it has none or is not well formed. */
    static byte[] withoutIccProfile(byte[] jpeg) {
        if (jpeg.length < 4) { // too short for a segment: the SOI check speaks
            return jpeg;
        }
        byte[] tag = "ICC_PROFILE\0".getBytes(StandardCharsets.US_ASCII);
        ByteArrayOutputStream out = new ByteArrayOutputStream(jpeg.length);
        out.write(jpeg, 0, 2); // SOI
        int pos = 2;
        boolean found = false;
        while (pos + 4 <= jpeg.length && (jpeg[pos] & 0xFF) == 0xFF) {
            int marker = jpeg[pos + 1] & 0xFF;
            if (marker == 0xDA || marker == 0xD9 || marker == 0xFF) { // scan data, end, or fill bytes: stop
                break;
            }
            int end = pos + 2 + ((jpeg[pos + 2] & 0xFF) << 8 | (jpeg[pos + 3] & 0xFF));
            if (end > jpeg.length) {
                return jpeg;
            }
            boolean icc = marker == 0xE2 && end - pos - 4 >= tag.length
                    && Arrays.equals(jpeg, pos + 4, pos + 4 + tag.length, tag, 0, tag.length);
            if (icc) {
                found = true;
            } else {
                out.write(jpeg, pos, end - pos);
            }
            pos = end;
        }
        if (!found) {
            return jpeg;
        }
        out.write(jpeg, pos, jpeg.length - pos);
        return out.toByteArray();
    }

    /**
     * Most scans a JPEG may have. Each scan of a progressive JPEG is another pass over the whole image, and
     * decoders accept any number: a few hundred KB of repeated scans kept one decode busy for minutes, past the
     * checkpoint timeout, so the job restarted on that record forever. Encoders write 1 (baseline) to about 10.
     */
    public static final int MAX_JPEG_SCANS = 64;

    private Frame decodeImageOnce(ContentType type, byte[] value) throws FrameRejectedException {
        String format = type == ContentType.PNG ? "PNG" : "JPEG";
        if (type == ContentType.PNG) {
            value = checkPngStructure(value);
        } else if (value.length < 2 || (value[0] & 0xFF) != 0xFF || (value[1] & 0xFF) != 0xD8) {
            throw reject(RejectReason.UNDECODABLE_IMAGE, "not a JPEG file: it does not start with the SOI marker FF D8");
        } else if (jpegScans(value, MAX_JPEG_SCANS + 1) > MAX_JPEG_SCANS) {
            throw reject(RejectReason.OVERSIZED, "JPEG has more than " + MAX_JPEG_SCANS + " scans (start-of-scan "
                    + "markers); each is a pass over the whole image");
        }
        ImageReader reader = reader(type);
        readWarning = null;
        boolean clean = false;
        long pixels = 0;
        try (ByteArrayImageInputStream in = new ByteArrayImageInputStream(value)) {
            reader.setInput(in, true, true);
            // Header only: the dimensions are checked before any pixel is decoded.
            int width = reader.getWidth(0);
            int height = reader.getHeight(0);
            if (width < 1 || height < 1) {
                throw reject(RejectReason.UNDECODABLE_IMAGE, format + " header gives " + width + "x" + height);
            }
            if (width > limits.maxSide() || height > limits.maxSide()) {
                throw reject(RejectReason.OVERSIZED, format + " header gives " + width + "x" + height
                        + " pixels, limit is " + limits.maxSide() + " per side");
            }
            int channels = expectedChannels(reader);
            checkSamples(width, height, channels, (long) width * height * channels);
            pixels = (long) width * height;

            // The JDK's PNG reader leaves iCCP profiles unapplied; a JPEG's were removed (decodeImage).
            BufferedImage image = reader.read(0);
            if (readWarning != null) {
                throw reject(RejectReason.UNDECODABLE_IMAGE, format + " decoder warning: " + readWarning);
            }
            Frame frame = toFrame(image, format);
            clean = true;
            return frame;
        } catch (FrameRejectedException e) {
            clean = true;
            throw e;
        } catch (IOException | RuntimeException | OutOfMemoryError e) {
            if (outOfMemory(e)) {
                if (!rasterTakesHeap(pixels)) { // a small frame in a heap full for another reason: not its fault
                    if (e instanceof OutOfMemoryError oom) {
                        throw oom;
                    }
                    throw (OutOfMemoryError) new OutOfMemoryError(e.getMessage()).initCause(e);
                }
                // The image's raster did not fit the heap left (the PNG reader wraps the error in an IIOException).
                // Not corrupt, and a restart would replay it into the same wall: a dead letter that says so.
                throw new FrameRejectedException(RejectReason.OVERSIZED, format + " image ran out of Java heap "
                        + "while decoding (16-bit samples and alpha take up to 8 bytes a pixel): give the "
                        + "TaskManagers more heap or send smaller frames", e);
            }
            // ImageIO signals corrupt data with IIOException and, depending on the damage, with assorted
            // runtime exceptions (index out of bounds, negative sizes, ...): all of them mean "cannot decode".
            throw new FrameRejectedException(RejectReason.UNDECODABLE_IMAGE,
                    format + " cannot be decoded: " + why(e), e);
        } finally {
            if (clean) {
                reader.setInput(null);
            } else {
                // A reader that failed mid-read may hold inconsistent state: start the next record afresh.
                reader.dispose();
                if (type == ContentType.PNG) {
                    pngReader = null;
                } else {
                    jpegReader = null;
                }
            }
        }
    }

    /** The decoder's own words for a reader of the dead letter; the exception's class only where it says more. */
    private static String why(Throwable e) {
        String message = e.getMessage();
        if (e instanceof IOException && message != null && !message.isBlank()) {
            return message;
        }
        return e.getClass().getSimpleName() + (message == null ? "" : ": " + message);
    }

    /**
     * Whether a decoded raster of {@code pixels} (up to 8 bytes each: 16-bit RGBA) takes a large share, an eighth
     * or more, of the maximum heap: then an out-of-memory error while decoding it is the frame's doing.
     */
    static boolean rasterTakesHeap(long pixels) {
        return pixels * 8 >= Runtime.getRuntime().maxMemory() / 8;
    }

    private static boolean outOfMemory(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof OutOfMemoryError) {
                return true;
            }
        }
        return false;
    }

    /**
     * The JPEG's start-of-scan markers, counted up to {@code stop}: marker segments are skipped by their length
     * (an EXIF thumbnail's own markers are not counted) and each scan's entropy-coded data up to the next marker.
     * Stray bytes where a marker should start are skipped up to the next FF, as libjpeg does (with a warning, but
     * only after decoding every scan), so they cannot hide scans; a truncated stream ends the count.
     */
    static int jpegScans(byte[] jpeg, int stop) {
        int scans = 0;
        int pos = 2;
        while (pos + 1 < jpeg.length && scans < stop) {
            if ((jpeg[pos] & 0xFF) != 0xFF) { // extraneous data before a marker
                pos++;
                continue;
            }
            int marker = jpeg[pos + 1] & 0xFF;
            if (marker == 0xFF) { // fill byte before a marker
                pos++;
                continue;
            }
            if (marker == 0x00) { // FF 00 is no marker: more extraneous data
                pos += 2;
                continue;
            }
            if (marker == 0xD9) { // end of image
                break;
            }
            if (marker == 0x01 || (marker >= 0xD0 && marker <= 0xD7)) { // markers without a length
                pos += 2;
                continue;
            }
            if (pos + 4 > jpeg.length) {
                break;
            }
            pos += 2 + ((jpeg[pos + 2] & 0xFF) << 8 | (jpeg[pos + 3] & 0xFF));
            if (marker == 0xDA) {
                scans++;
                // Entropy-coded data: FF 00 is a data byte, FF D0-D7 a restart marker, FF FF fill; any other FF
                // starts the next marker.
                while (pos + 1 < jpeg.length) {
                    int next = jpeg[pos + 1] & 0xFF;
                    if ((jpeg[pos] & 0xFF) == 0xFF && next != 0x00 && next != 0xFF && (next < 0xD0 || next > 0xD7)) {
                        break;
                    }
                    pos++;
                }
            }
        }
        return scans;
    }

    private ImageReader reader(ContentType type) {
        if (type == ContentType.PNG) {
            if (pngReader == null) {
                pngReader = newReader("png");
            }
            return pngReader;
        }
        if (jpegReader == null) {
            jpegReader = newReader("jpeg");
        }
        return jpegReader;
    }

    private ImageReader newReader(String formatName) {
        Iterator<ImageReader> readers = ImageIO.getImageReadersByFormatName(formatName);
        if (!readers.hasNext()) {
            throw new IllegalStateException("no ImageIO reader for " + formatName + " in this JVM");
        }
        ImageReader reader = readers.next();
        reader.addIIOReadWarningListener(warningListener);
        return reader;
    }

    /** Output channels the image will decode to, for the sample limit; 3 when the header does not say. */
    private static int expectedChannels(ImageReader reader) throws IOException {
        ImageTypeSpecifier spec = reader.getRawImageType(0);
        if (spec == null) {
            Iterator<ImageTypeSpecifier> types = reader.getImageTypes(0);
            spec = types.hasNext() ? types.next() : null;
        }
        if (spec == null) {
            return 3;
        }
        ColorModel cm = spec.getColorModel();
        if (cm instanceof IndexColorModel icm) {
            return isGrayPalette(icm) ? 1 : 3;
        }
        return cm != null && cm.getNumColorComponents() == 1 ? 1 : 3;
    }

    /**
     * Walks the chunk list up to IEND, checking lengths and CRCs. The JDK's PNG reader ignores CRCs and may
     * return a partly decoded image for a truncated file instead of failing.
     */
    private byte[] checkPngStructure(byte[] png) throws FrameRejectedException {
        if (png.length < PNG_SIGNATURE.length) {
            throw reject(RejectReason.UNDECODABLE_IMAGE, "not a PNG file: only " + png.length + " bytes");
        }
        for (int i = 0; i < PNG_SIGNATURE.length; i++) {
            if (png[i] != PNG_SIGNATURE[i]) {
                throw reject(RejectReason.UNDECODABLE_IMAGE, "not a PNG file: bad signature");
            }
        }
        int pos = PNG_SIGNATURE.length;
        boolean first = true;
        boolean palette = false;
        boolean ancillary = false;
        pngPaletteEntries = 0;
        while (true) {
            if (png.length - pos < 12) {
                throw reject(RejectReason.UNDECODABLE_IMAGE, "truncated PNG: ends at byte " + png.length
                        + " before the IEND chunk");
            }
            long length = ((png[pos] & 0xFFL) << 24) | ((png[pos + 1] & 0xFF) << 16)
                    | ((png[pos + 2] & 0xFF) << 8) | (png[pos + 3] & 0xFF);
            String chunk = new String(png, pos + 4, 4, StandardCharsets.ISO_8859_1);
            if (first && !chunk.equals("IHDR")) {
                throw reject(RejectReason.UNDECODABLE_IMAGE, "corrupt PNG: first chunk is '" + printable(chunk)
                        + "', not IHDR");
            }
            first = false;
            if (length > png.length - pos - 12L) {
                throw reject(RejectReason.UNDECODABLE_IMAGE, "truncated PNG: chunk " + printable(chunk)
                        + " at byte " + pos + " declares " + length + " bytes, only " + (png.length - pos - 12)
                        + " remain");
            }
            int dataEnd = pos + 8 + (int) length;
            crc.reset();
            crc.update(png, pos + 4, 4 + (int) length);
            long stored = ((png[dataEnd] & 0xFFL) << 24) | ((png[dataEnd + 1] & 0xFF) << 16)
                    | ((png[dataEnd + 2] & 0xFF) << 8) | (png[dataEnd + 3] & 0xFF);
            if (crc.getValue() != stored) {
                throw reject(RejectReason.UNDECODABLE_IMAGE, "corrupt PNG: CRC mismatch in chunk "
                        + printable(chunk) + " at byte " + pos);
            }
            if (chunk.equals("IHDR") && length >= 10) {
                palette = png[pos + 8 + 9] == 3; // colour type 3: indexed
            } else if (chunk.equals("PLTE") && palette) { // gray images may carry one (forbidden): not theirs
                pngPaletteEntries = (int) (length / 3);
            } else if (isAncillary(chunk)) {
                ancillary = true;
            }
            if (chunk.equals("IEND")) {
                // The JDK's reader parses the ancillary chunks of palette images (of no other kind), and a malformed
                // one, or a warning about one, would reject a frame whose pixels are fine: they are not read.
                return palette && ancillary ? criticalChunksOnly(png, dataEnd + 4) : png;
            }
            pos = dataEnd + 4;
        }
    }

    /** An ancillary chunk: the fifth bit of its first letter is set (lower case), PNG 5.4. */
    private static boolean isAncillary(String chunk) {
        return (chunk.charAt(0) & 0x20) != 0;
    }

    /** The signature and the critical chunks of a PNG already checked up to {@code end} (its IEND included). */
    private static byte[] criticalChunksOnly(byte[] png, int end) {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream(end);
        out.write(png, 0, PNG_SIGNATURE.length);
        for (int pos = PNG_SIGNATURE.length; pos < end; ) {
            int length = ((png[pos] & 0xFF) << 24) | ((png[pos + 1] & 0xFF) << 16) | ((png[pos + 2] & 0xFF) << 8)
                    | (png[pos + 3] & 0xFF);
            if ((png[pos + 4] & 0x20) == 0) {
                out.write(png, pos, 12 + length);
            }
            pos += 12 + length;
        }
        return out.toByteArray();
    }

    private Frame toFrame(BufferedImage image, String format) throws FrameRejectedException {
        Raster raster = image.getRaster();
        ColorModel cm = image.getColorModel();
        int width = raster.getWidth();
        int height = raster.getHeight();
        if (cm instanceof IndexColorModel icm) {
            return paletteFrame(raster, icm, pngPaletteEntries);
        }
        int channels = cm.getNumColorComponents();
        if (channels != 1 && channels != 3) {
            throw reject(RejectReason.UNDECODABLE_IMAGE, format + " has " + channels
                    + " colour components; only gray and RGB are supported");
        }
        byte[] pixels = interleavedSamples(raster, channels);
        if (pixels == null) {
            pixels = genericSamples(raster, channels);
        }
        return new Frame(null, null, 0, null, width, height, channels, pixels);
    }

    /** Fast path for pixel-interleaved 8- or 16-bit rasters (what the JDK's PNG and JPEG readers produce). */
    private static byte[] interleavedSamples(Raster raster, int channels) {
        SampleModel sm = raster.getSampleModel();
        DataBuffer db = raster.getDataBuffer();
        if (!(sm instanceof ComponentSampleModel csm) || db.getNumBanks() != 1) {
            return null;
        }
        int[] bandOffsets = csm.getBandOffsets();
        for (int bank : csm.getBankIndices()) {
            if (bank != 0) {
                return null;
            }
        }
        int width = raster.getWidth();
        int height = raster.getHeight();
        int pixelStride = csm.getPixelStride();
        int scanline = csm.getScanlineStride();
        int origin = db.getOffset()
                + (raster.getMinY() - raster.getSampleModelTranslateY()) * scanline
                + (raster.getMinX() - raster.getSampleModelTranslateX()) * pixelStride;
        byte[] out;
        if (db instanceof DataBufferByte bytes && sm.getSampleSize(0) == 8) {
            byte[] data = bytes.getData();
            boolean packed = pixelStride == channels && scanline == width * channels;
            for (int c = 0; packed && c < channels; c++) {
                packed = bandOffsets[c] == c;
            }
            if (packed && origin == 0 && data.length == width * height * channels) {
                return data; // the decoded image is thrown away, so its buffer can become the frame's
            }
            out = new byte[width * height * channels];
            int o = 0;
            for (int y = 0; y < height; y++) {
                int row = origin + y * scanline;
                for (int x = 0; x < width; x++) {
                    int p = row + x * pixelStride;
                    for (int c = 0; c < channels; c++) {
                        out[o++] = data[p + bandOffsets[c]];
                    }
                }
            }
            return out;
        }
        if (db instanceof DataBufferUShort shorts && sm.getSampleSize(0) == 16) {
            short[] data = shorts.getData();
            out = new byte[width * height * channels];
            int o = 0;
            for (int y = 0; y < height; y++) {
                int row = origin + y * scanline;
                for (int x = 0; x < width; x++) {
                    int p = row + x * pixelStride;
                    for (int c = 0; c < channels; c++) {
                        out[o++] = (byte) ((data[p + bandOffsets[c]] & 0xFFFF) >>> 8);
                    }
                }
            }
            return out;
        }
        return null;
    }

    /** Any other raster layout (packed low bit depths, banded): slower, row by row. */
    private static byte[] genericSamples(Raster raster, int channels) {
        int width = raster.getWidth();
        int height = raster.getHeight();
        byte[] out = new byte[width * height * channels];
        int[] row = new int[width];
        for (int c = 0; c < channels; c++) {
            int bits = raster.getSampleModel().getSampleSize(c);
            for (int y = 0; y < height; y++) {
                raster.getSamples(raster.getMinX(), raster.getMinY() + y, width, 1, c, row);
                int o = y * width * channels + c;
                for (int x = 0; x < width; x++, o += channels) {
                    out[o] = (byte) to8Bit(row[x], bits);
                }
            }
        }
        return out;
    }

    private static int to8Bit(int sample, int bits) {
        if (bits == 8) {
            return sample;
        }
        if (bits > 8) {
            return sample >>> (bits - 8);
        }
        return sample * 255 / ((1 << bits) - 1);
    }

    private static Frame paletteFrame(Raster raster, IndexColorModel icm, int paletteEntries) {
        int mapSize = icm.getMapSize();
        int size = paletteEntries > 0 ? Math.min(paletteEntries, mapSize) : mapSize;
        byte[] reds = new byte[mapSize];
        byte[] greens = new byte[mapSize];
        byte[] blues = new byte[mapSize];
        icm.getReds(reds);
        icm.getGreens(greens);
        icm.getBlues(blues);
        int channels = isGrayPalette(icm) ? 1 : 3;
        int width = raster.getWidth();
        int height = raster.getHeight();
        byte[] out = new byte[width * height * channels];
        int[] row = new int[width];
        int o = 0;
        for (int y = 0; y < height; y++) {
            raster.getSamples(raster.getMinX(), raster.getMinY() + y, width, 1, 0, row);
            for (int x = 0; x < width; x++) {
                // Indices beyond a short palette are invalid PNG; clamp rather than fail on them.
                int i = Math.min(row[x], size - 1);
                out[o++] = reds[i];
                if (channels == 3) {
                    out[o++] = greens[i];
                    out[o++] = blues[i];
                }
            }
        }
        return new Frame(null, null, 0, null, width, height, channels, out);
    }

    private static boolean isGrayPalette(IndexColorModel icm) {
        for (int i = 0; i < icm.getMapSize(); i++) {
            int r = icm.getRed(i);
            if (r != icm.getGreen(i) || r != icm.getBlue(i)) {
                return false;
            }
        }
        return true;
    }

    /** Header text quoted in a detail: control characters escaped, long values cut. */
    private static String printable(String text) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < text.length() && sb.length() < 80; i++) {
            char c = text.charAt(i);
            if (c < 0x20 || c == 0x7F) {
                sb.append(String.format("\\x%02x", (int) c));
            } else {
                sb.append(c);
            }
        }
        if (sb.length() >= 80 && text.length() > 80) {
            sb.append("...");
        }
        return sb.toString();
    }

    private static FrameRejectedException reject(RejectReason reason, String detail) {
        return new FrameRejectedException(reason, detail);
    }
}
