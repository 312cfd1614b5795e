package io.defectdetector.job.alerts;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.UUID;

/**
 * Deterministic alert ids: a name-based UUID (RFC 4122 version 5, SHA-1) of camera, frame, model name and model
 * version. A frame scored again after a failover gets the same id, so at-least-once consumers deduplicate by it;
 * the same frame scored by another model version gets another id.
 *
 * <p>Name bytes: for each of the four fields in that order, its UTF-8 byte length in decimal, ':', its UTF-8
 * bytes (length prefixes keep ("a:b", "c") and ("a", "b:c") apart). Namespace {@link #NAMESPACE}. Documented in
 * docs/alerts.md so consumers can recompute ids.
 */
public final class AlertIds {
    public static final UUID NAMESPACE = UUID.fromString("6f1b8e0c-3d5a-4c2e-9b7f-0a4d2c8e1f35");

    private AlertIds() {
    }

    public static String alertId(String cameraId, String frameId, String modelName, String modelVersion) {
        MessageDigest sha1;
        try {
            sha1 = MessageDigest.getInstance("SHA-1");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-1 is required of every JVM", e);
        }
        sha1.update(ByteBuffer.allocate(16).putLong(NAMESPACE.getMostSignificantBits())
                .putLong(NAMESPACE.getLeastSignificantBits()).array());
        for (String part : new String[] {cameraId, frameId, modelName, modelVersion}) {
            byte[] bytes = (part == null ? "" : part).getBytes(StandardCharsets.UTF_8);
            sha1.update((bytes.length + ":").getBytes(StandardCharsets.US_ASCII));
            sha1.update(bytes);
        }
        byte[] hash = sha1.digest();
        hash[6] = (byte) ((hash[6] & 0x0F) | 0x50); // version 5
        hash[8] = (byte) ((hash[8] & 0x3F) | 0x80); // IETF variant
        ByteBuffer b = ByteBuffer.wrap(hash, 0, 16);
        return new UUID(b.getLong(), b.getLong()).toString();
    }
}
