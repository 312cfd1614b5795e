package io.defectdetector.job.control;

import io.defectdetector.job.alerts.AlertIds;
import io.defectdetector.job.alerts.DefectAlert;
import io.defectdetector.job.alerts.HeatmapPng;
import io.defectdetector.job.scoring.DefectRegion;
import io.defectdetector.job.scoring.RegionExtractor;
import io.defectdetector.job.scoring.ScoredFrame;
import io.defectdetector.job.thresholds.DetectionFunction;
import io.defectdetector.job.thresholds.ThresholdSettings;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

/** The alert of a frame over its image threshold, with regions cut at its pixel threshold (docs/alerts.md). */
final class CandidateAlerts {
    private CandidateAlerts() {
    }

    static DefectAlert build(ScoredFrame frame, float score, ThresholdSettings thresholds, boolean includeHeatmap,
            long now) {
        DefectAlert a = new DefectAlert();
        a.setAlertId(AlertIds.alertId(frame.getCameraId(), frame.getFrameId(), frame.getModelName(),
                frame.getModelVersion()));
        a.setCameraId(frame.getCameraId());
        a.setLine(frame.getLine());
        a.setFrameId(frame.getFrameId());
        a.setCaptureTimeMs(frame.getCaptureTimeMs());
        a.setDetectionTimeMs(now);
        a.setModelName(frame.getModelName());
        a.setModelVersion(frame.getModelVersion());
        a.setScore(score);
        a.setThreshold(thresholds.imageScore());
        a.setPixelThreshold(thresholds.pixel());
        a.setImageWidth(frame.getImageWidth());
        a.setImageHeight(frame.getImageHeight());
        a.setMapWidth(frame.getMapWidth());
        a.setMapHeight(frame.getMapHeight());
        List<DefectRegion> regions = RegionExtractor.extract(frame.getErrorMap(), frame.getMapWidth(),
                frame.getMapHeight(), frame.getImageWidth(), frame.getImageHeight(), thresholds.pixel(),
                thresholds.minRegionArea());
        a.setRegionCount(regions.size());
        int listed = Math.min(regions.size(), DetectionFunction.MAX_REGIONS);
        List<DefectRegion> kept = new ArrayList<>(listed);
        for (DefectRegion r : regions.subList(0, listed)) {
            kept.add(finite(r));
        }
        a.setRegions(kept);
        if (includeHeatmap) {
            byte[] png = HeatmapPng.encode(frame.getErrorMap(), frame.getMapWidth(), frame.getMapHeight(),
                    2 * thresholds.pixel());
            a.setHeatmapPng(Base64.getEncoder().encodeToString(png));
        }
        return a;
    }

    /** JSON has no infinities: an infinite error is reported as the largest float. */
    static float finite(float v) {
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
