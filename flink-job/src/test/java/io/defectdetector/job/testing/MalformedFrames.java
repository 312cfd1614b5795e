package io.defectdetector.job.testing;

import io.defectdetector.frame.ContentType;
import io.defectdetector.frame.FrameEncoder;
import io.defectdetector.frame.FrameHeaders;
import io.defectdetector.frame.RejectReason;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.Map;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.internals.RecordHeaders;

/**
 * One frame record per rejection reason, each breaking exactly one rule of docs/wire-format.md (or, for
 * WRONG_SHAPE, fitting a square model badly). Records are tagged with a {@code frame-id} (where they have one)
 * naming the reason, so tests can match dead letters to what was sent.
 */
public final class MalformedFrames {
    /** Value limit the records are built for: OVERSIZED exceeds it, every other record is below it. */
    public static final int MAX_BYTES = 64 * 1024;

    private MalformedFrames() {
    }

    /** A valid gray raw frame of the given size, filled with mid-gray. */
    public static ProducerRecord<byte[], byte[]> good(String topic, String camera, String frameId, int w, int h) {
        byte[] pixels = new byte[w * h];
        Arrays.fill(pixels, (byte) 128);
        return new FrameEncoder().encode(topic, camera, frameId, System.currentTimeMillis(), "line-1",
                ContentType.RAW_GRAY8, w, h, pixels);
    }

    /** One malformed record per reason, for a square model (WRONG_SHAPE is a 4:1 frame). */
    public static Map<RejectReason, ProducerRecord<byte[], byte[]>> oneOfEach(String topic, String camera) {
        Map<RejectReason, ProducerRecord<byte[], byte[]>> records = new EnumMap<>(RejectReason.class);
        records.put(RejectReason.EMPTY, record(topic, camera, headers("EMPTY", ContentType.RAW_GRAY8, 8, 8, 1),
                new byte[0]));
        records.put(RejectReason.OVERSIZED, record(topic, camera,
                headers("OVERSIZED", ContentType.RAW_GRAY8, MAX_BYTES + 1, 1, 1), new byte[MAX_BYTES + 1]));
        records.put(RejectReason.MISSING_KEY, record(topic, null,
                headers("MISSING_KEY", ContentType.RAW_GRAY8, 8, 8, 1), new byte[64]));
        records.put(RejectReason.GARBLED_KEY, new ProducerRecord<>(topic, null,
                new byte[] {(byte) 0xC3, (byte) 0x28}, new byte[64], headers("GARBLED_KEY", ContentType.RAW_GRAY8,
                8, 8, 1)));
        RecordHeaders noFrameId = headers("MISSING_HEADER", ContentType.RAW_GRAY8, 8, 8, 1);
        noFrameId.remove(FrameHeaders.FRAME_ID);
        records.put(RejectReason.MISSING_HEADER, record(topic, camera, noFrameId, new byte[64]));
        RecordHeaders badTime = headers("GARBLED_HEADER", ContentType.RAW_GRAY8, 8, 8, 1);
        badTime.remove(FrameHeaders.CAPTURE_TIME);
        badTime.add(FrameHeaders.CAPTURE_TIME, utf8("yesterday"));
        records.put(RejectReason.GARBLED_HEADER, record(topic, camera, badTime, new byte[64]));
        RecordHeaders gif = headers("UNSUPPORTED_CONTENT_TYPE", ContentType.RAW_GRAY8, 8, 8, 1);
        gif.remove(FrameHeaders.CONTENT_TYPE);
        gif.add(FrameHeaders.CONTENT_TYPE, utf8("image/gif"));
        records.put(RejectReason.UNSUPPORTED_CONTENT_TYPE, record(topic, camera, gif, new byte[64]));
        records.put(RejectReason.SIZE_MISMATCH, record(topic, camera,
                headers("SIZE_MISMATCH", ContentType.RAW_GRAY8, 8, 8, 1), new byte[63]));
        records.put(RejectReason.UNDECODABLE_IMAGE, record(topic, camera,
                headers("UNDECODABLE_IMAGE", ContentType.PNG, 0, 0, 0), utf8("this is not a PNG file at all")));
        records.put(RejectReason.WRONG_SHAPE, record(topic, camera,
                headers("WRONG_SHAPE", ContentType.RAW_GRAY8, 64, 16, 1), new byte[64 * 16]));
        return records;
    }

    private static ProducerRecord<byte[], byte[]> record(String topic, String camera, RecordHeaders headers,
            byte[] value) {
        return new ProducerRecord<>(topic, null, camera == null ? null : utf8(camera), value, headers);
    }

    private static RecordHeaders headers(String frameId, ContentType type, int w, int h, int channels) {
        RecordHeaders headers = new RecordHeaders();
        headers.add(FrameHeaders.FRAME_ID, utf8(frameId));
        headers.add(FrameHeaders.CAPTURE_TIME, utf8(Long.toString(System.currentTimeMillis())));
        headers.add(FrameHeaders.CONTENT_TYPE, utf8(type.mimeType()));
        if (type.isRaw()) {
            headers.add(FrameHeaders.WIDTH, utf8(Integer.toString(w)));
            headers.add(FrameHeaders.HEIGHT, utf8(Integer.toString(h)));
            headers.add(FrameHeaders.CHANNELS, utf8(Integer.toString(channels)));
        }
        return headers;
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
