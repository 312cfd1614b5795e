package io.defectdetector.job.inference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import ai.onnxruntime.OnnxTensor;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.defectdetector.job.model.ModelBundle;
import io.defectdetector.job.testing.TestModels;
import java.io.ByteArrayOutputStream;
import java.io.ObjectOutputStream;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import org.assertj.core.data.Offset;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The real ONNX Runtime on the tiny test models, against outputs computed independently in numpy. */
class OnnxInferenceEngineTest {

    @TempDir
    Path dir;

    @Test
    void aProviderLibraryIsFoundOnlyInTheJarOrTheNativePathFolder(@TempDir Path dir) throws Exception {
        String file = System.mapLibraryName("onnxruntime_providers_cuda");
        // The natives out of the jar, on LD_LIBRARY_PATH only (as ONNX Runtime does not look there): refused.
        assertThat(OnnxInferenceEngine.unreachableProviderLibrary("onnxruntime_providers_cuda", null, n -> false))
                .contains(file).contains("-Donnxruntime.native.path (not set)");
        assertThat(OnnxInferenceEngine.unreachableProviderLibrary("onnxruntime_providers_cuda", dir.toString(),
                n -> false)).contains(dir + ": not there");
        Files.write(dir.resolve(file), new byte[] {1});
        assertThat(OnnxInferenceEngine.unreachableProviderLibrary("onnxruntime_providers_cuda", dir.toString(),
                n -> false)).isNull();
        // In the jar, as the onnxruntime_gpu artifact ships it.
        assertThat(OnnxInferenceEngine.unreachableProviderLibrary("onnxruntime_providers_cuda", null,
                n -> n.endsWith("-x64/" + file) || n.endsWith("-aarch64/" + file))).isNull();
        // The real resource lookup, on a library the CPU build's jar holds.
        assertThat(OnnxInferenceEngine.unreachableProviderLibrary("onnxruntime", null,
                n -> ai.onnxruntime.OrtEnvironment.class.getResource(n) != null)).isNull();
    }

    @Test
    void scoringHeadOutputsMatchNumpy() throws Exception {
        Expected expected = Expected.of(TestModels.tinyGraph());
        try (OnnxInferenceEngine engine = open(TestModels.tinyGraph(), "cpu", 4, true)) {
            BatchResult result = runExpected(engine, expected);
            assertMatches(result, expected);
            assertThat(result.mapWidth()).isEqualTo(16);
            assertThat(result.mapHeight()).isEqualTo(16);
            assertThat(result.scores()[1]).isZero(); // the flat image reconstructs exactly
        }
    }

    @Test
    void reconstructionOnlyModelsUseTheJavaFallback() throws Exception {
        Expected expected = Expected.of(TestModels.tinyRecon());
        try (OnnxInferenceEngine engine = open(TestModels.tinyRecon(), "cpu", 3, false)) {
            assertMatches(runExpected(engine, expected), expected);
        }
    }

    @Test
    void singleImageBatchesGiveTheSameResultsAsFullBatches() throws Exception {
        Expected expected = Expected.of(TestModels.tinyGraph());
        try (OnnxInferenceEngine engine = open(TestModels.tinyGraph(), "cpu", 4, false)) {
            BatchResult full = runExpected(engine, expected);
            FloatBuffer in = engine.inputBuffer();
            for (int k = 0; k < 256; k++) {
                in.put(k, expected.input[2 * 256 + k]);
            }
            BatchResult one = engine.run(1);
            assertThat(one.size()).isEqualTo(1);
            assertThat(one.scores()[0]).isEqualTo(full.scores()[2]);
            assertThat(one.errorMaps()[0]).containsExactly(full.errorMaps()[2]);
            assertThat(one.errorMaps()[0]).isNotSameAs(full.errorMaps()[2]);
        }
    }

    @Test
    void batchSizeOutsideTheBufferIsRefused() throws Exception {
        try (OnnxInferenceEngine engine = open(TestModels.tinyGraph(), "cpu", 2, false)) {
            assertThatThrownBy(() -> engine.run(3)).hasMessageContaining("batch size must be 1..2");
            assertThatThrownBy(() -> engine.run(0)).hasMessageContaining("batch size must be 1..2");
        }
    }

    @Test
    void cpuAndAutoRunOnCpuWithTheCpuBuild() throws Exception {
        try (OnnxInferenceEngine cpu = open(TestModels.tinyGraph(), "cpu", 1, false);
                OnnxInferenceEngine auto = open(TestModels.tinyGraph(), "auto", 1, false)) {
            assertThat(cpu.activeExecutionProvider()).isEqualTo("CPU");
            assertThat(auto.activeExecutionProvider()).isEqualTo("CPU");
        }
    }

    @Test
    void requestingCudaWithoutItFailsAtOpenSayingWhatToDo() {
        assertThatThrownBy(() -> open(TestModels.tinyGraph(), "cuda:1", 1, false))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("device 'cuda:1' requested")
                .hasMessageContaining("-Pgpu")
                .hasMessageContaining("device=auto");
    }

    @Test
    void inputSliceIsHandedToOrtWithoutACopy() throws Exception {
        FloatBuffer buffer = OnnxInferenceEngine.directFloats(8);
        try (OnnxTensor tensor = OnnxTensor.createTensor(OnnxInferenceEngine.environment(),
                OnnxInferenceEngine.prefix(buffer, 4), new long[] {4})) {
            assertThat(tensor.ownsBuffer()).isFalse();
            buffer.put(2, 42f); // written after the tensor was made: visible only if the memory is shared
            assertThat(((float[]) tensor.getValue())[2]).isEqualTo(42f);
        }
    }

    @Test
    void factoryIsSerializable() throws Exception {
        try (ObjectOutputStream out = new ObjectOutputStream(new ByteArrayOutputStream())) {
            out.writeObject(OnnxInferenceEngine.factory());
        }
        try (InferenceEngine engine = OnnxInferenceEngine.factory().open(
                ModelBundle.locate(TestModels.tinyGraph().toString()), settings("cpu", 1, true))) {
            assertThat(engine.maxBatchSize()).isEqualTo(1);
        }
    }

    @Test
    void modelFileChangedAfterSubmissionIsRefusedAtOpen() throws Exception {
        Path onnx = Files.copy(TestModels.tinyGraph(), dir.resolve("tiny-graph.onnx"));
        Files.copy(TestModels.tinyGraph().resolveSibling("tiny-graph.card.json"), dir.resolve("tiny-graph.card.json"));
        ModelBundle bundle = ModelBundle.locate(onnx.toString());
        Files.write(onnx, new byte[] {0}, StandardOpenOption.APPEND);
        assertThatThrownBy(() -> OnnxInferenceEngine.open(bundle, settings("cpu", 1, false)))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("differs from the one the job was submitted with");
    }

    private static BatchResult runExpected(OnnxInferenceEngine engine, Expected expected) throws Exception {
        FloatBuffer in = engine.inputBuffer();
        for (int i = 0; i < expected.input.length; i++) {
            in.put(i, expected.input[i]);
        }
        return engine.run(expected.batch);
    }

    private static void assertMatches(BatchResult result, Expected expected) {
        assertThat(result.size()).isEqualTo(expected.batch);
        int plane = expected.errorMap.length / expected.batch;
        for (int i = 0; i < expected.batch; i++) {
            assertThat(result.scores()[i]).isCloseTo(expected.score[i], tolerance(expected.score[i]));
            for (int p = 0; p < plane; p++) {
                assertThat(result.errorMaps()[i][p]).as("image %d pixel %d", i, p)
                        .isCloseTo(expected.errorMap[i * plane + p], tolerance(expected.errorMap[i * plane + p]));
            }
        }
    }

    /** 1e-6, relative above 1: ORT and numpy sum in different orders (a float ulp at 4 is 4.8e-7). */
    private static Offset<Float> tolerance(float expected) {
        return within(1e-6f * Math.max(1f, Math.abs(expected)));
    }

    static OnnxInferenceEngine open(Path model, String device, int maxBatch, boolean warmUp) throws Exception {
        return OnnxInferenceEngine.open(ModelBundle.locate(model.toString()), settings(device, maxBatch, warmUp));
    }

    static InferenceSettings settings(String device, int maxBatch, boolean warmUp) {
        return new InferenceSettings(device, 1, 1, maxBatch, 10, warmUp);
    }

    /** expected.json written by make_test_models.py. */
    record Expected(int batch, float[] input, float[] errorMap, float[] score) {
        static Expected of(Path model) throws Exception {
            JsonNode json = new ObjectMapper().readTree(model.resolveSibling("expected.json").toFile());
            return new Expected(json.get("shape").get(0).asInt(), floats(json.get("input")),
                    floats(json.get("error_map")), floats(json.get("score")));
        }

        private static float[] floats(JsonNode array) {
            float[] out = new float[array.size()];
            for (int i = 0; i < out.length; i++) {
                out[i] = (float) array.get(i).asDouble();
            }
            return out;
        }
    }
}
