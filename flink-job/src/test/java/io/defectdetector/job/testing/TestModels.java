package io.defectdetector.job.testing;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

/**
 * The tiny ONNX models of src/test/resources/models (written by src/test/python/make_test_models.py) and the
 * project's default model.
 */
public final class TestModels {
    private TestModels() {
    }

    /** 1x16x16 input, error_map + score + reconstruction outputs; card thresholds 1.0 / 0.5 / 2. */
    public static Path tinyGraph() {
        return resource("models/tiny-graph/tiny-graph.onnx");
    }

    /** tiny-graph with an input range (thresholds.input_range) that holds the control tests' frames (black with
     * one bright pixel): an all-black frame is a frame fault (cause "frame"). */
    public static Path tinyGraphRanged() {
        return resource("models/tiny-graph-ranged/tiny-graph-ranged.onnx");
    }

    /** tiny-graph's card and outputs, but a graph that fails whenever it runs (a Gather beyond the channels). */
    public static Path failsWhenRun() {
        return resource("models/fails-when-run/fails-when-run.onnx");
    }

    /** 3x16x16 input, reconstruction output only (Java fallback). */
    public static Path tinyRecon() {
        return resource("models/tiny-recon/tiny-recon.onnx");
    }

    /** The model-export default model, committed at the repository root (tests run in the module folder). */
    public static Path defaultModelFolder() {
        return Path.of("..", "models", "default").toAbsolutePath().normalize();
    }

    /** 3x48x64 (height 48, width 64) CAE exported by model-export from RGB images (src/test/python/make_rgb_cae.py), with golden vectors. */
    public static Path rgbCaeFolder() {
        return resource("models/rgb-cae/cae.onnx").getParent();
    }

    /** Copies a folder with everything below it to {@code target} (created; files already there are kept). */
    public static Path copyTree(Path folder, Path target) throws IOException {
        try (Stream<Path> files = Files.walk(folder)) {
            for (Path file : (Iterable<Path>) files::iterator) {
                Path to = target.resolve(folder.relativize(file).toString());
                if (Files.isDirectory(file)) {
                    Files.createDirectories(to);
                } else {
                    Files.copy(file, to);
                }
            }
        }
        return target;
    }

    public static Path resource(String name) {
        try {
            var url = TestModels.class.getClassLoader().getResource(name);
            if (url == null) {
                throw new IllegalStateException("test resource " + name + " missing");
            }
            return Path.of(url.toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }
}
