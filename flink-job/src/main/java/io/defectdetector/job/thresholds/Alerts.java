package io.defectdetector.job.thresholds;

import io.defectdetector.job.alerts.AlertIds;
import io.defectdetector.job.alerts.DefectAlert;
import io.defectdetector.job.alerts.HeatmapPng;
import io.defectdetector.job.scoring.DefectRegion;
import io.defectdetector.job.scoring.RegionExtractor;
import io.defectdetector.job.scoring.ScoredFrame;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

/**
 * Builds the alert of a frame over its threshold (docs/alerts.md) for {@link ThresholdsFunction}, so the output
 * format has one author. {@link DebounceFunction} publishes it (or holds it back) and writes the score records.
 */
public final class Alerts {
    /** Regions beyond this many (lowest max error) are counted in regionCount but not listed. */
    public static final int MAX_REGIONS = 32;

    private Alerts() {
    }

    /**
     * The alert of a frame whose score reached {@code thresholds.imageScore()}: regions cut at the pixel threshold
     * and minimum area, at most {@link #MAX_REGIONS} listed, optional heatmap; infinite numbers made finite. For a
     * frame outside the model's input range (whatever its score): cause "frame" with the input's level and spread,
     * and neither regions nor heatmap.
     */
    public static DefectAlert build(ScoredFrame frame, float score, ThresholdSettings thresholds,
            boolean includeHeatmap, long detectionTimeMs) {
        DefectAlert a = new DefectAlert();
        a.setAlertId(AlertIds.alertId(frame.getCameraId(), frame.getFrameId(), frame.getModelName(),
                frame.getModelVersion()));
        a.setCameraId(frame.getCameraId());
        a.setLine(frame.getLine());
        a.setFrameId(frame.getFrameId());
        a.setCaptureTimeMs(frame.getCaptureTimeMs());
        a.setDetectionTimeMs(detectionTimeMs);
        a.setModelName(frame.getModelName());
        a.setModelVersion(frame.getModelVersion());
        a.setScore(finite(score));
        // Written as floats: the settings are float32 values (ThresholdSettings.asFloat32), as the score is.
        a.setThreshold((float) thresholds.imageScore());
        a.setPixelThreshold((float) thresholds.pixel());
        a.setImageWidth(frame.getImageWidth());
        a.setImageHeight(frame.getImageHeight());
        a.setMapWidth(frame.getMapWidth());
        a.setMapHeight(frame.getMapHeight());
        if (frame.isInputOutOfRange()) {
            // The error map of a scene the model does not know localises nothing: no regions, no heatmap.
            a.setCause(DefectAlert.CAUSE_FRAME);
            a.setInputLevel(frame.getInputLevel());
            a.setInputSpread(frame.getInputSpread());
            return a;
        }
        List<DefectRegion> regions = RegionExtractor.extract(frame.getErrorMap(), frame.getMapWidth(),
                frame.getMapHeight(), frame.getImageWidth(), frame.getImageHeight(), thresholds.pixel(),
                thresholds.minRegionArea());
        a.setRegionCount(regions.size());
        List<DefectRegion> listed = new ArrayList<>(Math.min(regions.size(), MAX_REGIONS));
        for (DefectRegion r : regions.subList(0, Math.min(regions.size(), MAX_REGIONS))) {
            listed.add(finite(r));
        }
        a.setRegions(listed);
        if (includeHeatmap) {
            byte[] png = HeatmapPng.encode(frame.getErrorMap(), frame.getMapWidth(), frame.getMapHeight(),
                    2 * thresholds.pixel());
            a.setHeatmapPng(Base64.getEncoder().encodeToString(png));
        }
        return a;
    }

    /** JSON has no infinities: an infinite value is reported as the largest float of its sign. */
    public static float finite(float v) {
        return Float.isInfinite(v) ? Math.copySign(Float.MAX_VALUE, v) : v;
    }

    private static DefectRegion finite(DefectRegion r) {
        if (Float.isFinite(r.maxError()) && Float.isFinite(r.meanError())) {
            return r;
        }
        return new DefectRegion(r.x(), r.y(), r.width(), r.height(), r.area(), finite(r.maxError()),
                finite(r.meanError()), r.mapX(), r.mapY(), r.mapWidth(), r.mapHeight(), r.mapArea());
    }
}
