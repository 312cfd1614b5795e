package io.defectdetector.job.control;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.defectdetector.job.alerts.IsoMillis;
import io.defectdetector.job.thresholds.EffectiveThresholds;
import io.defectdetector.job.thresholds.ThresholdOverride;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Map;

/**
 * JSON of threshold overrides, effective thresholds and audit records (docs/operations.md). The names follow the
 * model card's {@code thresholds} section, so a value read from a card, a command and an audit record is spelled
 * the same everywhere. Times are ISO-8601 UTC, as in alerts.
 */
public final class ControlJson {
    static final ObjectMapper MAPPER = new ObjectMapper();

    private ControlJson() {
    }

    public static ObjectNode object() {
        return MAPPER.createObjectNode();
    }

    /** An override as stored, with whether its score settings apply to the running model's scale. */
    public static ObjectNode override(ThresholdOverride o, String runningScale) {
        ObjectNode n = object();
        if (o.getImageScore() != null) {
            n.put(ControlCommandParser.IMAGE_SCORE, o.getImageScore());
        }
        if (o.getPixel() != null) {
            n.put(ControlCommandParser.PIXEL, o.getPixel());
        }
        if (o.getMinRegionArea() != null) {
            n.put(ControlCommandParser.MIN_REGION_AREA, o.getMinRegionArea());
        }
        if (o.hasDebounce()) {
            n.set(ControlCommandParser.DEBOUNCE, debounce(o.getDebounceK(), o.getDebounceN()));
        }
        n.put("score_scale", o.getScoreScale());
        if (runningScale != null && o.hasScoreSettings()) {
            n.put("score_settings_active", o.appliesTo(runningScale));
        }
        n.put("tuned_on", o.getTunedOn());
        n.put("updated_by", o.getUpdatedBy());
        n.put("updated_at", IsoMillis.format(o.getUpdatedAtMs()));
        return n;
    }

    public static ObjectNode effective(EffectiveThresholds e) {
        ObjectNode n = object();
        n.put(ControlCommandParser.IMAGE_SCORE, e.imageScore());
        n.put(ControlCommandParser.PIXEL, e.pixel());
        n.put(ControlCommandParser.MIN_REGION_AREA, e.minRegionArea());
        n.set(ControlCommandParser.DEBOUNCE, debounce(e.debounceK(), e.debounceN()));
        ObjectNode from = n.putObject("from");
        from.put(ControlCommandParser.IMAGE_SCORE, e.imageScoreSource());
        from.put(ControlCommandParser.PIXEL, e.pixelSource());
        from.put(ControlCommandParser.MIN_REGION_AREA, e.minRegionAreaSource());
        from.put(ControlCommandParser.DEBOUNCE, e.debounceSource());
        return n;
    }

    public static ObjectNode overrides(Iterable<Map.Entry<String, ThresholdOverride>> entries, String runningScale) {
        ObjectNode n = object();
        java.util.TreeMap<String, ThresholdOverride> sorted = new java.util.TreeMap<>();
        entries.forEach(e -> sorted.put(e.getKey(), e.getValue()));
        sorted.forEach((k, v) -> n.set(k, override(v, runningScale)));
        return n;
    }

    private static ObjectNode debounce(int k, int n) {
        ObjectNode d = object();
        d.put("k", k);
        d.put("n", n);
        return d;
    }

    public static String write(ObjectNode node) {
        try {
            return MAPPER.writeValueAsString(node);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    public static ObjectNode read(String json) {
        try {
            return (ObjectNode) MAPPER.readTree(json);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
