package io.defectdetector.bench.jmh;

import io.defectdetector.job.alerts.AlertJson;
import io.defectdetector.job.alerts.DefectAlert;
import io.defectdetector.job.alerts.HeatmapPng;
import io.defectdetector.job.alerts.ScoreRecord;
import io.defectdetector.job.scoring.ScoredFrame;
import io.defectdetector.job.thresholds.Alerts;
import io.defectdetector.job.thresholds.ThresholdSettings;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * What a defective frame costs after inference: building the alert (regions + heatmap PNG), the heatmap alone,
 * and the JSON the alerts sink writes (with and without the heatmap); plus the per-frame score record's JSON.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
@State(Scope.Thread)
public class AlertBenchmark {
    private static final ThresholdSettings THRESHOLDS = new ThresholdSettings(1.0, 1.0, 16);

    private ScoredFrame frame;
    private DefectAlert withHeatmap;
    private DefectAlert withoutHeatmap;
    private ScoreRecord score;

    @Setup
    public void setUp() {
        frame = BenchFrames.scored(BenchFrames.errorMap(128, 128, 2, 5), 128, 128, 2.5f);
        withHeatmap = Alerts.build(frame, 2.5f, THRESHOLDS, true, 1_764_000_000_050L);
        withHeatmap.setThresholdSource("model");  // as ThresholdsFunction sets it
        withoutHeatmap = Alerts.build(frame, 2.5f, THRESHOLDS, false, 1_764_000_000_050L);
        withoutHeatmap.setThresholdSource("model");
        score = new ScoreRecord(); // filled as DebounceFunction fills it for every frame
        score.setCameraId(frame.getCameraId());
        score.setLine(frame.getLine());
        score.setFrameId(frame.getFrameId());
        score.setCaptureTimeMs(frame.getCaptureTimeMs());
        score.setDetectionTimeMs(1_764_000_000_050L);
        score.setScore(2.5f);
        score.setThreshold((float) THRESHOLDS.imageScore());
        score.setThresholdSource("model");
        score.setAlert(true);
        score.setModelName(frame.getModelName());
        score.setModelVersion(frame.getModelVersion());
    }

    @Benchmark
    public DefectAlert buildAlertWithHeatmap() {
        return Alerts.build(frame, 2.5f, THRESHOLDS, true, 1_764_000_000_050L);
    }

    @Benchmark
    public byte[] heatmapPng() {
        return HeatmapPng.encode(frame.getErrorMap(), 128, 128, 2.0);
    }

    @Benchmark
    public byte[] alertJsonWithHeatmap() {
        return AlertJson.toBytes(withHeatmap);
    }

    @Benchmark
    public byte[] alertJsonWithoutHeatmap() {
        return AlertJson.toBytes(withoutHeatmap);
    }

    @Benchmark
    public byte[] scoreRecordJson() {
        return AlertJson.toBytes(score);
    }
}
