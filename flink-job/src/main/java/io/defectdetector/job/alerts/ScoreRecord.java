package io.defectdetector.job.alerts;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import com.fasterxml.jackson.databind.annotation.JsonDeserialize;
import com.fasterxml.jackson.databind.annotation.JsonSerialize;
import java.util.Objects;

/**
 * One small record per scored frame for the optional scores topic (trend dashboards, threshold tuning). A Flink
 * POJO; JSON through {@link AlertJson}, times as in alerts.
 */
@JsonPropertyOrder({"cameraId", "line", "frameId", "captureTime", "detectionTime", "score", "threshold",
        "thresholdSource", "alert", "cause", "inputLevel", "inputSpread", "modelName", "modelVersion"})
public class ScoreRecord {
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
    private float score;
    private float threshold;
    /** Which override set the image threshold ({@code camera:ID}, {@code line:ID}, {@code default}) or
     * {@code model}; null in records of job versions before the field. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    private String thresholdSource;
    private boolean alert;
    /** DefectAlert.CAUSE_FRAME for a frame outside the model's input range; null (absent) otherwise. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    private String cause;
    /** With cause "frame": the input's level and spread, as in the alert (a change of fault shows here). */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    private Double inputLevel;
    @JsonInclude(JsonInclude.Include.NON_NULL)
    private Double inputSpread;
    private String modelName;
    private String modelVersion;

    public ScoreRecord() {
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

    public float getScore() {
        return score;
    }

    public void setScore(float score) {
        this.score = score;
    }

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

    /** Whether this frame raised an alert. */
    public boolean isAlert() {
        return alert;
    }

    public void setAlert(boolean alert) {
        this.alert = alert;
    }

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

    @Override
    public boolean equals(Object o) {
        if (this == o) {
            return true;
        }
        if (!(o instanceof ScoreRecord other)) {
            return false;
        }
        return captureTimeMs == other.captureTimeMs && detectionTimeMs == other.detectionTimeMs
                && Float.compare(score, other.score) == 0 && Float.compare(threshold, other.threshold) == 0
                && alert == other.alert && Objects.equals(cameraId, other.cameraId)
                && Objects.equals(line, other.line) && Objects.equals(frameId, other.frameId)
                && Objects.equals(thresholdSource, other.thresholdSource) && Objects.equals(cause, other.cause)
                && Objects.equals(inputLevel, other.inputLevel) && Objects.equals(inputSpread, other.inputSpread)
                && Objects.equals(modelName, other.modelName) && Objects.equals(modelVersion, other.modelVersion);
    }

    @Override
    public int hashCode() {
        return Objects.hash(cameraId, frameId, captureTimeMs, score);
    }

    @Override
    public String toString() {
        return "ScoreRecord{" + cameraId + "/" + frameId + ", score=" + score + ", alert=" + alert + "}";
    }
}
