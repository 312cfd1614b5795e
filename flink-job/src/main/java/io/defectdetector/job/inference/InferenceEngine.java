package io.defectdetector.job.inference;

import java.nio.FloatBuffer;

/**
 * One model session, used by one operator subtask from one thread. The caller preprocesses images straight into
 * {@link #inputBuffer()} (image {@code i} at float offset {@code i*C*H*W}, see {@code Preprocessor}) and then calls
 * {@link #run(int)}; the engine owns the buffer so the tensor handed to the runtime needs no copy.
 */
public interface InferenceEngine extends AutoCloseable {

    /** The engine's input buffer, room for {@link #maxBatchSize()} images in NCHW order. */
    FloatBuffer inputBuffer();

    int maxBatchSize();

    /** Runs the first {@code batchSize} images of the input buffer. */
    BatchResult run(int batchSize) throws Exception;

    /** The execution provider actually in use ("CPU", "CUDA:0"), for logs and the executionProvider gauge. */
    String activeExecutionProvider();
}
