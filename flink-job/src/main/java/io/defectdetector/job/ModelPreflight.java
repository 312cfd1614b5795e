package io.defectdetector.job;

import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import io.defectdetector.job.inference.GoldenCheck;
import io.defectdetector.job.inference.OnnxInferenceEngine;
import io.defectdetector.job.model.ModelBundle;
import io.defectdetector.job.model.ModelCompatibility;
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
            GoldenCheck.verify(model).ifPresentOrElse(report -> LOG.info("Model parity: {}", report),
                    () -> LOG.info("Model parity: no golden vectors beside {}; not checked", model.onnxPath()));
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
        } catch (OrtException e) {
            throw new IllegalArgumentException("ONNX Runtime cannot load model " + model.onnxPath() + ": "
                    + e.getMessage(), e);
        }
        return model;
    }
}
