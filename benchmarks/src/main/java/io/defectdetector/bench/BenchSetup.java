package io.defectdetector.bench;

import io.defectdetector.factory.camera.FrameEncoding;
import io.defectdetector.factory.surface.Product;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Path;
import java.time.Duration;
import picocli.CommandLine.Option;

/** Options shared by the commands that run the job: model, frames and the job's layout and batching. */
final class BenchSetup {
    @Option(names = "--model", defaultValue = "models/default/cae.onnx",
            description = "The .onnx model (card beside it). Default: ${DEFAULT-VALUE}.")
    Path model;

    @Option(names = "--product", defaultValue = "auto",
            description = "Synthetic product the cameras show (fabric, metal, tiles, wood, pcb), or auto: the one the "
                    + "model was trained on, from its card (else fabric). Default: ${DEFAULT-VALUE}.")
    String product;

    @Option(names = "--encoding", defaultValue = "raw",
            description = "Frame encoding on Kafka: raw, png or jpeg. Default: ${DEFAULT-VALUE}.")
    String encoding;

    @Option(names = "--frame-size", defaultValue = "256",
            description = "Side of the square camera frames in pixels. Default: ${DEFAULT-VALUE}.")
    int frameSize;

    @Option(names = "--cameras", defaultValue = "4",
            description = "Cameras (= frames-topic partitions). Default: ${DEFAULT-VALUE}.")
    int cameras;

    @Option(names = "--defect-rate", defaultValue = "0.05",
            description = "Share of defective frames (the simulator's default). Default: ${DEFAULT-VALUE}.")
    double defectRate;

    @Option(names = "--parallelism", description = "Job parallelism = concurrent ONNX Runtime sessions. Default: "
            + "cores / intra-op threads.")
    Integer parallelism;

    @Option(names = "--intra-op-threads", defaultValue = "1",
            description = "ONNX Runtime threads per session (the job's inference-intra-op-threads). Default: ${DEFAULT-VALUE}.")
    int intraOpThreads;

    @Option(names = "--batch-max-size", defaultValue = "8",
            description = "The job's batch-max-size. Default: ${DEFAULT-VALUE} (the job's default).")
    int batchMaxSize;

    @Option(names = "--batch-max-wait-ms", defaultValue = "20",
            description = "The job's batch-max-wait in ms. Default: ${DEFAULT-VALUE} (the job's default).")
    long batchMaxWaitMs;

    @Option(names = "--checkpoint-interval-ms", defaultValue = "1000",
            description = "The job's checkpoint-interval in ms. Default: ${DEFAULT-VALUE} (the job's default).")
    long checkpointIntervalMs;

    @Option(names = "--device", defaultValue = "cpu",
            description = "cpu or cuda[:<id>] for the ceiling and the job (CUDA needs the -Pgpu build: MAVEN_ARGS=-Pgpu). "
                    + "Default: ${DEFAULT-VALUE}.")
    String device;

    @Option(names = "--gpu-memory-limit", description = "The job's inference-gpu-memory-limit (e.g. 2gb) and the "
            + "ceiling's CUDA arena limit. Default: none.")
    String gpuMemoryLimit;

    @Option(names = "--machine",
            description = "How the machine is named in the results (its CPU, cores and memory follow it). "
                    + "Default: the host name.")
    String machineLabel;

    /** The --machine label, or the host name: a fixed default would name every machine alike. */
    String machineLabel() {
        if (machineLabel != null && !machineLabel.isBlank()) {
            return machineLabel;
        }
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (UnknownHostException e) {
            return "unnamed machine";
        }
    }

    @Option(names = "--output", defaultValue = "bench-output",
            description = "Folder for results (a timestamped sub-folder per run). Default: ${DEFAULT-VALUE}.")
    Path output;

    @Option(names = "--python", defaultValue = "/usr/bin/python3",
            description = "Python with matplotlib for the plots. Default: ${DEFAULT-VALUE}.")
    String python;

    /** Job options beyond the benchmark's own (the GPU memory limit when given). */
    java.util.Map<String, String> jobOptions() {
        return gpuMemoryLimit == null ? java.util.Map.of()
                : java.util.Map.of(io.defectdetector.job.config.JobOptions.INFERENCE_GPU_MEMORY_LIMIT.key(),
                        gpuMemoryLimit);
    }

    OrtCeiling.GpuOptions gpuOptions() {
        long bytes = gpuMemoryLimit == null ? 0
                : org.apache.flink.configuration.MemorySize.parse(gpuMemoryLimit).getBytes();
        return new OrtCeiling.GpuOptions(bytes, null);
    }

    int parallelism() {
        return parallelism != null ? parallelism
                : Math.max(1, Runtime.getRuntime().availableProcessors() / Math.max(1, intraOpThreads));
    }

    Duration checkpointInterval() {
        return Duration.ofMillis(checkpointIntervalMs);
    }

    CameraFrames frames() {
        return new CameraFrames(product(), FrameEncoding.fromId(encoding), cameras, frameSize, defectRate);
    }

    /** The product option, with auto resolved from the card's training data (product, or a product in its path). */
    Product product() {
        if (!product.equalsIgnoreCase("auto")) {
            return Product.fromId(product);
        }
        String stem = model.getFileName().toString().replaceFirst("\\.onnx$", "");
        Path card = model.resolveSibling(stem + ".card.json");
        if (!java.nio.file.Files.isRegularFile(card)) {
            card = model.resolveSibling("model-card.json");
        }
        try {
            var json = new com.fasterxml.jackson.databind.ObjectMapper().readTree(card.toFile());
            var data = json.path("training").path("data");
            String hints = data.path("product").asText("") + " " + data.path("root").asText("") + " "
                    + json.path("name").asText("");
            for (String token : hints.toLowerCase(java.util.Locale.ROOT).split("[^a-z0-9]+")) {
                for (Product p : Product.values()) {
                    if (p.id().equals(token)) {
                        return p;
                    }
                }
            }
        } catch (java.io.IOException | RuntimeException e) {
            // no readable card: the default below
        }
        return Product.FABRIC;
    }
}
