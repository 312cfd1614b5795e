package io.defectdetector.bench;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.providers.OrtCUDAProviderOptions;
import io.defectdetector.job.inference.DeviceSpec;
import io.defectdetector.job.model.ModelBundle;
import io.defectdetector.job.model.ModelCard;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The ceiling: ONNX Runtime alone, in this process, on tensors that are already decoded and preprocessed, with
 * the job's thread layout ({@code sessions} concurrent sessions, as the job has one per parallel subtask, each
 * with {@code intraOpThreads} threads, spinning off, sequential execution, all graph optimisations). Nothing of
 * the job's code runs here: sessions are opened with ai.onnxruntime directly, each input and output tensor is
 * created once per batch size over pre-allocated direct buffers, and only the two outputs the job binds
 * ({@code error_map}, {@code score}) are requested, so ORT does exactly the work the job asks of it and nothing
 * else. A pipeline cannot be faster than this on the same cores.
 */
public final class OrtCeiling implements AutoCloseable {

    /** {@code sessions x intraOpThreads}, written like {@code 2x1}. */
    public record Layout(int sessions, int intraOpThreads) {
        public Layout {
            if (sessions < 1 || intraOpThreads < 1) {
                throw new IllegalArgumentException("layout needs >= 1 session and >= 1 thread, got " + sessions
                        + "x" + intraOpThreads);
            }
        }

        public static Layout parse(String text) {
            String[] parts = text.trim().toLowerCase().split("x");
            if (parts.length != 2) {
                throw new IllegalArgumentException("layout '" + text + "' is not <sessions>x<threads>, e.g. 2x1");
            }
            return new Layout(Integer.parseInt(parts[0]), Integer.parseInt(parts[1]));
        }

        @Override
        public String toString() {
            return sessions + "x" + intraOpThreads;
        }
    }

    /**
     * How a GPU session is set up, as the job sets it up; ignored on CPU.
     *
     * @param memoryLimitBytes arena limit, 0 = none
     * @param convAlgoSearch   cuDNN algorithm search, null = ONNX Runtime's default (EXHAUSTIVE, as the job)
     */
    public record GpuOptions(long memoryLimitBytes, String convAlgoSearch) {
        public static final GpuOptions DEFAULT = new GpuOptions(0, null);
    }

    /** One measured batch size. */
    /**
     * @param cpuMicrosPerFrame    process CPU per frame (everything this JVM did meanwhile)
     * @param ortCpuMicrosPerFrame CPU of the threads calling ONNX Runtime only (with 1 intra-op thread ORT runs
     *                             in the caller): the model's own cost, unaffected by anything else in the JVM;
     *                             the process total for layouts with more intra-op threads
     */
    public record Point(int batchSize, String layout, String provider, double framesPerSecond, double callP50Ms,
            double callP95Ms, double callP99Ms, double cpuMicrosPerFrame, double ortCpuMicrosPerFrame, long frames,
            double seconds) {
    }

    private record WorkerResult(long[] callNanos, long cpuNanos) {
    }

    private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();

    private final ModelCard card;
    private final Layout layout;
    private final String provider;
    private final List<OrtSession> sessions = new ArrayList<>();
    private final List<OrtSession.SessionOptions> options = new ArrayList<>();
    private final List<float[]> images;
    private final ExecutorService pool;

    /**
     * @param images preprocessed images (C*H*W floats each), cycled to fill the batches
     */
    public OrtCeiling(ModelBundle model, Layout layout, String device, GpuOptions gpu, List<float[]> images)
            throws OrtException {
        this(model, layout, device, gpu, images, null);
    }

    /** @param profilePrefix when not null, session 0 writes ONNX Runtime's profile to {@code <prefix>_<time>.json} */
    public OrtCeiling(ModelBundle model, Layout layout, String device, GpuOptions gpu, List<float[]> images,
            String profilePrefix) throws OrtException {
        this.card = model.card();
        this.layout = layout;
        this.images = List.copyOf(images);
        if (!card.hasScoringHead()) {
            throw new IllegalArgumentException("the ceiling measures models with a scoring head (error_map + score)");
        }
        DeviceSpec spec = DeviceSpec.parse(device);
        if (spec.kind() == DeviceSpec.Kind.AUTO) {
            throw new IllegalArgumentException("give the ceiling an explicit device (cpu or cuda[:id]), not auto");
        }
        byte[] onnx = model.readVerifiedModel();
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        try {
            for (int s = 0; s < layout.sessions(); s++) {
                OrtSession.SessionOptions o = new OrtSession.SessionOptions();
                options.add(o);
                o.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
                o.setIntraOpNumThreads(layout.intraOpThreads());
                o.setInterOpNumThreads(1);
                o.setExecutionMode(OrtSession.SessionOptions.ExecutionMode.SEQUENTIAL);
                o.addConfigEntry("session.intra_op.allow_spinning", "0");
                o.addConfigEntry("session.inter_op.allow_spinning", "0");
                if (profilePrefix != null && s == 0) {
                    o.enableProfiling(profilePrefix);
                }
                if (spec.kind() == DeviceSpec.Kind.CUDA) {
                    try (OrtCUDAProviderOptions cuda = new OrtCUDAProviderOptions(spec.deviceId())) {
                        if (gpu.memoryLimitBytes() > 0) {
                            cuda.add("gpu_mem_limit", Long.toString(gpu.memoryLimitBytes()));
                            cuda.add("arena_extend_strategy", "kSameAsRequested");
                        }
                        if (gpu.convAlgoSearch() != null) {
                            cuda.add("cudnn_conv_algo_search", gpu.convAlgoSearch());
                        }
                        o.addCUDA(cuda);
                    }
                }
                sessions.add(env.createSession(onnx, o));
            }
        } catch (OrtException | RuntimeException e) {
            close();
            throw e;
        }
        this.provider = spec.kind() == DeviceSpec.Kind.CUDA ? "CUDA:" + spec.deviceId() : "CPU";
        AtomicInteger n = new AtomicInteger();
        this.pool = Executors.newFixedThreadPool(layout.sessions(), r -> {
            Thread t = new Thread(r, "bench-ort-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
    }

    public Layout layout() {
        return layout;
    }

    /**
     * Runs every session on batches of {@code batchSize} for about {@code seconds}, all sessions at once. The
     * rate is the sum of each session's frames over its own busy time, so a session finishing its last call
     * later than the others does not bias it.
     */
    public Point measure(int batchSize, double seconds) throws Exception {
        CyclicBarrier ready = new CyclicBarrier(layout.sessions() + 1);
        CyclicBarrier go = new CyclicBarrier(layout.sessions() + 1);
        long duration = (long) (seconds * 1e9);
        List<Future<WorkerResult>> futures = new ArrayList<>();
        for (OrtSession session : sessions) {
            futures.add(pool.submit(worker(session, batchSize, ready, go, duration)));
        }
        ready.await(); // every session has created its tensors and warmed up
        long cpu0 = CpuMeter.processCpuNanos();
        go.await();
        double rate = 0;
        long frames = 0;
        long busy = 0;
        List<Long> calls = new ArrayList<>();
        long ortCpu = 0;
        for (Future<WorkerResult> f : futures) {
            WorkerResult w = f.get();
            long[] times = w.callNanos();
            ortCpu += w.cpuNanos();
            long sum = 0;
            for (long d : times) {
                calls.add(d);
                sum += d;
            }
            frames += (long) times.length * batchSize;
            busy = Math.max(busy, sum);
            rate += sum == 0 ? 0 : times.length * (double) batchSize / (sum / 1e9);
        }
        long cpu1 = CpuMeter.processCpuNanos();
        Percentiles p = Percentiles.ofLongs(calls.stream().mapToLong(Long::longValue).toArray());
        double processPerFrame = (cpu1 - cpu0) / 1e3 / Math.max(1, frames);
        // ORT's own intra-op pool threads are native, invisible to ThreadMXBean: with more than one intra-op
        // thread only the process total covers them.
        double ortPerFrame = layout.intraOpThreads() > 1 ? processPerFrame : ortCpu / 1e3 / Math.max(1, frames);
        return new Point(batchSize, layout.toString(), provider, rate, p.get(50) / 1e6, p.get(95) / 1e6,
                p.get(99) / 1e6, processPerFrame, ortPerFrame, frames, busy / 1e9);
    }

    private Callable<WorkerResult> worker(OrtSession session, int batchSize, CyclicBarrier ready, CyclicBarrier go,
            long durationNanos) {
        return () -> {
            OrtEnvironment env = OrtEnvironment.getEnvironment();
            int imageSize = card.channels() * card.height() * card.width();
            int plane = card.mapHeight() * card.mapWidth();
            FloatBuffer input = directFloats(batchSize * imageSize);
            for (int i = 0; i < batchSize; i++) {
                input.put(i * imageSize, images.get(i % images.size()));
            }
            FloatBuffer map = directFloats(batchSize * plane);
            FloatBuffer score = directFloats(batchSize);
            try (OnnxTensor in = OnnxTensor.createTensor(env, input,
                    new long[] {batchSize, card.channels(), card.height(), card.width()});
                    OnnxTensor mapOut = OnnxTensor.createTensor(env, map,
                            new long[] {batchSize, 1, card.mapHeight(), card.mapWidth()});
                    OnnxTensor scoreOut = OnnxTensor.createTensor(env, score, new long[] {batchSize})) {
                Map<String, OnnxTensor> inputs = Map.of(card.inputName(), in);
                Map<String, OnnxTensor> outputs = Map.of(card.errorMapOutput().name(), mapOut,
                        card.scoreOutput().name(), scoreOut);
                for (int i = 0; i < 3; i++) {
                    session.run(inputs, outputs).close();
                }
                ready.await();
                go.await();
                long[] times = new long[1 << 15];
                int n = 0;
                long cpu0 = THREADS.getCurrentThreadCpuTime();
                long now = System.nanoTime();
                long deadline = now + durationNanos;
                while (now < deadline && n < times.length) {
                    long t = now;
                    session.run(inputs, outputs).close();
                    now = System.nanoTime();
                    times[n++] = now - t;
                }
                long cpu = THREADS.getCurrentThreadCpuTime() - cpu0;
                return new WorkerResult(Arrays.copyOf(times, n), cpu);
            }
        };
    }

    /** Ends session 0's profiling and returns the profile file (only with a profile prefix). */
    public java.nio.file.Path endProfiling() throws OrtException {
        return java.nio.file.Path.of(sessions.get(0).endProfiling());
    }

    private static FloatBuffer directFloats(int count) {
        return ByteBuffer.allocateDirect(count * Float.BYTES).order(ByteOrder.nativeOrder()).asFloatBuffer();
    }

    @Override
    public void close() {
        if (pool != null) {
            pool.shutdownNow();
        }
        for (OrtSession s : sessions) {
            try {
                s.close();
            } catch (OrtException e) {
                // closing at exit; nothing to do
            }
        }
        options.forEach(OrtSession.SessionOptions::close);
    }
}
