package io.defectdetector.job.inference;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtProvider;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.providers.OrtCUDAProviderOptions;
import io.defectdetector.job.model.ModelBundle;
import io.defectdetector.job.model.ModelCard;
import io.defectdetector.job.model.ModelCompatibility;
import io.defectdetector.job.scoring.ReconstructionError;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An ONNX Runtime session for one operator subtask.
 *
 * <p><b>Environment vs session.</b> The {@link OrtEnvironment} is process-wide (ORT allows one per process) and
 * is never closed here: other subtasks of the same TaskManager share it, and closing it under them would crash
 * their sessions. Each subtask opens its own {@link OrtSession}: a session is cheap for a small CAE (weights of a
 * few MB per slot), a subtask then needs no locking or cross-slot coordination, its thread count is sized for one
 * slot, and failover/rescaling handles sessions like any other operator resource. A TaskManager-wide shared
 * session would save only that memory while serialising the slots behind one call queue, or requiring ORT's
 * global thread pools, which are fixed when the environment is first created and cannot follow per-job settings.
 *
 * <p><b>Zero-copy tensors.</b> Inputs are preprocessed straight into a pre-allocated direct, native-order buffer
 * that backs the input tensor, and outputs are bound ("pinned") to pre-allocated direct buffers, so ORT reads and
 * writes JVM-visible memory without intermediate copies; the only copy is each error map into its own array,
 * which leaves the subtask inside a ScoredFrame.
 *
 * <p><b>Devices.</b> {@code cpu}, {@code cuda[:id]} (fails at open when the CUDA provider is missing or does not
 * start, its first run included) or {@code auto} (CUDA when possible, otherwise CPU with one log line per job
 * classloader). Which provider was registered is tracked and exposed by {@link #activeExecutionProvider()}; nodes
 * that ORT itself places on CPU inside a CUDA session show only as a warning in ORT's native log.
 */
public final class OnnxInferenceEngine implements InferenceEngine {
    private static final Logger LOG = LoggerFactory.getLogger(OnnxInferenceEngine.class);
    private static final AtomicBoolean CPU_FALLBACK_LOGGED = new AtomicBoolean();
    public static final String CPU = "CPU";
    /** On CUDA, warm-up runs every batch size up to this one (see {@link #warmUp()}). */
    static final int CUDA_WARM_UP_SIZES = 128;

    private final OrtEnvironment env;
    private final OrtSession session;
    private final OrtSession.SessionOptions options;
    private final ModelCard card;
    private final String provider;
    private final int maxBatchSize;
    private final int imageSize;
    private final int plane;
    private final FloatBuffer input;
    private final FloatBuffer errorOut;
    private final FloatBuffer scoreOut;
    private final FloatBuffer reconstructionOut;

    private OnnxInferenceEngine(OrtEnvironment env, OrtSession session, OrtSession.SessionOptions options,
            ModelCard card, String provider, int maxBatchSize) {
        this.env = env;
        this.session = session;
        this.options = options;
        this.card = card;
        this.provider = provider;
        this.maxBatchSize = maxBatchSize;
        this.imageSize = card.channels() * card.height() * card.width();
        this.plane = card.mapHeight() * card.mapWidth();
        this.input = directFloats((long) maxBatchSize * imageSize);
        if (card.hasScoringHead()) {
            this.errorOut = directFloats((long) maxBatchSize * plane);
            this.scoreOut = directFloats(maxBatchSize);
            this.reconstructionOut = null;
        } else {
            this.errorOut = null;
            this.scoreOut = null;
            this.reconstructionOut = directFloats((long) maxBatchSize * imageSize);
        }
    }

    public static InferenceEngineFactory factory() {
        return Factory.INSTANCE;
    }

    /**
     * The process-wide environment (default name and WARNING log level, so every caller in the JVM, the client's
     * model preflight included, gets the same one without ORT warning about changed settings); shared by every
     * session and deliberately never closed.
     */
    public static OrtEnvironment environment() {
        return OrtEnvironment.getEnvironment();
    }

    /**
     * Opens a session for the model, checks the card against the graph and optionally warms it up.
     *
     * @throws IllegalArgumentException when card and graph disagree
     * @throws IllegalStateException    when {@code cuda} was requested and is unavailable
     */
    public static OnnxInferenceEngine open(ModelBundle model, InferenceSettings settings) throws OrtException {
        DeviceSpec device = settings.deviceSpec();
        byte[] onnx = model.readVerifiedModel();
        OrtEnvironment env = environment();
        if (!device.wantsCuda()) {
            return openOn(env, onnx, model, settings, -1);
        }
        String cudaProblem = missingCudaProvider();
        boolean cudaBuild = OrtEnvironment.getAvailableProviders().contains(OrtProvider.CUDA);
        if (cudaProblem == null) {
            try {
                return openOn(env, onnx, model, settings, device.deviceId());
            } catch (OrtException e) {
                cudaProblem = "the CUDA execution provider did not start on device " + device.deviceId() + " ("
                        + e.getMessage() + "); check the driver, CUDA 12 and cuDNN 9 libraries and free GPU memory";
            }
        }
        if (device.kind() == DeviceSpec.Kind.CUDA) {
            throw new IllegalStateException("device '" + device + "' requested but " + cudaProblem
                    + ". Use device=auto to fall back to CPU, or device=cpu.");
        }
        // One line per job classloader, not per subtask. INFO when this is simply the CPU build (the expected case
        // for device=auto on CPU hosts); WARN when a CUDA build cannot reach or start CUDA.
        if (CPU_FALLBACK_LOGGED.compareAndSet(false, true)) {
            if (cudaBuild) {
                LOG.warn("device=auto: running inference on CPU because {}", cudaProblem);
            } else {
                LOG.info("device=auto: running inference on CPU because {}", cudaProblem);
            }
        }
        return openOn(env, onnx, model, settings, -1);
    }

    /**
     * One session on CPU ({@code cudaDevice} < 0) or on that CUDA device, checked against the card and warmed up;
     * whatever it opened is closed again when any of that fails.
     */
    private static OnnxInferenceEngine openOn(OrtEnvironment env, byte[] onnx, ModelBundle model,
            InferenceSettings settings, int cudaDevice) throws OrtException {
        OrtSession.SessionOptions options = baseOptions(settings);
        OrtSession session = null;
        try {
            String provider = CPU;
            if (cudaDevice >= 0) {
                try (OrtCUDAProviderOptions cuda = cudaOptions(cudaDevice, settings.gpuMemoryLimitBytes())) {
                    options.addCUDA(cuda); // copied into the session options
                }
                provider = "CUDA:" + cudaDevice;
            }
            session = env.createSession(onnx, options);
            ModelCompatibility.check(model.card(), session, settings.maxBatchSize());
            OnnxInferenceEngine engine = new OnnxInferenceEngine(env, session, options, model.card(), provider,
                    settings.maxBatchSize());
            if (settings.warmUp()) {
                engine.warmUp();
            } else if (cudaDevice >= 0) {
                // CUDA loads cuDNN and cuBLAS and takes its memory at the first run, not when the session opens:
                // fail here, where device=auto can still fall back to CPU, rather than at the first batch.
                engine.run(1);
            }
            LOG.info("Opened {} {} on {} (intra-op threads {}, inter-op threads {}, batches <= {})",
                    model.card().name(), model.card().version(), provider, settings.intraOpThreads(),
                    settings.interOpThreads(), settings.maxBatchSize());
            return engine;
        } catch (RuntimeException | OrtException e) {
            closeQuietly(session, options);
            throw e;
        }
    }

    /**
     * Why this ONNX Runtime cannot run CUDA at all (no CUDA execution provider compiled in, or its library out of
     * ONNX Runtime's reach), or null. A property of the jar and its installation, not of the GPU: the client checks
     * it before submitting a job that demands CUDA.
     */
    public static String missingCudaProvider() {
        EnumSet<OrtProvider> available = OrtEnvironment.getAvailableProviders();
        if (!available.contains(OrtProvider.CUDA)) {
            return "this ONNX Runtime build has no CUDA execution provider (it has " + available + "); build the "
                    + "job with the Maven profile -Pgpu (onnxruntime_gpu)";
        }
        return unreachableProviderLibrary("onnxruntime_providers_cuda", System.getProperty(NATIVE_PATH_PROPERTY),
                name -> OrtEnvironment.class.getResource(name) != null);
    }

    /** The system property naming the folder of ONNX Runtime's native libraries when they are not in its jar. */
    static final String NATIVE_PATH_PROPERTY = "onnxruntime.native.path";

    /**
     * Why ONNX Runtime's Java API will not find a shared execution-provider library, or null. It looks in its jar
     * ({@code /ai/onnxruntime/native/<os>-<arch>/}) and in the folder of {@code -Donnxruntime.native.path}, never
     * on {@code LD_LIBRARY_PATH}: with the natives taken out of the jar and only that variable set (as in a
     * container image), the provider "is not found" although its file is there.
     */
    static String unreachableProviderLibrary(String library, String nativePath, Predicate<String> inJar) {
        String file = System.mapLibraryName(library);
        if (nativePath != null && Files.isRegularFile(Path.of(nativePath, file))) {
            return null;
        }
        String arch = System.getProperty("os.arch", "").toLowerCase(Locale.ROOT);
        String platform = (arch.equals("amd64") || arch.equals("x86_64")) ? "x64" : arch;
        for (String os : new String[] {"linux", "win", "osx"}) {
            if (inJar.test("/ai/onnxruntime/native/" + os + "-" + platform + "/" + file)) {
                return null;
            }
        }
        return "ONNX Runtime looks for " + file + " only inside its jar and in the folder given by -D"
                + NATIVE_PATH_PROPERTY + " (" + (nativePath == null ? "not set" : nativePath + ": not there")
                + "), not on LD_LIBRARY_PATH; set that property to the folder holding the native libraries";
    }

    /**
     * CUDA provider options: the device, full float32 arithmetic, and the arena limit when one is set (growing the
     * arena by what is requested, so the limit is not overshot by a power-of-two step). ORT lets convolutions use
     * TF32 (a 10-bit mantissa) on Ampere and later by default; the thresholds were calibrated in float32, as the
     * golden vectors are checked.
     */
    private static OrtCUDAProviderOptions cudaOptions(int deviceId, long memoryLimitBytes) throws OrtException {
        OrtCUDAProviderOptions cuda = new OrtCUDAProviderOptions(deviceId);
        try {
            cuda.add("use_tf32", "0");
            if (memoryLimitBytes > 0) {
                cuda.add("gpu_mem_limit", Long.toString(memoryLimitBytes));
                cuda.add("arena_extend_strategy", "kSameAsRequested");
            }
            return cuda;
        } catch (OrtException | RuntimeException e) {
            cuda.close();
            throw e;
        }
    }

    private static OrtSession.SessionOptions baseOptions(InferenceSettings settings) throws OrtException {
        OrtSession.SessionOptions options = new OrtSession.SessionOptions();
        try {
            options.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
            options.setIntraOpNumThreads(settings.intraOpThreads());
            options.setInterOpNumThreads(settings.interOpThreads());
            options.setExecutionMode(settings.interOpThreads() > 1
                    ? OrtSession.SessionOptions.ExecutionMode.PARALLEL
                    : OrtSession.SessionOptions.ExecutionMode.SEQUENTIAL);
            // Idle workers yield instead of spinning: spinning burns the cores the TaskManager's other slots need.
            options.addConfigEntry("session.intra_op.allow_spinning", "0");
            options.addConfigEntry("session.inter_op.allow_spinning", "0");
            return options;
        } catch (OrtException | RuntimeException e) {
            options.close();
            throw e;
        }
    }

    @Override
    public FloatBuffer inputBuffer() {
        return input;
    }

    @Override
    public int maxBatchSize() {
        return maxBatchSize;
    }

    @Override
    public String activeExecutionProvider() {
        return provider;
    }

    public ModelCard card() {
        return card;
    }

    @Override
    public BatchResult run(int batchSize) throws OrtException {
        if (batchSize < 1 || batchSize > maxBatchSize) {
            throw new IllegalArgumentException("batch size must be 1.." + maxBatchSize + ", got " + batchSize);
        }
        long[] imageShape = {batchSize, card.channels(), card.height(), card.width()};
        float[] scores = new float[batchSize];
        float[][] maps = new float[batchSize][];
        try (OnnxTensor in = OnnxTensor.createTensor(env, prefix(input, batchSize * imageSize), imageShape)) {
            Map<String, OnnxTensor> inputs = Map.of(card.inputName(), in);
            if (card.hasScoringHead()) {
                try (OnnxTensor map = OnnxTensor.createTensor(env, prefix(errorOut, batchSize * plane),
                        new long[] {batchSize, 1, card.mapHeight(), card.mapWidth()});
                        OnnxTensor score = OnnxTensor.createTensor(env, prefix(scoreOut, batchSize),
                                new long[] {batchSize});
                        OrtSession.Result ignored = session.run(inputs, Map.of(
                                card.errorMapOutput().name(), map, card.scoreOutput().name(), score))) {
                    for (int i = 0; i < batchSize; i++) {
                        maps[i] = new float[plane];
                        errorOut.get(i * plane, maps[i]);
                        scores[i] = scoreOut.get(i);
                    }
                }
            } else {
                try (OnnxTensor recon = OnnxTensor.createTensor(env, prefix(reconstructionOut, batchSize * imageSize),
                        imageShape);
                        OrtSession.Result ignored = session.run(inputs,
                                Map.of(card.reconstructionOutput().name(), recon))) {
                    for (int i = 0; i < batchSize; i++) {
                        maps[i] = new float[plane];
                        scores[i] = ReconstructionError.squaredErrorMap(input, reconstructionOut, i, card.channels(),
                                card.height(), card.width(), maps[i]);
                    }
                }
            }
        }
        return new BatchResult(scores, maps, card.mapWidth(), card.mapHeight());
    }

    /**
     * Runs a full and a single-image batch so ORT allocates and plans both before the first real frame. On CUDA
     * every batch size up to 128 runs once: cuDNN picks its convolution algorithms per input shape on first use
     * (an exhaustive search by default), and the micro-batcher emits any size from 1 to the maximum, so without
     * this the first batch of each size would stall for the search. 128 covers the batch sizes recommended for a
     * GPU (docs/performance.md) at 8,256 frames of warm-up; larger maxima warm only their own size beyond it.
     */
    private void warmUp() throws OrtException {
        for (int i = 0; i < maxBatchSize * imageSize; i++) {
            input.put(i, 0.5f);
        }
        run(maxBatchSize);
        if (provider.startsWith("CUDA")) {
            for (int n = 1; n < Math.min(maxBatchSize, CUDA_WARM_UP_SIZES + 1); n++) {
                run(n);
            }
        } else if (maxBatchSize > 1) {
            run(1);
        }
    }

    /** Closes the session only; the environment is process-wide (see class comment). */
    @Override
    public void close() throws OrtException {
        try {
            session.close();
        } finally {
            options.close();
        }
    }

    /** A view of the first {@code length} floats sharing the buffer's memory: ORT wraps it without copying. */
    static FloatBuffer prefix(FloatBuffer buffer, int length) {
        return buffer.duplicate().position(0).limit(length).slice();
    }

    static FloatBuffer directFloats(long count) {
        if (count * Float.BYTES > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("batch buffer of " + count + " floats is too large; lower the "
                    + "maximum batch size");
        }
        return ByteBuffer.allocateDirect((int) count * Float.BYTES).order(ByteOrder.nativeOrder()).asFloatBuffer();
    }

    private static void closeQuietly(OrtSession session, OrtSession.SessionOptions options) {
        try {
            if (session != null) {
                session.close();
            }
        } catch (OrtException | RuntimeException e) {
            LOG.debug("closing a half-opened session failed", e);
        } finally {
            options.close();
        }
    }

    @Override
    public String toString() {
        return "OnnxInferenceEngine{" + card.name() + " " + card.version() + " on " + provider + ", batches <= "
                + maxBatchSize + ", outputs " + Arrays.asList(session.getOutputNames().toArray()) + "}";
    }

    private enum Factory implements InferenceEngineFactory {
        INSTANCE;

        @Override
        public InferenceEngine open(ModelBundle model, InferenceSettings settings) throws Exception {
            return OnnxInferenceEngine.open(model, settings);
        }
    }
}
