package io.defectdetector.job.inference;

import java.io.Serializable;

/**
 * How each inference subtask runs its model.
 *
 * @param device         auto | cpu | cuda | cuda:&lt;id&gt;, see {@link DeviceSpec}
 * @param intraOpThreads ONNX Runtime threads per session, i.e. per slot. ORT's default (one per core) would give
 *                       every slot of a TaskManager a thread per core and oversubscribe the CPU; size it as
 *                       cores-per-TaskManager / slots.
 * @param interOpThreads threads running independent graph nodes in parallel; 1 (sequential) suits a CAE chain
 * @param maxBatchSize   frames per inference call, at most
 * @param maxWaitMs      longest a frame waits for a batch to fill; 0 = no batching
 * @param warmUp         run the model on placeholder batches at start (inference-warm-up) so the first real
 *                       batches do not pay for allocation and kernel selection
 * @param gpuMemoryLimitBytes CUDA arena limit per session (gpu_mem_limit, arena grown by what is requested);
 *                       0 = ONNX Runtime's default (no limit). Ignored on CPU.
 */
public record InferenceSettings(String device, int intraOpThreads, int interOpThreads, int maxBatchSize,
        long maxWaitMs, boolean warmUp, long gpuMemoryLimitBytes)
        implements Serializable {

    public InferenceSettings {
        DeviceSpec.parse(device);
        if (intraOpThreads < 1) {
            throw new IllegalArgumentException("intra-op threads must be >= 1, got " + intraOpThreads);
        }
        if (interOpThreads < 1) {
            throw new IllegalArgumentException("inter-op threads must be >= 1, got " + interOpThreads);
        }
        if (maxBatchSize < 1) {
            throw new IllegalArgumentException("maximum batch size must be >= 1, got " + maxBatchSize);
        }
        if (gpuMemoryLimitBytes < 0) {
            throw new IllegalArgumentException("GPU memory limit must be >= 0 (0 = none), got " + gpuMemoryLimitBytes);
        }
        if (maxWaitMs < 0) {
            throw new IllegalArgumentException("maximum batch wait must be >= 0 ms, got " + maxWaitMs);
        }
    }

    /** No GPU memory limit (ONNX Runtime's default arena). */
    public InferenceSettings(String device, int intraOpThreads, int interOpThreads, int maxBatchSize,
            long maxWaitMs, boolean warmUp) {
        this(device, intraOpThreads, interOpThreads, maxBatchSize, maxWaitMs, warmUp, 0);
    }

    public DeviceSpec deviceSpec() {
        return DeviceSpec.parse(device);
    }
}
