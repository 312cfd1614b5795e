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

    /** @throws IllegalArgumentException saying what is wrong with the model and what to fix */
    public static ModelBundle check(String modelPath, int maxBatchSize, boolean verifyGolden) {
        ModelBundle model = check(modelPath, maxBatchSize);
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
        return model;
    }

    /** The card against the graph only. @throws IllegalArgumentException saying what to fix */
    public static ModelBundle check(String modelPath, int maxBatchSize) {
        ModelBundle model = ModelBundle.locate(modelPath);
        // The job's process-wide environment (same name and log level as the subtasks'); never closed.
        OrtEnvironment env = OnnxInferenceEngine.environment();
        try (OrtSession.SessionOptions options = new OrtSession.SessionOptions();
                OrtSession session = env.createSession(model.onnxPath().toString(), options)) {
            ModelCompatibility.check(model.card(), session, maxBatchSize);
            runOnABlankFrame(env, session, model);
        } catch (OrtException e) {
            throw new IllegalArgumentException("ONNX Runtime cannot load model " + model.onnxPath() + ": "
                    + e.getMessage(), e);
        }
        return model;
    }

    /**
     * A graph can match its card and still fail when run (an operator with a bad index, say): then every subtask
     * would fail its warm-up and the job restart forever. One blank frame finds that here, golden vectors or not.
     */
    private static void runOnABlankFrame(OrtEnvironment env, OrtSession session, ModelBundle model) {
        ModelCard card = model.card();
        long[] shape = {1, card.channels(), card.height(), card.width()};
        try (OnnxTensor blank = OnnxTensor.createTensor(env,
                FloatBuffer.allocate(card.channels() * card.height() * card.width()), shape);
                OrtSession.Result ignored = session.run(Map.of(card.inputName(), blank))) {
            // computed: the graph runs
        } catch (OrtException e) {
            throw new IllegalArgumentException("ONNX Runtime loads model " + model.onnxPath() + " but cannot run "
                    + "it on a blank frame: " + e.getMessage() + "; export the model again", e);
        }
    }
}
