package io.defectdetector.job.testing;

import io.defectdetector.job.inference.BatchResult;
import io.defectdetector.job.inference.InferenceEngine;
import io.defectdetector.job.inference.InferenceEngineFactory;
import io.defectdetector.job.inference.InferenceSettings;
import io.defectdetector.job.model.ModelBundle;
import io.defectdetector.job.model.ModelCard;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A fake engine for batching and decision tests, no native code: the score of an image is the mean of its
 * preprocessed values and its error map is its first channel, so a test controls both through pixel values.
 * Engines opened through {@link #factory(String)} are registered under that key for inspection.
 */
public final class TestingInferenceEngine implements InferenceEngine {
    private static final Map<String, TestingInferenceEngine> OPENED = new ConcurrentHashMap<>();

    private final int maxBatchSize;
    private final int channels;
    private final int height;
    private final int width;
    private final FloatBuffer input;
    private final List<Integer> batchSizes = new ArrayList<>();
    private volatile boolean closed;

    public TestingInferenceEngine(ModelCard card, int maxBatchSize) {
        this.maxBatchSize = maxBatchSize;
        this.channels = card.channels();
        this.height = card.height();
        this.width = card.width();
        this.input = FloatBuffer.allocate(maxBatchSize * channels * height * width);
    }

    public static InferenceEngineFactory factory(String key) {
        return new Factory(key);
    }

    /** The engine the factory with this key opened last. */
    public static TestingInferenceEngine opened(String key) {
        return OPENED.get(key);
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
    public BatchResult run(int batchSize) {
        if (closed) {
            throw new IllegalStateException("run after close");
        }
        batchSizes.add(batchSize);
        int image = channels * height * width;
        int plane = height * width;
        float[] scores = new float[batchSize];
        float[][] maps = new float[batchSize][plane];
        for (int i = 0; i < batchSize; i++) {
            double sum = 0;
            for (int k = 0; k < image; k++) {
                sum += input.get(i * image + k);
            }
            scores[i] = (float) (sum / image);
            input.get(i * image, maps[i]);
        }
        return new BatchResult(scores, maps, width, height);
    }

    @Override
    public String activeExecutionProvider() {
        return "TESTING";
    }

    @Override
    public void close() {
        closed = true;
    }

    public List<Integer> batchSizes() {
        return List.copyOf(batchSizes);
    }

    public boolean isClosed() {
        return closed;
    }

    private record Factory(String key) implements InferenceEngineFactory {
        @Override
        public InferenceEngine open(ModelBundle model, InferenceSettings settings) {
            TestingInferenceEngine engine = new TestingInferenceEngine(model.card(), settings.maxBatchSize());
            OPENED.put(key, engine);
            return engine;
        }
    }
}
