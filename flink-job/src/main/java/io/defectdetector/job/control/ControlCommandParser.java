package io.defectdetector.job.control;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.json.JsonReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import io.defectdetector.job.thresholds.ThresholdTarget;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Reads one control command (JSON, docs/operations.md) and checks every field, so that what reaches the
 * thresholds state is always valid: a refused command names its {@link ControlRejectReason} and the field.
 *
 * <p>Strict on purpose: unknown fields, duplicate fields, numbers given as strings and nulls are refused rather
 * than ignored or coerced, because a silently ignored typo ({@code "imagescore": 5}) would look applied to whoever
 * sent it. NaN and Infinity are parsed (Jackson's non-numeric numbers) only to be refused as values with a clear
 * message.
 */
public final class ControlCommandParser {
    /** Commands are a few hundred bytes; this bound only stops a misdirected producer. */
    public static final int MAX_BYTES = 64 * 1024;
    public static final String IMAGE_SCORE = "image_score";
    public static final String PIXEL = "pixel";
    public static final String MIN_REGION_AREA = "min_region_area";
    public static final String DEBOUNCE = "debounce";
    public static final List<String> SETTINGS = List.of(IMAGE_SCORE, PIXEL, MIN_REGION_AREA, DEBOUNCE);
    /** The debounce window is a 64-bit history per camera. */
    public static final int MAX_DEBOUNCE_N = 64;
    /** Larger than any error map (4096 x 4096) yet far from integer overflow. */
    public static final int MAX_MIN_REGION_AREA = 1 << 24;
    public static final int MAX_ID_CHARS = 128;
    public static final int MAX_COMMENT_CHARS = 1000;

    private static final Set<String> FIELDS = Set.of("action", "target", "by", "request_id", "comment", IMAGE_SCORE,
            PIXEL, MIN_REGION_AREA, DEBOUNCE, "fields", "line");
    private static final ObjectMapper JSON = JsonMapper.builder()
            .enable(JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS)
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .build();

    private ControlCommandParser() {
    }

    /**
     * @param value the control record's value (UTF-8 JSON)
     * @return the command; {@code commandId} and {@code requestedAtMs} are left for the caller
     */
    public static ControlCommand parse(byte[] value) throws ControlCommandException {
        if (value == null || value.length == 0) {
            throw new ControlCommandException(ControlRejectReason.EMPTY, "the control record has no value");
        }
        if (value.length > MAX_BYTES) {
            throw new ControlCommandException(ControlRejectReason.OVERSIZED, "the control record has "
                    + value.length + " bytes; commands are limited to " + MAX_BYTES);
        }
        JsonNode root;
        try {
            // Decoded strictly as UTF-8 first: Jackson would also detect UTF-16 and UTF-32 from the bytes.
            String text = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(value)).toString();
            root = JSON.readTree(text.startsWith("\uFEFF") ? text.substring(1) : text); // a BOM is tolerated
        } catch (CharacterCodingException e) {
            throw new ControlCommandException(ControlRejectReason.NOT_JSON, "not UTF-8 text: " + e);
        } catch (JsonProcessingException e) {
            throw new ControlCommandException(ControlRejectReason.NOT_JSON, "not a JSON object: "
                    + e.getOriginalMessage());
        } catch (IOException e) {
            throw new ControlCommandException(ControlRejectReason.NOT_JSON, "not a JSON object: " + e.getMessage());
        }
        if (root == null || !root.isObject()) {
            throw new ControlCommandException(ControlRejectReason.NOT_JSON, "a command must be one JSON object, got "
                    + (root == null ? "nothing" : root.getNodeType().name().toLowerCase(Locale.ROOT)));
        }
        return command(root);
    }

    public static ControlCommand parse(String json) throws ControlCommandException {
        return parse(json.getBytes(StandardCharsets.UTF_8));
    }

    private static ControlCommand command(JsonNode root) throws ControlCommandException {
        for (Iterator<String> names = root.fieldNames(); names.hasNext(); ) {
            String name = names.next();
            if (!FIELDS.contains(name)) {
                throw new ControlCommandException(ControlRejectReason.UNKNOWN_FIELD, "unknown field '" + name
                        + "'; a command has " + new java.util.TreeSet<>(FIELDS));
            }
        }
        ControlCommand c = new ControlCommand();
        c.setAction(action(root));
        c.setBy(requiredText(root, "by", MAX_ID_CHARS));
        c.setRequestId(optionalText(root, "request_id", MAX_ID_CHARS));
        c.setComment(optionalText(root, "comment", MAX_COMMENT_CHARS));
        c.setTarget(target(root, c.getAction()));
        switch (c.getAction()) {
            case SET -> {
                refuse(root, "fields", "'fields' belongs to reset; set takes the values themselves");
                refuse(root, "line", "'line' belongs to show");
                settings(root, c);
            }
            case RESET -> {
                refuseSettings(root, "reset takes no values; name the settings to remove in 'fields'");
                refuse(root, "line", "'line' belongs to show");
                c.setResetFields(resetFields(root));
            }
            case SHOW -> {
                refuseSettings(root, "show changes nothing and takes no values");
                refuse(root, "fields", "'fields' belongs to reset");
                if (root.has("line")) {
                    if (!c.getTarget().startsWith("camera:")) {
                        throw new ControlCommandException(ControlRejectReason.BAD_VALUE,
                                "'line' is only for showing a camera (the line the camera belongs to)");
                    }
                    String line = requiredText(root, "line", MAX_ID_CHARS);
                    if (!ThresholdTarget.isValidId(line)) {
                        throw new ControlCommandException(ControlRejectReason.BAD_VALUE, "'line' '" + line
                                + "' is not a valid line id (1-128 characters from [A-Za-z0-9._:-], first "
                                + "alphanumeric)");
                    }
                    c.setLine(line);
                }
            }
            default -> throw new IllegalStateException("unreachable");
        }
        return c;
    }

    private static ControlAction action(JsonNode root) throws ControlCommandException {
        JsonNode node = root.get("action");
        if (node == null) {
            throw new ControlCommandException(ControlRejectReason.MISSING_FIELD,
                    "'action' is missing; use set, reset or show");
        }
        if (node.isTextual()) {
            for (ControlAction a : ControlAction.values()) {
                if (a.jsonName().equals(node.asText())) {
                    return a;
                }
            }
        }
        throw new ControlCommandException(ControlRejectReason.BAD_ACTION, "'action' is " + node
                + "; use \"set\", \"reset\" or \"show\"");
    }

    private static String target(JsonNode root, ControlAction action) throws ControlCommandException {
        JsonNode node = root.get("target");
        if (node == null) {
            throw new ControlCommandException(ControlRejectReason.MISSING_FIELD, "'target' is missing; use "
                    + "\"default\", \"line:<id>\" or \"camera:<id>\"" + (action == ControlAction.SHOW
                    ? " (or \"all\")" : ""));
        }
        if (!node.isTextual()) {
            throw new ControlCommandException(ControlRejectReason.BAD_TARGET, "'target' must be a string such as "
                    + "\"camera:cam-01\", got " + node);
        }
        String text = node.asText();
        if (action == ControlAction.SHOW && ControlCommand.ALL_TARGETS.equals(text)) {
            return text;
        }
        try {
            return ThresholdTarget.parse(text).key();
        } catch (IllegalArgumentException e) {
            throw new ControlCommandException(ControlRejectReason.BAD_TARGET, e.getMessage()
                    + (ControlCommand.ALL_TARGETS.equals(text) ? " ('all' is only for show)" : ""));
        }
    }

    private static void settings(JsonNode root, ControlCommand c) throws ControlCommandException {
        boolean any = false;
        if (root.has(IMAGE_SCORE)) {
            c.setImageScore(positiveFinite(root.get(IMAGE_SCORE), IMAGE_SCORE));
            any = true;
        }
        if (root.has(PIXEL)) {
            c.setPixel(positiveFinite(root.get(PIXEL), PIXEL));
            any = true;
        }
        if (root.has(MIN_REGION_AREA)) {
            c.setMinRegionArea(integer(root.get(MIN_REGION_AREA), MIN_REGION_AREA, 0, MAX_MIN_REGION_AREA));
            any = true;
        }
        if (root.has(DEBOUNCE)) {
            JsonNode d = root.get(DEBOUNCE);
            if (!d.isObject()) {
                throw new ControlCommandException(ControlRejectReason.BAD_VALUE, "'debounce' must be an object "
                        + "{\"k\": <frames over>, \"n\": <of the last n frames>}, got " + d);
            }
            for (Iterator<String> names = d.fieldNames(); names.hasNext(); ) {
                String name = names.next();
                if (!name.equals("k") && !name.equals("n")) {
                    throw new ControlCommandException(ControlRejectReason.UNKNOWN_FIELD, "unknown field 'debounce."
                            + name + "'; debounce has k and n");
                }
            }
            if (!d.has("k") || !d.has("n")) {
                throw new ControlCommandException(ControlRejectReason.MISSING_FIELD,
                        "'debounce' needs both k and n (alert when k of the last n frames are over the threshold)");
            }
            int n = integer(d.get("n"), "debounce.n", 1, MAX_DEBOUNCE_N);
            int k = integer(d.get("k"), "debounce.k", 1, MAX_DEBOUNCE_N);
            if (k > n) {
                throw new ControlCommandException(ControlRejectReason.BAD_VALUE, "debounce.k (" + k
                        + ") must not exceed debounce.n (" + n + ")");
            }
            c.setDebounceK(k);
            c.setDebounceN(n);
            any = true;
        }
        if (!any) {
            throw new ControlCommandException(ControlRejectReason.MISSING_FIELD, "set needs at least one of "
                    + SETTINGS);
        }
    }

    private static String[] resetFields(JsonNode root) throws ControlCommandException {
        JsonNode node = root.get("fields");
        if (node == null) {
            return null;
        }
        if (!node.isArray() || node.isEmpty()) {
            throw new ControlCommandException(ControlRejectReason.BAD_VALUE, "'fields' must be a non-empty array "
                    + "of " + SETTINGS + " (leave it out to reset everything), got " + node);
        }
        Set<String> fields = new LinkedHashSet<>();
        for (JsonNode f : node) {
            if (!f.isTextual() || !SETTINGS.contains(f.asText())) {
                throw new ControlCommandException(ControlRejectReason.BAD_VALUE, "'fields' may name " + SETTINGS
                        + ", got " + f);
            }
            if (!fields.add(f.asText())) {
                throw new ControlCommandException(ControlRejectReason.BAD_VALUE, "'fields' names " + f
                        + " twice");
            }
        }
        return fields.toArray(new String[0]);
    }

    private static void refuseSettings(JsonNode root, String why) throws ControlCommandException {
        for (String s : SETTINGS) {
            refuse(root, s, why + " (got '" + s + "')");
        }
    }

    private static void refuse(JsonNode root, String field, String why) throws ControlCommandException {
        if (root.has(field)) {
            throw new ControlCommandException(ControlRejectReason.BAD_VALUE, why);
        }
    }

    private static double positiveFinite(JsonNode node, String field) throws ControlCommandException {
        if (node == null || !node.isNumber()) {
            throw new ControlCommandException(ControlRejectReason.BAD_VALUE, "'" + field + "' must be a number, got "
                    + node);
        }
        double v = node.asDouble();
        if (!Double.isFinite(v) || v <= 0) {
            throw new ControlCommandException(ControlRejectReason.BAD_VALUE, "'" + field + "' must be a finite "
                    + "number > 0 (1.0 = the model's calibrated threshold), got " + v);
        }
        return v;
    }

    private static int integer(JsonNode node, String field, int min, int max) throws ControlCommandException {
        if (node == null || !node.isIntegralNumber() || !node.canConvertToInt() || node.asInt() < min
                || node.asInt() > max) {
            throw new ControlCommandException(ControlRejectReason.BAD_VALUE, "'" + field + "' must be an integer "
                    + "from " + min + " to " + max + ", got " + node);
        }
        return node.asInt();
    }

    private static String requiredText(JsonNode root, String field, int maxChars) throws ControlCommandException {
        if (!root.has(field)) {
            throw new ControlCommandException(ControlRejectReason.MISSING_FIELD, "'" + field + "' is missing"
                    + (field.equals("by") ? "; say who sends the command (it goes into the audit trail)" : ""));
        }
        String text = optionalText(root, field, maxChars);
        if (text.isBlank()) {
            throw new ControlCommandException(ControlRejectReason.BAD_VALUE, "'" + field + "' must not be blank");
        }
        return text;
    }

    private static String optionalText(JsonNode root, String field, int maxChars) throws ControlCommandException {
        JsonNode node = root.get(field);
        if (node == null) {
            return null;
        }
        if (!node.isTextual()) {
            throw new ControlCommandException(ControlRejectReason.BAD_VALUE, "'" + field + "' must be a string, got "
                    + node);
        }
        String text = node.asText();
        // Characters as a person counts them (code points): an emoji is one, not two UTF-16 units.
        if (text.codePointCount(0, text.length()) > maxChars || text.chars().anyMatch(Character::isISOControl)) {
            throw new ControlCommandException(ControlRejectReason.BAD_VALUE, "'" + field + "' must be at most "
                    + maxChars + " characters without control characters");
        }
        return text;
    }
}
