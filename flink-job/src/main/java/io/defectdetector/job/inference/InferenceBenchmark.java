package io.defectdetector.job.inference;

import io.defectdetector.frame.Frame;
import io.defectdetector.job.model.ModelBundle;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.Callable;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Measures preprocessing and inference as the job runs them: {@code --sessions} engines in parallel threads (the
 * slots of one TaskManager), each with {@code --threads} intra-op threads, spinning on or off. Prints figures;
 * it is a command, not a test.
 *
 * <pre>
 * java -cp flink-job/target/classes:$(deps) io.defectdetector.job.inference.InferenceBenchmark \
 *     --model models/default/cae.onnx --sessions 2 --threads 1 --batch 8 --spinning false
 * </pre>
 */
@Command(name = "inference-benchmark", mixinStandardHelpOptions = true,
        description = "Throughput and latency of preprocessing + ONNX Runtime inference, per session and in total.")
public final class InferenceBenchmark implements Callable<Integer> {

    @Option(names = "--model", required = true, description = "The .onnx file (card beside it).")
    String model;

    @Option(names = "--device", defaultValue = "cpu", description = "auto | cpu | cuda[:id] (default ${DEFAULT-VALUE}).")
    String device;

    @Option(names = "--sessions", defaultValue = "1", description = "Concurrent sessions, like slots (default ${DEFAULT-VALUE}).")
    int sessions;

    @Option(names = "--threads", defaultValue = "1", description = "Intra-op threads per session (default ${DEFAULT-VALUE}).")
    int threads;

    @Option(names = "--spinning", defaultValue = "false", arity = "1",
            description = "Let idle ORT threads spin (default ${DEFAULT-VALUE}).")
    boolean spinning;

    @Option(names = "--batch", defaultValue = "8", description = "Frames per inference call (default ${DEFAULT-VALUE}).")
    int batch;

    @Option(names = "--frame-size", defaultValue = "256", description = "Side of the square gray test frames (default ${DEFAULT-VALUE}).")
    int frameSize;

    @Option(names = "--seconds", defaultValue = "10", description = "Measured time after warm-up (default ${DEFAULT-VALUE}).")
    double seconds;

    public static void main(String[] args) {
        System.exit(new CommandLine(new InferenceBenchmark()).execute(args));
    }

    @Override
    public Integer call() throws Exception {
        ModelBundle bundle = ModelBundle.locate(model);
        InferenceSettings settings = new InferenceSettings(model, device, threads, 1, batch, 0, true, spinning);
        List<Frame> frames = new ArrayList<>();
        Random random = new Random(1);
        for (int i = 0; i < batch; i++) {
            byte[] px = new byte[frameSize * frameSize];
            random.nextBytes(px);
            frames.add(new Frame("bench", "f" + i, 0, null, frameSize, frameSize, 1, px));
        }
        measurePreprocessing(bundle, frames);

        ExecutorService pool = Executors.newFixedThreadPool(sessions);
        CyclicBarrier start = new CyclicBarrier(sessions);
        List<Future<long[]>> results = new ArrayList<>();
        for (int s = 0; s < sessions; s++) {
            results.add(pool.submit(() -> runSession(bundle, settings, frames, start)));
        }
        long totalFrames = 0;
        List<Long> batchNanos = new ArrayList<>();
        String provider = null;
        for (Future<long[]> f : results) {
            long[] r = f.get();
            totalFrames += (long) (r.length - 1) * batch;
            provider = r[0] == 1 ? "CUDA" : "CPU";
            for (int i = 1; i < r.length; i++) {
                batchNanos.add(r[i]);
            }
        }
        pool.shutdown();
        long[] sorted = batchNanos.stream().mapToLong(Long::longValue).sorted().toArray();
        System.out.printf("%s, %d session(s) x %d intra-op thread(s), spinning %s, batch %d, frames %dx%d on %s%n",
                bundle.card().name(), sessions, threads, spinning ? "on" : "off", batch, frameSize, frameSize,
                provider);
        System.out.printf("  total: %.1f frames/s; per batch (preprocess + run): p50 %.2f ms, p99 %.2f ms, "
                + "%.2f ms/frame per session%n", totalFrames / seconds, pct(sorted, 0.5), pct(sorted, 0.99),
                pct(sorted, 0.5) / batch);
        return 0;
    }

    private void measurePreprocessing(ModelBundle bundle, List<Frame> frames) {
        Preprocessor p = new Preprocessor(bundle.card());
        FloatBuffer dst = FloatBuffer.allocate(p.imageSize());
        for (int i = 0; i < 2_000; i++) {
            p.write(frames.get(i % frames.size()), dst, 0);
        }
        int n = 5_000;
        long t0 = System.nanoTime();
        for (int i = 0; i < n; i++) {
            p.write(frames.get(i % frames.size()), dst, 0);
        }
        System.out.printf("preprocess %dx%d gray -> %dx%dx%d: %.1f us/frame%n", frameSize, frameSize,
                bundle.card().channels(), bundle.card().height(), bundle.card().width(),
                (System.nanoTime() - t0) / 1e3 / n);
    }

    /** Returns {cuda ? 1 : 0, batch durations in ns...}. */
    private long[] runSession(ModelBundle bundle, InferenceSettings settings, List<Frame> frames,
            CyclicBarrier start) throws Exception {
        try (OnnxInferenceEngine engine = OnnxInferenceEngine.open(bundle, settings)) {
            Preprocessor p = new Preprocessor(bundle.card());
            for (int i = 0; i < 5; i++) {
                batch(engine, p, frames);
            }
            start.await();
            long end = System.nanoTime() + (long) (seconds * 1e9);
            long[] times = new long[1 << 16];
            int n = 1;
            times[0] = engine.activeExecutionProvider().startsWith("CUDA") ? 1 : 0;
            while (System.nanoTime() < end && n < times.length) {
                long t0 = System.nanoTime();
                batch(engine, p, frames);
                times[n++] = System.nanoTime() - t0;
            }
            return Arrays.copyOf(times, n);
        }
    }

    private static void batch(OnnxInferenceEngine engine, Preprocessor p, List<Frame> frames) throws Exception {
        for (int i = 0; i < frames.size(); i++) {
            p.write(frames.get(i), engine.inputBuffer(), i);
        }
        engine.run(frames.size());
    }

    private static double pct(long[] sorted, double q) {
        if (sorted.length == 0) {
            return Double.NaN;
        }
        return sorted[(int) Math.min(sorted.length - 1, Math.floor(q * sorted.length))] / 1e6;
    }
}
