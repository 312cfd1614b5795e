package io.defectdetector.bench.jmh;

import io.defectdetector.job.scoring.DefectRegion;
import io.defectdetector.job.scoring.RegionExtractor;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Error map to defect regions (8-connected components over the pixel threshold) on a 128x128 map scaled to a
 * 256x256 frame: a good frame (nothing over the threshold), one defect, and ten defects.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
@State(Scope.Thread)
public class RegionBenchmark {
    @Param({"0", "1", "10"})
    public int defects;

    private float[] map;

    @Setup
    public void setUp() {
        map = BenchFrames.errorMap(128, 128, defects, 11);
    }

    @Benchmark
    public List<DefectRegion> extractRegions() {
        return RegionExtractor.extract(map, 128, 128, 256, 256, 1.0, 16);
    }
}
