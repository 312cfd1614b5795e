package io.defectdetector.job.control;

import io.defectdetector.job.thresholds.ThresholdTarget;
import java.util.Arrays;
import java.util.Objects;

/**
 * A validated control command (docs/operations.md), as broadcast to every thresholds subtask. A Flink POJO.
 * Settings not named by the command are null.
 */
public class ControlCommand {
    /** Unique and stable across replays: {@code <topic>-<partition>-<offset>} of the control record. */
    private String commandId;
    /** Kafka timestamp of the control record, epoch ms. */
    private long requestedAtMs;
    private ControlAction action;
    /** A {@link ThresholdTarget} key, or {@code all} (show only). */
    private String target;
    private String by;
    private String requestId;
    private String comment;
    private Double imageScore;
    private Double pixel;
    private Integer minRegionArea;
    private Integer debounceK;
    private Integer debounceN;
    /** reset: the settings to remove (JSON names); null removes them all. */
    private String[] resetFields;
    /** show of a camera: the line whose override applies to it, when it has one. */
    private String line;

    public ControlCommand() {
    }

    public static final String ALL_TARGETS = "all";

    public boolean targetsAll() {
        return ALL_TARGETS.equals(target);
    }

    public String getCommandId() {
        return commandId;
    }

    public void setCommandId(String commandId) {
        this.commandId = commandId;
    }

    public long getRequestedAtMs() {
        return requestedAtMs;
    }

    public void setRequestedAtMs(long requestedAtMs) {
        this.requestedAtMs = requestedAtMs;
    }

    public ControlAction getAction() {
        return action;
    }

    public void setAction(ControlAction action) {
        this.action = action;
    }

    public String getTarget() {
        return target;
    }

    public void setTarget(String target) {
        this.target = target;
    }

    public String getBy() {
        return by;
    }

    public void setBy(String by) {
        this.by = by;
    }

    public String getRequestId() {
        return requestId;
    }

    public void setRequestId(String requestId) {
        this.requestId = requestId;
    }

    public String getComment() {
        return comment;
    }

    public void setComment(String comment) {
        this.comment = comment;
    }

    public Double getImageScore() {
        return imageScore;
    }

    public void setImageScore(Double imageScore) {
        this.imageScore = imageScore;
    }

    public Double getPixel() {
        return pixel;
    }

    public void setPixel(Double pixel) {
        this.pixel = pixel;
    }

    public Integer getMinRegionArea() {
        return minRegionArea;
    }

    public void setMinRegionArea(Integer minRegionArea) {
        this.minRegionArea = minRegionArea;
    }

    public Integer getDebounceK() {
        return debounceK;
    }

    public void setDebounceK(Integer debounceK) {
        this.debounceK = debounceK;
    }

    public Integer getDebounceN() {
        return debounceN;
    }

    public void setDebounceN(Integer debounceN) {
        this.debounceN = debounceN;
    }

    public String[] getResetFields() {
        return resetFields;
    }

    public void setResetFields(String[] resetFields) {
        this.resetFields = resetFields;
    }

    public String getLine() {
        return line;
    }

    public void setLine(String line) {
        this.line = line;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ControlCommand c && requestedAtMs == c.requestedAtMs
                && Objects.equals(commandId, c.commandId) && action == c.action && Objects.equals(target, c.target)
                && Objects.equals(by, c.by) && Objects.equals(requestId, c.requestId)
                && Objects.equals(comment, c.comment) && Objects.equals(imageScore, c.imageScore)
                && Objects.equals(pixel, c.pixel) && Objects.equals(minRegionArea, c.minRegionArea)
                && Objects.equals(debounceK, c.debounceK) && Objects.equals(debounceN, c.debounceN)
                && Arrays.equals(resetFields, c.resetFields) && Objects.equals(line, c.line);
    }

    @Override
    public int hashCode() {
        return Objects.hash(commandId, action, target);
    }

    @Override
    public String toString() {
        return "ControlCommand{" + commandId + " " + action + " " + target + " by " + by
                + (imageScore != null ? ", image_score=" + imageScore : "")
                + (pixel != null ? ", pixel=" + pixel : "")
                + (minRegionArea != null ? ", min_region_area=" + minRegionArea : "")
                + (debounceK != null ? ", debounce=" + debounceK + "/" + debounceN : "")
                + (resetFields != null ? ", fields=" + Arrays.toString(resetFields) : "")
                + (line != null ? ", line=" + line : "") + "}";
    }
}
