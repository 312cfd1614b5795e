package io.defectdetector.job.alerts;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.InputFormat;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SchemaValidatorsConfig;
import com.networknt.schema.SpecVersion;
import com.networknt.schema.ValidationMessage;
import io.defectdetector.job.scoring.DefectRegion;
import io.defectdetector.job.scoring.ScoredFrame;
import io.defectdetector.job.thresholds.Alerts;
import io.defectdetector.job.thresholds.ThresholdSettings;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Alert JSON as documented in docs/alerts.md, validated against docs/alert.schema.json. */
class AlertJsonTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static JsonSchema schema;

    @BeforeAll
    static void loadSchema() throws Exception {
        String text = Files.readString(Path.of("..", "docs", "alert.schema.json"));
        SchemaValidatorsConfig config = SchemaValidatorsConfig.builder().formatAssertionsEnabled(true).build();
        schema = JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V202012).getSchema(text, config);
    }

    @Test
    void writesTheDocumentedFieldsWithIsoTimes() throws Exception {
        JsonNode json = JSON.readTree(AlertJson.toBytes(alert()));
        assertThat(json.get("schemaVersion").asInt()).isEqualTo(1);
        assertThat(json.get("captureTime").asText()).isEqualTo("2025-11-25T07:20:00.123Z");
        assertThat(json.get("detectionTime").asText()).isEqualTo("2025-11-25T07:20:00.400Z");
        assertThat(json.has("captureTimeMs")).isFalse();
        assertThat(json.get("regions").get(0).get("mapArea").asInt()).isEqualTo(6);
        assertThat(json.get("line").asText()).isEqualTo("line-2");
        assertThat(json.has("heatmapPng")).isFalse();
        List<String> names = new ArrayList<>();
        json.fieldNames().forEachRemaining(names::add);
        assertThat(names).containsExactly("schemaVersion", "alertId", "cameraId", "line", "frameId", "captureTime",
                "detectionTime", "modelName", "modelVersion", "score", "threshold", "thresholdSource",
                "pixelThreshold", "imageWidth", "imageHeight", "mapWidth", "mapHeight", "regionCount", "regions");
    }

    @Test
    void frameFaultAlertsCarryTheInputStatisticsAndSatisfyTheSchema() throws Exception {
        DefectAlert a = alert();
        a.setCause(DefectAlert.CAUSE_FRAME);
        a.setInputLevel(1.0);
        a.setInputSpread(-13.8);
        a.setRegions(List.of());
        a.setRegionCount(0);
        byte[] bytes = AlertJson.toBytes(a);
        JsonNode json = JSON.readTree(bytes);
        assertThat(json.get("cause").asText()).isEqualTo("frame");
        assertThat(json.get("inputLevel").asDouble()).isEqualTo(1.0);
        assertThat(errors(bytes)).isEmpty();
        assertThat(AlertJson.fromBytes(bytes)).isEqualTo(a);

        ObjectNode withoutStatistics = ((ObjectNode) json.deepCopy());
        withoutStatistics.remove("inputSpread");
        assertThat(errors(withoutStatistics.toString())).as("a frame alert names its input").isNotEmpty();
        ObjectNode defectWithStatistics = json.deepCopy();
        defectWithStatistics.remove("cause");
        assertThat(errors(defectWithStatistics.toString())).as("only frame alerts carry them").isNotEmpty();
        assertThat(errors(((ObjectNode) json.deepCopy()).put("cause", "camera").toString())).isNotEmpty();
        assertThat(errors(((ObjectNode) json.deepCopy()).put("regionCount", 1).toString()))
                .as("a frame alert localises nothing").isNotEmpty();
        assertThat(errors(((ObjectNode) json.deepCopy()).put("heatmapPng", "iVBORw0KGgo=").toString()))
                .isNotEmpty();
        assertThat(errors(((ObjectNode) json.deepCopy()).put("cause", "defect").toString()))
                .as("a defect alert has no cause").isNotEmpty();
    }

    @Test
    void roundTripsThroughBytes() {
        DefectAlert alert = alert();
        alert.setHeatmapPng(Base64.getEncoder().encodeToString(new byte[] {1, 2, 3, 4}));
        assertThat(AlertJson.fromBytes(AlertJson.toBytes(alert))).isEqualTo(alert);
    }

    @Test
    void serializedAlertsSatisfyTheSchema() {
        DefectAlert full = alert();
        full.setHeatmapPng(Base64.getEncoder().encodeToString(HeatmapPng.encode(new float[256], 16, 16, 1.0)));
        DefectAlert bare = alert();
        bare.setLine(null);
        bare.setThresholdSource(null);  // as in alerts of job versions before the field
        bare.setRegions(List.of());
        bare.setRegionCount(0);
        for (DefectAlert a : List.of(full, bare)) {
            assertThat(errors(AlertJson.toBytes(a))).isEmpty();
        }
    }

    @Test
    void schemaRejectsWhatTheDocsForbid() throws Exception {
        ObjectNode json = (ObjectNode) JSON.readTree(AlertJson.toBytes(alert()));
        assertThat(errors(json.deepCopy().put("captureTime", "2025-11-25 07:20:00").toString())).isNotEmpty();
        assertThat(errors(json.deepCopy().put("alertId", "not-a-uuid").toString())).isNotEmpty();
        assertThat(errors(json.deepCopy().put("extra", 1).toString())).isNotEmpty();
        assertThat(errors(json.deepCopy().put("thresholdSource", "cam-1").toString())).isNotEmpty();
        ObjectNode noScore = json.deepCopy();
        noScore.remove("score");
        assertThat(errors(noScore.toString())).isNotEmpty();
    }

    @Test
    void theFrameFaultAlertTheThresholdsStageBuildsSatisfiesTheSchema() {
        ScoredFrame f = new ScoredFrame();
        f.setCameraId("cam-1");
        f.setFrameId("f1");
        f.setCaptureTimeMs(1_764_055_200_123L);
        f.setModelName("cae");
        f.setModelVersion("v1");
        f.setImageWidth(16);
        f.setImageHeight(16);
        f.setMapWidth(4);
        f.setMapHeight(4);
        float[] map = new float[16];
        java.util.Arrays.fill(map, 5f);  // a map over the pixel threshold everywhere: still no region
        f.setErrorMap(map);
        f.setScore(0.2f);
        f.setInputOutOfRange(true);
        f.setInputLevel(1.0);
        f.setInputSpread(Math.log(1e-6));
        DefectAlert a = Alerts.build(f, 0.2f, new ThresholdSettings(1.0, 1.0, 1), true, 1_764_055_200_400L);
        assertThat(a.getRegions()).isEmpty();
        assertThat(errors(AlertJson.toBytes(a))).isEmpty();
    }

    @Test
    void readersIgnoreFieldsAddedLater() {
        String json = new String(AlertJson.toBytes(alert()), StandardCharsets.UTF_8)
                .replaceFirst("\\{", "{\"futureField\":true,");
        assertThat(AlertJson.fromBytes(json.getBytes(StandardCharsets.UTF_8))).isEqualTo(alert());
    }

    @Test
    void garbageIsReportedAsSuch() {
        assertThatThrownBy(() -> AlertJson.fromBytes("{\"captureTime\": \"yesterday\"}".getBytes()))
                .hasMessageContaining("not a valid DefectAlert JSON document");
    }

    @Test
    void scoreRecordsRoundTrip() throws Exception {
        ScoreRecord r = new ScoreRecord();
        r.setCameraId("cam-1");
        r.setFrameId("f1");
        r.setCaptureTimeMs(1_764_055_200_123L);
        r.setDetectionTimeMs(1_764_055_200_400L);
        r.setScore(0.75f);
        r.setThreshold(1.0f);
        r.setAlert(false);
        r.setModelName("cae");
        r.setModelVersion("v1");
        byte[] bytes = AlertJson.toBytes(r);
        JsonNode json = JSON.readTree(bytes);
        assertThat(json.get("captureTime").asText()).isEqualTo("2025-11-25T07:20:00.123Z");
        assertThat(json.get("alert").asBoolean()).isFalse();
        assertThat(json.has("line")).isFalse();
        assertThat(json.has("thresholdSource")).as("unknown, as in records of older job versions").isFalse();
        assertThat(AlertJson.scoreFromBytes(bytes)).isEqualTo(r);
        r.setThresholdSource("camera:cam-1");
        bytes = AlertJson.toBytes(r);
        assertThat(JSON.readTree(bytes).get("thresholdSource").asText()).isEqualTo("camera:cam-1");
        assertThat(AlertJson.scoreFromBytes(bytes)).isEqualTo(r);
        assertThat(JSON.readTree(bytes).has("cause")).as("only frames over the threshold have one").isFalse();
        r.setAlert(true);
        r.setCause(DefectAlert.CAUSE_FRAME);
        bytes = AlertJson.toBytes(r);
        assertThat(JSON.readTree(bytes).get("cause").asText()).isEqualTo("frame");
        assertThat(AlertJson.scoreFromBytes(bytes)).isEqualTo(r);
    }

    private static Set<ValidationMessage> errors(byte[] json) {
        return errors(new String(json, StandardCharsets.UTF_8));
    }

    private static Set<ValidationMessage> errors(String json) {
        return schema.validate(json, InputFormat.JSON);
    }

    static DefectAlert alert() {
        DefectAlert a = new DefectAlert();
        a.setAlertId(AlertIds.alertId("cam-1", "f1", "cae", "v1"));
        a.setCameraId("cam-1");
        a.setLine("line-2");
        a.setFrameId("f1");
        a.setThresholdSource("camera:cam-1");
        a.setCaptureTimeMs(1_764_055_200_123L);
        a.setDetectionTimeMs(1_764_055_200_400L);
        a.setModelName("cae");
        a.setModelVersion("v1");
        a.setScore(2.5f);
        a.setThreshold(1.0f);
        a.setPixelThreshold(1.0f);
        a.setImageWidth(256);
        a.setImageHeight(256);
        a.setMapWidth(128);
        a.setMapHeight(128);
        a.setRegionCount(1);
        a.setRegions(List.of(new DefectRegion(20, 40, 6, 4, 24, 3.5f, 2.0f, 10, 20, 3, 2, 6)));
        return a;
    }
}
