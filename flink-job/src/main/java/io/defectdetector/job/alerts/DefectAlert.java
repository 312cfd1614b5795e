package io.defectdetector.job.alerts;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import com.fasterxml.jackson.databind.annotation.JsonDeserialize;
import com.fasterxml.jackson.databind.annotation.JsonSerialize;
import io.defectdetector.job.scoring.DefectRegion;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * A defect alert as published to the alerts topic: a Flink POJO in the job, JSON on the wire (see
 * docs/alerts.md and docs/alert.schema.json; {@link AlertJson} reads and writes it). Times are epoch ms here and
 * ISO-8601 UTC strings in JSON.
 */
@JsonPropertyOrder({"schemaVersion", "alertId", "cameraId", "line", "frameId", "captureTime", "detectionTime",
        "modelName", "modelVersion", "cause", "score", "threshold", "thresholdSource", "inputLevel", "inputSpread",
        "pixelThreshold", "imageWidth",
        "imageHeight", "mapWidth", "mapHeight", "regionCount", "regions", "heatmapPng"})
public class DefectAlert {
    public static final int SCHEMA_VERSION = 1;
    /** {@link #getCause()} of a frame whose input is outside the model card's input range (model.InputRange),
     * whatever its score. */
    public static final String CAUSE_FRAME = "frame";

    private int schemaVersion = SCHEMA_VERSION;
    private String alertId;
    private String cameraId;
    @JsonInclude(JsonInclude.Include.NON_NULL)
    private String line;
    private String frameId;
    @JsonProperty("captureTime")
    @JsonSerialize(using = IsoMillis.Serializer.class)
    @JsonDeserialize(using = IsoMillis.Deserializer.class)
    private long captureTimeMs;
    @JsonProperty("detectionTime")
    @JsonSerialize(using = IsoMillis.Serializer.class)
    @JsonDeserialize(using = IsoMillis.Deserializer.class)
    private long detectionTimeMs;
    private String modelName;
    private String modelVersion;
    /** {@link #CAUSE_FRAME}, or null (absent in JSON) for a defect: alerts on defects stay as they were. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    private String cause;
    private float score;
    private float threshold;
    /** Which override set the image threshold ({@code camera:ID}, {@code line:ID}, {@code default}) or
     * {@code model}; null in alerts of job versions before the field. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    private String thresholdSource;
    /** The input's level and spread (model.InputRange) of a frame alerting with cause "frame", else null. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    private Double inputLevel;
    @JsonInclude(JsonInclude.Include.NON_NULL)
    private Double inputSpread;
    private float pixelThreshold;
    private int imageWidth;
    private int imageHeight;
    private int mapWidth;
    private int mapHeight;
    private int regionCount;
    private List<DefectRegion> regions = new ArrayList<>();
    @JsonInclude(JsonInclude.Include.NON_NULL)
    private String heatmapPng;

    public DefectAlert() {
    }

    public int getSchemaVersion() {
        return schemaVersion;
    }

    public void setSchemaVersion(int schemaVersion) {
        this.schemaVersion = schemaVersion;
    }

    public String getAlertId() {
        return alertId;
    }

    public void setAlertId(String alertId) {
        this.alertId = alertId;
    }

    public String getCameraId() {
        return cameraId;
    }

    public void setCameraId(String cameraId) {
        this.cameraId = cameraId;
    }

    public String getLine() {
        return line;
    }

    public void setLine(String line) {
        this.line = line;
    }

    public String getFrameId() {
        return frameId;
    }

    public void setFrameId(String frameId) {
        this.frameId = frameId;
    }

    public long getCaptureTimeMs() {
        return captureTimeMs;
    }

    public void setCaptureTimeMs(long captureTimeMs) {
        this.captureTimeMs = captureTimeMs;
    }

    public long getDetectionTimeMs() {
        return detectionTimeMs;
    }

    public void setDetectionTimeMs(long detectionTimeMs) {
        this.detectionTimeMs = detectionTimeMs;
    }

    public String getModelName() {
        return modelName;
    }

    public void setModelName(String modelName) {
        this.modelName = modelName;
    }

    public String getModelVersion() {
        return modelVersion;
    }

    public void setModelVersion(String modelVersion) {
        this.modelVersion = modelVersion;
    }

    public float getScore() {
        return score;
    }

    public void setScore(float score) {
        this.score = score;
    }

    /** The image-score threshold the score was compared with ({@code score >= threshold}). */
    public float getThreshold() {
        return threshold;
    }

    public void setThreshold(float threshold) {
        this.threshold = threshold;
    }

    public String getThresholdSource() {
        return thresholdSource;
    }

    public void setThresholdSource(String thresholdSource) {
        this.thresholdSource = thresholdSource;
    }

    public float getPixelThreshold() {
        return pixelThreshold;
    }

    public void setPixelThreshold(float pixelThreshold) {
        this.pixelThreshold = pixelThreshold;
    }

    public int getImageWidth() {
        return imageWidth;
    }

    public void setImageWidth(int imageWidth) {
        this.imageWidth = imageWidth;
    }

    public int getImageHeight() {
        return imageHeight;
    }

    public void setImageHeight(int imageHeight) {
        this.imageHeight = imageHeight;
    }

    public int getMapWidth() {
        return mapWidth;
    }

    public void setMapWidth(int mapWidth) {
        this.mapWidth = mapWidth;
    }

    public int getMapHeight() {
        return mapHeight;
    }

    public void setMapHeight(int mapHeight) {
        this.mapHeight = mapHeight;
    }

    /** All regions found; {@link #getRegions()} may hold fewer (the largest errors first). */
    public int getRegionCount() {
        return regionCount;
    }

    public void setRegionCount(int regionCount) {
        this.regionCount = regionCount;
    }

    public List<DefectRegion> getRegions() {
        return regions;
    }

    public void setRegions(List<DefectRegion> regions) {
        this.regions = regions;
    }

    /** Base64 PNG of the colour-mapped error map, or null when heatmaps are off. */
    public String getHeatmapPng() {
        return heatmapPng;
    }

    public void setHeatmapPng(String heatmapPng) {
        this.heatmapPng = heatmapPng;
    }

    /** {@link #CAUSE_FRAME} or null: the score reached the threshold (a defect). */
    public String getCause() {
        return cause;
    }

    public void setCause(String cause) {
        this.cause = cause;
    }

    public Double getInputLevel() {
        return inputLevel;
    }

    public void setInputLevel(Double inputLevel) {
        this.inputLevel = inputLevel;
    }

    public Double getInputSpread() {
        return inputSpread;
    }

    public void setInputSpread(Double inputSpread) {
        this.inputSpread = inputSpread;
    }

    @Override
    public boolean equals(Object o) {
        if (this == o) {
            return true;
        }
        if (!(o instanceof DefectAlert other)) {
            return false;
        }
        return schemaVersion == other.schemaVersion && captureTimeMs == other.captureTimeMs
                && detectionTimeMs == other.detectionTimeMs && Float.compare(score, other.score) == 0
                && Float.compare(threshold, other.threshold) == 0
                && Float.compare(pixelThreshold, other.pixelThreshold) == 0 && imageWidth == other.imageWidth
                && imageHeight == other.imageHeight && mapWidth == other.mapWidth && mapHeight == other.mapHeight
                && regionCount == other.regionCount && Objects.equals(alertId, other.alertId)
                && Objects.equals(cameraId, other.cameraId) && Objects.equals(line, other.line)
                && Objects.equals(frameId, other.frameId) && Objects.equals(thresholdSource, other.thresholdSource)
                && Objects.equals(modelName, other.modelName)
                && Objects.equals(modelVersion, other.modelVersion) && Objects.equals(regions, other.regions)
                && Objects.equals(heatmapPng, other.heatmapPng) && Objects.equals(cause, other.cause)
                && Objects.equals(inputLevel, other.inputLevel) && Objects.equals(inputSpread, other.inputSpread);
    }

    @Override
    public int hashCode() {
        return Objects.hash(alertId, detectionTimeMs, score);
    }

    @Override
    public String toString() {
        return "DefectAlert{" + alertId + ", " + cameraId + "/" + frameId + (cause == null ? "" : ", " + cause)
                + ", score=" + score
                + " (threshold " + threshold + ")"
                + ", " + regionCount + " regions, model " + modelName + " " + modelVersion + "}";
    }
}
