package io.defectdetector.bench.jmh;

import io.defectdetector.factory.Sample;
import io.defectdetector.factory.surface.Product;
import io.defectdetector.frame.Frame;
import io.defectdetector.job.inference.Preprocessor;
import io.defectdetector.job.model.InputRange;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
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
 * The job's preprocessing of one frame into a 1x128x128 model input, written into a direct native-order buffer
 * as the inference operator does: 256x256 gray (the integer-factor fast path), 256x256 RGB (gray conversion) and
 * 300x300 gray (general adaptive-average-pool windows), 1024x1024 RGB (an MVTec AD-sized frame); and the same
 * followed by the input-range statistics of the model input (model.InputRange).
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
@State(Scope.Thread)
public class PreprocessBenchmark {
    @Param({"gray-256", "rgb-256", "gray-300", "rgb-1024"})
    public String source;

    private Preprocessor preprocessor;
    private Frame frame;
    private FloatBuffer buffer;
    private float[] scratch;

    @Setup
    public void setUp() {
        var img = BenchFrames.image(source).image();
        frame = new Frame("cam-01", "r1-1", 0, null, img.width(), img.height(), img.channels(), img.pixels());
        preprocessor = new Preprocessor(1, 128, 128);
        buffer = ByteBuffer.allocateDirect(8 * preprocessor.imageSize() * Float.BYTES)
                .order(ByteOrder.nativeOrder()).asFloatBuffer();
        scratch = new float[preprocessor.imageSize()];
    }

    @Benchmark
    public FloatBuffer preprocess() {
        preprocessor.write(frame, buffer, 3);
        return buffer;
    }

    /** Preprocessing plus the input-range statistics, as the inference operator takes them (copy out, measure). */
    @Benchmark
    public InputRange.Statistics preprocessAndMeasureInputRange() {
        preprocessor.write(frame, buffer, 3);
        buffer.get(3 * scratch.length, scratch, 0, scratch.length);
        return InputRange.measure(scratch, 0, scratch.length);
    }
}
