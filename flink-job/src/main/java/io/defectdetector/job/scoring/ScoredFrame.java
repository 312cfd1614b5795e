package io.defectdetector.job.scoring;

import java.util.Arrays;
import java.util.Objects;

/**
 * A frame after inference: its identity and timing, the model's score and error map. Pixels are not carried on
 * (the decision needs only the map), which keeps the record small. A Flink POJO.
 *
 * <p>{@code errorMap} has {@code mapWidth*mapHeight} floats, row-major, at model resolution; {@code imageWidth}
 * and {@code imageHeight} are the original frame's size, used to scale regions back to frame pixels.
 */
public class ScoredFrame {
    private String cameraId;
    private String frameId;
    private String line;
    private long captureTimeMs;
    /** Processing time when the frame reached the inference operator, epoch ms. */
    private long ingestTimeMs;
    private int imageWidth;
    private int imageHeight;
    private String modelName;
    private String modelVersion;
    private float score;
    private float[] errorMap;
    private int mapWidth;
    private int mapHeight;
    /** The frame's input level and spread (model.InputRange), null when the model card has no input range. */
    private Double inputLevel;
    private Double inputSpread;
    /** Outside the card's input range: not the scene the model knows, so the frame alerts with cause "frame". */
    private boolean inputOutOfRange;

    public ScoredFrame() {
    }

    public String getCameraId() {
        return cameraId;
    }

    public void setCameraId(String cameraId) {
        this.cameraId = cameraId;
    }

    public String getFrameId() {
        return frameId;
    }

    public void setFrameId(String frameId) {
        this.frameId = frameId;
    }

    /** Production line, or null when the frame had none. */
    public String getLine() {
        return line;
    }

    public void setLine(String line) {
        this.line = line;
    }

    public long getCaptureTimeMs() {
        return captureTimeMs;
    }

    public void setCaptureTimeMs(long captureTimeMs) {
        this.captureTimeMs = captureTimeMs;
    }

    public long getIngestTimeMs() {
        return ingestTimeMs;
    }

    public void setIngestTimeMs(long ingestTimeMs) {
        this.ingestTimeMs = ingestTimeMs;
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

    public float[] getErrorMap() {
        return errorMap;
    }

    public void setErrorMap(float[] errorMap) {
        this.errorMap = errorMap;
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

    @Override
    public boolean equals(Object o) {
        if (this == o) {
            return true;
        }
        if (!(o instanceof ScoredFrame other)) {
            return false;
        }
        return captureTimeMs == other.captureTimeMs && ingestTimeMs == other.ingestTimeMs
                && imageWidth == other.imageWidth && imageHeight == other.imageHeight
                && Float.compare(score, other.score) == 0 && mapWidth == other.mapWidth
                && mapHeight == other.mapHeight && Objects.equals(cameraId, other.cameraId)
                && Objects.equals(frameId, other.frameId) && Objects.equals(line, other.line)
                && Objects.equals(modelName, other.modelName) && Objects.equals(modelVersion, other.modelVersion)
                && Arrays.equals(errorMap, other.errorMap) && inputOutOfRange == other.inputOutOfRange
                && Objects.equals(inputLevel, other.inputLevel) && Objects.equals(inputSpread, other.inputSpread);
    }

    @Override
    public int hashCode() {
        return Objects.hash(cameraId, frameId, captureTimeMs, modelVersion, score);
    }

    @Override
    public String toString() {
        return "ScoredFrame{" + cameraId + "/" + frameId + ", score=" + score + ", " + imageWidth + "x" + imageHeight
                + " -> map " + mapWidth + "x" + mapHeight + ", model " + modelName + " " + modelVersion
                + (inputOutOfRange ? ", input out of range" : "") + "}";
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

    public boolean isInputOutOfRange() {
        return inputOutOfRange;
    }

    public void setInputOutOfRange(boolean inputOutOfRange) {
        this.inputOutOfRange = inputOutOfRange;
    }
}
