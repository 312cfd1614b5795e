package io.defectdetector.job.testing;

import io.defectdetector.job.inference.InferenceEngine;
import io.defectdetector.job.inference.InferenceEngineFactory;
import io.defectdetector.job.inference.InferenceSettings;
import io.defectdetector.job.inference.OnnxInferenceEngine;
import io.defectdetector.job.model.ModelBundle;
import java.util.concurrent.atomic.AtomicInteger;

/** The real ONNX Runtime engine factory, counting the sessions opened (static: the MiniCluster shares the JVM). */
public final class CountingEngineFactory implements InferenceEngineFactory {
    private static final long serialVersionUID = 1L;
    public static final AtomicInteger OPENED = new AtomicInteger();

    private final InferenceEngineFactory delegate = OnnxInferenceEngine.factory();

    @Override
    public InferenceEngine open(ModelBundle model, InferenceSettings settings) throws Exception {
        InferenceEngine engine = delegate.open(model, settings);
        OPENED.incrementAndGet();
        return engine;
    }
}
