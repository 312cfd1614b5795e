package io.defectdetector.job.thresholds;

import io.defectdetector.job.alerts.DefectAlert;
import java.util.Objects;

/**
 * A frame after the thresholds operator: its score against the camera's effective image threshold, and for a
 * frame over it the complete candidate alert (regions cut with the effective pixel threshold). The error map
 * stays behind, so what is keyed by camera to the debounce is small. A Flink POJO.
 */
public class Verdict {
    private String cameraId;
    private String line;
    private String frameId;
    private long captureTimeMs;
    private float score;
    private double threshold;
    /** Where the image threshold came from: a state key ({@code camera:ID}, {@code line:ID}, {@code default}) or
     * {@code model}. */
    private String thresholdSource;
    private boolean over;
    /** DefectAlert.CAUSE_FRAME when the frame is over because its input is outside the model's range; else null. */
    private String cause;
    private int debounceK;
    private int debounceN;
    private String modelName;
    private String modelVersion;
    /** The alert to publish if the debounce lets it through; null unless {@code over}. */
    private DefectAlert candidate;

    public Verdict() {
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

    public float getScore() {
        return score;
    }

    public void setScore(float score) {
        this.score = score;
    }

    public double getThreshold() {
        return threshold;
    }

    public void setThreshold(double threshold) {
        this.threshold = threshold;
    }

    public String getThresholdSource() {
        return thresholdSource;
    }

    public void setThresholdSource(String thresholdSource) {
        this.thresholdSource = thresholdSource;
    }

    public String getCause() {
        return cause;
    }

    public void setCause(String cause) {
        this.cause = cause;
    }

    public boolean isOver() {
        return over;
    }

    public void setOver(boolean over) {
        this.over = over;
    }

    public int getDebounceK() {
        return debounceK;
    }

    public void setDebounceK(int debounceK) {
        this.debounceK = debounceK;
    }

    public int getDebounceN() {
        return debounceN;
    }

    public void setDebounceN(int debounceN) {
        this.debounceN = debounceN;
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

    public DefectAlert getCandidate() {
        return candidate;
    }

    public void setCandidate(DefectAlert candidate) {
        this.candidate = candidate;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Verdict v && captureTimeMs == v.captureTimeMs && Float.compare(score, v.score) == 0
                && Double.compare(threshold, v.threshold) == 0 && over == v.over && debounceK == v.debounceK
                && debounceN == v.debounceN && Objects.equals(cameraId, v.cameraId) && Objects.equals(line, v.line)
                && Objects.equals(frameId, v.frameId) && Objects.equals(thresholdSource, v.thresholdSource)
                && Objects.equals(modelName, v.modelName)
                && Objects.equals(modelVersion, v.modelVersion) && Objects.equals(candidate, v.candidate)
                && Objects.equals(cause, v.cause);
    }

    @Override
    public int hashCode() {
        return Objects.hash(cameraId, frameId, score);
    }

    @Override
    public String toString() {
        return "Verdict{" + cameraId + "/" + frameId + " score " + score + (over ? " >= " : " < ") + threshold
                + ", debounce " + debounceK + "/" + debounceN + "}";
    }
}
