package io.defectdetector.job;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import io.defectdetector.job.inference.GoldenCheck;
import io.defectdetector.job.inference.OnnxInferenceEngine;
import io.defectdetector.job.model.ModelBundle;
import io.defectdetector.job.model.ModelCard;
import io.defectdetector.job.model.ModelCompatibility;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Locates the model and checks its card against the ONNX graph on the client, before a job is submitted, so a
 * wrong path or a mismatched card is a start-up error instead of a job that restarts forever on the cluster; then,
 * optionally, that this job reproduces the model's golden vectors ({@link GoldenCheck}).
 */
public final class ModelPreflight {
    private static final Logger LOG = LoggerFactory.getLogger(ModelPreflight.class);

    private ModelPreflight() {
    }

    /**
     * All checks; a model given as a URI has its local copy released afterwards (the TaskManagers read the URI).
     *
     * @throws IllegalArgumentException saying what is wrong with the model and what to fix
     */
    public static ModelBundle check(String modelPath, int maxBatchSize, boolean verifyGolden) {
        ModelBundle model = check(modelPath, maxBatchSize);
        try {
            if (verifyGolden) {
                GoldenCheck.verify(model).ifPresentOrElse(report -> LOG.info("Model parity: {}", report), () -> {
                    if (Files.isDirectory(model.onnxPath().resolveSibling("golden"))) {
                        LOG.warn("Model parity: {} has no golden.json; not checked (copy the whole golden/ folder "
                                + "model-export wrote)", model.onnxPath().resolveSibling("golden"));
                    } else {
                        LOG.info("Model parity: no golden vectors beside {}; not checked", model.onnxPath());
                    }
                });
            }
        } finally {
            model.releaseLocalCopy();
        }
        return model;
    }

    /**
     * The card against the graph only; a URI model's local copy is kept for further checks (or released here if
     * this check fails).
     *
     * @throws IllegalArgumentException saying what to fix
     */
    public static ModelBundle check(String modelPath, int maxBatchSize) {
        ModelBundle model = ModelBundle.locate(modelPath);
        boolean passed = false;
        try {
            // The job's process-wide environment (same name and log level as the subtasks'); never closed. Its
            // first use loads ONNX Runtime's native library, which can fail too (a noexec temporary folder).
            OrtEnvironment env = OnnxInferenceEngine.environment();
            try (OrtSession.SessionOptions options = new OrtSession.SessionOptions();
                    OrtSession session = env.createSession(model.onnxPath().toString(), options)) {
                ModelCompatibility.check(model.card(), session, maxBatchSize);
                runOnGreyFrames(env, session, model, maxBatchSize);
            } catch (OrtException e) {
                throw new IllegalArgumentException("ONNX Runtime cannot load model " + model.onnxPath() + ": "
                        + e.getMessage(), e);
            }
            passed = true;
            return model;
        } finally {
            if (!passed) { // whatever stopped the checks (an Error too): a refused model leaves no copy behind
                model.releaseLocalCopy();
            }
        }
    }

    /** The largest input the check below allocates on the client; a larger batch is checked at this size. */
    private static final long CHECK_INPUT_BYTES = 64L << 20;

    /**
     * A graph can match its card and still fail when run (an operator with a bad index, a batch of 1 built into a
     * Reshape): then every subtask would fail its warm-up and the job restart forever. Grey frames, as the
     * warm-up's, at batch 1 and at batch-max-size (or the largest batch of at most 64 MiB) find that here.
     */
    private static void runOnGreyFrames(OrtEnvironment env, OrtSession session, ModelBundle model, int maxBatchSize) {
        ModelCard card = model.card();
        int frame = card.channels() * card.height() * card.width();
        int largest = (int) Math.max(1, Math.min(Math.max(1, maxBatchSize), CHECK_INPUT_BYTES / Float.BYTES / frame));
        for (int batch : largest > 1 ? new int[] {1, largest} : new int[] {1}) {
            FloatBuffer grey = FloatBuffer.allocate(batch * frame);
            while (grey.hasRemaining()) {
                grey.put(0.5f);
            }
            grey.flip();
            try (OnnxTensor input = OnnxTensor.createTensor(env, grey,
                    new long[] {batch, card.channels(), card.height(), card.width()});
                    OrtSession.Result ignored = session.run(Map.of(card.inputName(), input))) {
                // computed: the graph runs at this batch size
            } catch (OrtException e) {
                throw new IllegalArgumentException("ONNX Runtime loads model " + model.onnxPath() + " but cannot "
                        + "run it on " + batch + " grey frame" + (batch > 1 ? "s" : "") + ": " + e.getMessage()
                        + "; export the model again", e);
            }
        }
    }
}
