package io.defectdetector.job.inference;

import static org.assertj.core.api.Assertions.assertThat;

import io.defectdetector.frame.Frame;
import io.defectdetector.job.model.ModelBundle;
import io.defectdetector.job.scoring.ScoredFrame;
import io.defectdetector.job.model.GoldenVectors;
import io.defectdetector.job.testing.TestModels;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.flink.streaming.util.OneInputStreamOperatorTestHarness;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Training/serving parity: the golden PNG files decoded by the job's FrameDecoder, preprocessed by the
 * Preprocessor and scored by ONNX Runtime must reproduce what model-export computed in Python, within the
 * tolerances golden.json states. Two models, both exported by model-export: the gray default model and a small
 * RGB one trained on an MVTec-layout folder (src/test/python/make_rgb_cae.py), so both colour rules are covered.
 */
class GoldenParityTest {
    static List<Path> modelFolders() {
        return List.of(TestModels.defaultModelFolder(), TestModels.rgbCaeFolder());
    }

    private ModelBundle model;
    private GoldenVectors golden;
    private List<GoldenVectors.Image> images;

    private void load(Path folder) throws Exception {
        model = ModelBundle.locate(folder.resolve("cae.onnx").toString());
        golden = GoldenVectors.load(folder);
        images = golden.images();
        assertThat(images).hasSizeGreaterThanOrEqualTo(5);
    }

    @ParameterizedTest
    @MethodSource("modelFolders")
    void decodedAndPreprocessedImagesMatchPython(Path folder) throws Exception {
        load(folder);
        Preprocessor preprocessor = new Preprocessor(model.card());
        for (GoldenVectors.Image image : images) {
            Frame frame = image.decode();
            assertThat(frame.getWidth()).as(image.file()).isEqualTo(image.width());
            assertThat(frame.getHeight()).as(image.file()).isEqualTo(image.height());
            float[] actual = preprocessor.preprocess(frame);
            assertThat(actual).as(image.file()).hasSameSizeAs(image.preprocessed());
            assertWithin(image, "preprocessed", actual, image.preprocessed());
        }
    }

    @ParameterizedTest
    @MethodSource("modelFolders")
    void onnxRuntimeReproducesErrorMapsAndScoresInOneBatch(Path folder) throws Exception {
        load(folder);
        InferenceSettings settings = new InferenceSettings("cpu", 2, 1, images.size(),
                10, true);
        Preprocessor preprocessor = new Preprocessor(model.card());
        try (OnnxInferenceEngine engine = OnnxInferenceEngine.open(model, settings)) {
            for (int i = 0; i < images.size(); i++) {
                preprocessor.write(images.get(i).decode(), engine.inputBuffer(), i);
            }
            BatchResult result = engine.run(images.size());
            for (int i = 0; i < images.size(); i++) {
                GoldenVectors.Image image = images.get(i);
                assertThat((double) Math.abs(result.scores()[i] - image.score())).as(image.file() + " score")
                        .isLessThanOrEqualTo(golden.tolerance("score", image.score()));
                assertWithin(image, "error_map", result.errorMaps()[i], image.errorMap());
            }
        }
    }

    @ParameterizedTest
    @MethodSource("modelFolders")
    void inferenceOperatorScoresGoldenFramesLikePython(Path folder) throws Exception {
        load(folder);
        InferenceSettings settings = new InferenceSettings("auto", 1, 1, 4, 50, true);
        BatchInferenceOperator operator = new BatchInferenceOperator(model, settings, OnnxInferenceEngine.factory());
        List<ScoredFrame> out;
        try (var harness = new OneInputStreamOperatorTestHarness<Frame, ScoredFrame>(operator)) {
            harness.open();
            for (GoldenVectors.Image image : images) {
                harness.processElement(image.decode(), 0);
            }
            harness.endInput();
            out = new ArrayList<>(harness.extractOutputValues());
            assertThat(operator.activeExecutionProvider()).isEqualTo("CPU");
        }
        assertThat(out).hasSize(images.size());
        for (int i = 0; i < images.size(); i++) {
            GoldenVectors.Image image = images.get(i);
            ScoredFrame s = out.get(i);
            assertThat(s.getFrameId()).isEqualTo(image.file());
            assertThat(s.getImageWidth()).isEqualTo(image.width());
            assertThat((double) Math.abs(s.getScore() - image.score())).as(image.file() + " score")
                    .isLessThanOrEqualTo(golden.tolerance("score", image.score()));
            assertWithin(image, "error_map", s.getErrorMap(), image.errorMap());
        }
    }

    /** The start-up check's comparison: it throws, naming the value, where one is outside its tolerance. */
    private void assertWithin(GoldenVectors.Image image, String output, float[] actual, float[] expected) {
        assertThat(GoldenCheck.worst(golden, output, image, actual, expected, "parity test"))
                .as(image.file() + " " + output).isLessThanOrEqualTo(1.0);
    }
}
