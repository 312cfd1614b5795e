package io.defectdetector.job.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.defectdetector.job.thresholds.ThresholdSettings;
import java.io.IOException;
import java.io.Serializable;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * The part of a model card (docs/model-card.md) the job relies on, validated when read: a card the job could
 * not honour exactly (an unknown preprocessing step, a missing output) is refused here with a message naming
 * the field, rather than producing silently skewed scores later.
 */
public final class ModelCard implements Serializable {
    private static final long serialVersionUID = 1L;

    public static final int SCHEMA_VERSION = 1;
    public static final String COLOR_GRAY = "gray-bt601-int";
    public static final String COLOR_RGB = "rgb-gray-replicated";
    public static final String RESIZE_AREA = "area-adaptive-avg-pool";

    private static final ObjectMapper JSON = new ObjectMapper();

    /** A graph output named by the card; {@code shape} uses -1 for dynamic axes (may be null when absent). */
    public record TensorSpec(String name, List<Long> shape) implements Serializable {
    }

    private final String origin;
    private final String name;
    private final String version;
    private final String inputName;
    private final int channels;
    private final int height;
    private final int width;
    private final String color;
    private final String resize;
    private final TensorSpec errorMap;
    private final TensorSpec score;
    private final TensorSpec reconstruction;
    private final String onnxSha256;
    private final ThresholdSettings defaultThresholds;
    private final double minFrameAspectTolerance;
    private final InputRange inputRange;

    private ModelCard(String origin, JsonNode root) {
        this.origin = origin;
        int schema = requiredInt(root, "schema_version");
        if (schema != SCHEMA_VERSION) {
            throw invalid("schema_version is " + schema + " but this job reads version " + SCHEMA_VERSION
                    + "; export the model with a matching model-export or upgrade the job");
        }
        this.name = requiredText(root, "name");
        this.version = requiredText(root, "version");

        JsonNode input = requiredObject(root, "input");
        this.inputName = requiredText(input, "input.name");
        this.channels = requiredInt(input, "input.channels");
        this.height = requiredInt(input, "input.height");
        this.width = requiredInt(input, "input.width");
        if (channels != 1 && channels != 3) {
            throw invalid("input.channels must be 1 or 3, got " + channels);
        }
        if (height < 1 || width < 1) {
            throw invalid("input.height and input.width must be >= 1, got " + height + "x" + width);
        }
        expectIfPresent(input, "dtype", "input.dtype", "float32");
        expectIfPresent(input, "layout", "input.layout", "NCHW");
        JsonNode aspect = input.get("min_frame_aspect_tolerance");
        this.minFrameAspectTolerance = aspect == null || aspect.isNull() ? 0
                : aspect.isNumber() ? aspect.asDouble() : Double.NaN;
        if (!(minFrameAspectTolerance >= 0) || Double.isInfinite(minFrameAspectTolerance)) {
            throw invalid("input.min_frame_aspect_tolerance must be a number >= 0, got " + aspect);
        }

        JsonNode pre = requiredObject(root, "preprocessing");
        this.color = requiredText(pre, "preprocessing.color");
        String expectedColor = channels == 1 ? COLOR_GRAY : COLOR_RGB;
        if (!color.equals(expectedColor)) {
            throw invalid("preprocessing.color '" + color + "' is not known for a " + channels
                    + "-channel model; this job implements '" + expectedColor + "' (see docs/model-card.md)");
        }
        this.resize = requiredText(pre, "preprocessing.resize");
        if (!resize.equals(RESIZE_AREA)) {
            throw invalid("preprocessing.resize '" + resize + "' is not known; this job implements '"
                    + RESIZE_AREA + "' (see docs/model-card.md)");
        }
        expectIfPresent(pre, "scale", "preprocessing.scale", "1/255");
        expectIfPresent(pre, "channel_order", "preprocessing.channel_order", "RGB");
        if (pre.has("decode_bits") && pre.get("decode_bits").asInt(-1) != 8) {
            throw invalid("preprocessing.decode_bits must be 8, got " + pre.get("decode_bits"));
        }

        JsonNode outputs = requiredObject(root, "outputs");
        this.errorMap = tensor(outputs, "error_map");
        this.score = tensor(outputs, "score");
        this.reconstruction = tensor(outputs, "reconstruction");
        if ((errorMap == null) != (score == null)) {
            throw invalid("outputs must name both 'error_map' and 'score' (or neither, with 'reconstruction'); "
                    + "found only '" + (errorMap == null ? "score" : "error_map") + "'");
        }
        if (errorMap == null && reconstruction == null) {
            throw invalid("outputs must contain 'error_map' and 'score', or 'reconstruction' for the Java "
                    + "fallback; found " + names(outputs));
        }
        checkShape(errorMap, "outputs.error_map.shape", 1);
        checkShape(reconstruction, "outputs.reconstruction.shape", channels);
        if (score != null && score.shape() != null && score.shape().size() != 1) {
            throw invalid("outputs.score.shape must be [N], got " + score.shape());
        }

        JsonNode onnx = root.get("onnx");
        String sha = onnx == null ? null : onnx.path("sha256").asText(null);
        if (sha != null && !sha.matches("[0-9a-fA-F]{64}")) {
            // Skipping the check would load whatever .onnx file lies beside the card.
            throw invalid("onnx.sha256 must be the 64 hex digits of the .onnx file's SHA-256, got '" + sha
                    + "'; export the card again (or remove the field to load any file beside it)");
        }
        this.onnxSha256 = sha == null ? null : sha.toLowerCase(Locale.ROOT);

        JsonNode thresholds = requiredObject(root, "thresholds");
        double imageScore = requiredDouble(thresholds, "thresholds.image_score");
        double pixel = requiredDouble(thresholds, "thresholds.pixel");
        int minRegionArea = requiredInt(thresholds, "thresholds.min_region_area");
        // The card schema's ranges: a threshold of 0 or less would alert on every frame (and the control topic
        // refuses such values too); the regions are 8-connected here, so a card made for 4 is refused.
        if (!(imageScore > 0) || !(pixel > 0)) {
            throw invalid("thresholds.image_score and thresholds.pixel must be numbers > 0, got " + imageScore
                    + " and " + pixel + "; export the card again or fix these values");
        }
        if (minRegionArea < 1 || minRegionArea > height * width) {
            throw invalid("thresholds.min_region_area must be between 1 and the error map's " + height * width
                    + " pixels (" + width + "x" + height + "), got " + minRegionArea + ": no region could be "
                    + "that large");
        }
        JsonNode connectivity = thresholds.get("region_connectivity");
        if (connectivity != null && !connectivity.isNull() && connectivity.asInt(-1) != 8) {
            throw invalid("thresholds.region_connectivity " + connectivity + " is not supported: the job finds "
                    + "8-connected regions (diagonal neighbours join), as model-export computes them; set it to 8");
        }
        try {
            this.defaultThresholds = new ThresholdSettings(imageScore, pixel, minRegionArea);
        } catch (IllegalArgumentException e) {
            throw invalid("thresholds: " + e.getMessage());
        }
        this.inputRange = inputRange(thresholds.get("input_range"));
    }

    /** Optional: cards exported before the input range existed have none, and the job then checks nothing. */
    private InputRange inputRange(JsonNode node) {
        if (node == null || node.isNull()) {
            return null;
        }
        if (!node.isObject()) {
            throw invalid("thresholds.input_range must be an object, got " + node);
        }
        JsonNode level = requiredObject(node, "thresholds.input_range.level");
        JsonNode spread = requiredObject(node, "thresholds.input_range.spread");
        double levelCentre = requiredDouble(level, "thresholds.input_range.level.centre");
        double levelBand = requiredDouble(level, "thresholds.input_range.level.band");
        double spreadCentre = requiredDouble(spread, "thresholds.input_range.spread.centre");
        double spreadBand = requiredDouble(spread, "thresholds.input_range.spread.band");
        try {
            return new InputRange(levelCentre, levelBand, spreadCentre, spreadBand);
        } catch (IllegalArgumentException e) {
            throw invalid("thresholds." + e.getMessage() + "; run model-export's input-range command again");
        }
    }

    /** Reads and validates a card file; any problem is an IllegalArgumentException naming the file and field. */
    public static ModelCard read(Path json) {
        String text;
        try {
            text = Files.readString(json);
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read model card " + json + ": " + e, e);
        }
        return parse(text, json.toString());
    }

    public static ModelCard parse(String json, String origin) {
        JsonNode root;
        try {
            // Trailing content (a second object, garbage after a hand edit) is refused, not ignored.
            root = JSON.reader().with(DeserializationFeature.FAIL_ON_TRAILING_TOKENS).readTree(json);
        } catch (IOException e) {
            throw new IllegalArgumentException("model card " + origin + " is not valid JSON: "
                    + e.getMessage(), e);
        }
        if (root == null || !root.isObject()) {
            throw new IllegalArgumentException("model card " + origin + " must be a JSON object");
        }
        return new ModelCard(origin, root);
    }

    public String name() {
        return name;
    }

    public String version() {
        return version;
    }

    /**
     * The smallest frame-aspect-tolerance at which the job accepts frames shaped like every image the model was
     * trained on: above 0 for a model trained on squashed images (model-export --squash); 0 when absent.
     */
    public double minFrameAspectTolerance() {
        return minFrameAspectTolerance;
    }

    public String inputName() {
        return inputName;
    }

    public int channels() {
        return channels;
    }

    public int height() {
        return height;
    }

    public int width() {
        return width;
    }

    public String color() {
        return color;
    }

    public String resize() {
        return resize;
    }

    /** True when the graph computes error map and score itself; false: reconstruction + Java fallback. */
    public boolean hasScoringHead() {
        return errorMap != null;
    }

    /** Null when the card names no such output. */
    public TensorSpec errorMapOutput() {
        return errorMap;
    }

    public TensorSpec scoreOutput() {
        return score;
    }

    public TensorSpec reconstructionOutput() {
        return reconstruction;
    }

    /** Height of the error map; the graph's map has the input's resolution (docs/model-card.md). */
    public int mapHeight() {
        return height;
    }

    public int mapWidth() {
        return width;
    }

    /** Lower-case hex SHA-256 of the ONNX file the card describes, or null when the card has none. */
    public String onnxSha256() {
        return onnxSha256;
    }

    public ThresholdSettings defaultThresholds() {
        return defaultThresholds;
    }

    /** The card's input range, or null when it has none. */
    public InputRange inputRange() {
        return inputRange;
    }

    /** Where the card was read from, for messages. */
    public String origin() {
        return origin;
    }

    @Override
    public String toString() {
        return "ModelCard{" + name + " " + version + ", input " + inputName + " " + channels + "x" + height + "x"
                + width + ", " + (hasScoringHead() ? "graph scoring head" : "reconstruction + Java fallback")
                + ", thresholds " + defaultThresholds + (inputRange == null ? "" : ", " + inputRange) + "}";
    }

    private void checkShape(TensorSpec spec, String field, int channelsExpected) {
        if (spec == null || spec.shape() == null) {
            return;
        }
        List<Long> s = spec.shape();
        if (s.size() != 4 || !dimMatches(s.get(1), channelsExpected) || !dimMatches(s.get(2), height)
                || !dimMatches(s.get(3), width)) {
            throw invalid(field + " must be [N, " + channelsExpected + ", " + height + ", " + width + "], got " + s);
        }
    }

    private static boolean dimMatches(long dim, int expected) {
        return dim == -1 || dim == expected;
    }

    private TensorSpec tensor(JsonNode outputs, String key) {
        JsonNode node = outputs.get(key);
        if (node == null || node.isNull()) {
            return null;
        }
        String tensorName = requiredText(node, "outputs." + key + ".name");
        List<Long> shape = null;
        JsonNode shapeNode = node.get("shape");
        if (shapeNode != null && !shapeNode.isNull()) {
            if (!shapeNode.isArray()) {
                throw invalid("outputs." + key + ".shape must be an array of integers");
            }
            shape = new ArrayList<>();
            for (JsonNode d : shapeNode) {
                if (!d.canConvertToLong()) {
                    throw invalid("outputs." + key + ".shape must be an array of integers, got " + shapeNode);
                }
                shape.add(d.asLong());
            }
            shape = List.copyOf(shape);
        }
        return new TensorSpec(tensorName, shape);
    }

    private static String names(JsonNode node) {
        List<String> names = new ArrayList<>();
        node.fieldNames().forEachRemaining(names::add);
        return names.toString();
    }

    private JsonNode requiredObject(JsonNode parent, String field) {
        JsonNode node = parent.get(leaf(field));
        if (node == null || !node.isObject()) {
            throw invalid("missing object '" + field + "'");
        }
        return node;
    }

    private String requiredText(JsonNode parent, String field) {
        JsonNode node = parent.get(leaf(field));
        if (node == null || !node.isTextual() || node.asText().isBlank()) {
            throw invalid("missing text field '" + field + "'");
        }
        return node.asText();
    }

    private int requiredInt(JsonNode parent, String field) {
        JsonNode node = parent.get(leaf(field));
        if (node == null || !node.isIntegralNumber() || !node.canConvertToInt()) {
            throw invalid("missing integer field '" + field + "'" + (node == null ? "" : ", got " + node));
        }
        return node.asInt();
    }

    private double requiredDouble(JsonNode parent, String field) {
        JsonNode node = parent.get(leaf(field));
        if (node == null || !node.isNumber()) {
            throw invalid("missing number field '" + field + "'" + (node == null ? "" : ", got " + node));
        }
        return node.asDouble();
    }

    private void expectIfPresent(JsonNode parent, String key, String field, String expected) {
        JsonNode node = parent.get(key);
        if (node != null && !node.isNull() && !Objects.equals(node.asText(), expected)) {
            throw invalid(field + " must be '" + expected + "', got '" + node.asText() + "'");
        }
    }

    private static String leaf(String field) {
        return field.substring(field.lastIndexOf('.') + 1);
    }

    private IllegalArgumentException invalid(String what) {
        return new IllegalArgumentException("model card " + origin + ": " + what);
    }
}
