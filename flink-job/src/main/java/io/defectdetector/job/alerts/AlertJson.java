package io.defectdetector.job.alerts;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;

/**
 * JSON for alerts and score records, both directions, through one shared ObjectMapper (thread-safe once
 * configured; building one per record would dominate the cost of a small alert).
 *
 * <p>Unknown fields are ignored when reading, so consumers built on this class keep working when later schema
 * versions add fields. Non-finite floats would be written as strings, which the schema forbids; the thresholds
 * stage never puts them into an alert or a score record (thresholds.Alerts#finite).
 */
public final class AlertJson {
    static final ObjectMapper MAPPER = new ObjectMapper()
            .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false)
            .configure(JsonGenerator.Feature.AUTO_CLOSE_TARGET, false);

    private AlertJson() {
    }

    public static byte[] toBytes(DefectAlert alert) {
        return write(alert);
    }

    public static DefectAlert fromBytes(byte[] json) {
        return read(json, DefectAlert.class);
    }

    public static byte[] toBytes(ScoreRecord score) {
        return write(score);
    }

    public static ScoreRecord scoreFromBytes(byte[] json) {
        return read(json, ScoreRecord.class);
    }

    private static byte[] write(Object value) {
        try {
            return MAPPER.writeValueAsBytes(value);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write " + value.getClass().getSimpleName() + " as JSON", e);
        }
    }

    private static <T> T read(byte[] json, Class<T> type) {
        try {
            return MAPPER.readValue(json, type);
        } catch (IOException e) {
            throw new UncheckedIOException("not a valid " + type.getSimpleName() + " JSON document: "
                    + e.getMessage(), e);
        }
    }
}
