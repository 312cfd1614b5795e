package io.defectdetector.job.inference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.defectdetector.job.model.ModelBundle;
import io.defectdetector.job.testing.TestModels;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The start-up parity check on real exported models, and on copies broken the ways it exists to catch. */
class GoldenCheckTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void theExportedModelsReproduceTheirGoldenVectors() {
        for (Path folder : new Path[] {TestModels.defaultModelFolder(), TestModels.rgbCaeFolder()}) {
            GoldenCheck.Report report = GoldenCheck.verify(ModelBundle.locate(folder.resolve("cae.onnx").toString()))
                    .orElseThrow();
            assertThat(report.images()).as(folder.toString()).isEqualTo(7);
            assertThat(report.outputsChecked()).isTrue();
            assertThat(report.preprocessed()).isBetween(0.0, 1.0);
            assertThat(report.score()).isGreaterThan(0.0).isLessThanOrEqualTo(1.0);
            assertThat(report.errorMap()).isGreaterThan(0.0).isLessThanOrEqualTo(1.0);
            assertThat(report.toString()).contains("7 golden images").contains("reproduce");
            System.out.println("Golden check: " + report); // the deviations docs/model-card.md quotes
        }
    }

    @Test
    void aModelWithoutGoldenVectorsIsNotChecked(@TempDir Path dir) throws IOException {
        Path rgb = TestModels.rgbCaeFolder();
        Files.copy(rgb.resolve("cae.onnx"), dir.resolve("cae.onnx"));
        Files.copy(rgb.resolve("cae.card.json"), dir.resolve("cae.card.json"));

        assertThat(GoldenCheck.verify(ModelBundle.locate(dir.resolve("cae.onnx").toString()))).isEmpty();
    }

    @Test
    void goldenVectorsOfAModelWithAnotherInputAreNamedAsAnotherModels(@TempDir Path dir) throws IOException {
        Path model = copyOf(TestModels.rgbCaeFolder(), dir);  // 3x48x64 input
        try (var files = Files.list(model.resolve("golden"))) {
            for (Path f : files.toList()) {
                Files.delete(f);
            }
        }
        TestModels.copyTree(TestModels.defaultModelFolder().resolve("golden"), model.resolve("golden")); // 1x128x128's
        assertThatThrownBy(() -> GoldenCheck.verify(ModelBundle.locate(model.resolve("cae.onnx").toString())))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("were made for another model")
                .hasMessageContaining("has 16384 values, this card's 3x48x64 input 9216")
                .hasMessageContaining("put the golden/ folder exported with this model beside it");
    }

    @Test
    void refusesGoldenScoresThatTheGraphDoesNotReproduce(@TempDir Path dir) throws IOException {
        Path model = copyOf(TestModels.rgbCaeFolder(), dir);
        Path json = model.resolve("golden").resolve("golden.json");
        // Another export's golden vectors: the first image's score off by 0.5.
        ObjectNode golden = (ObjectNode) JSON.readTree(json.toFile());
        ObjectNode first = (ObjectNode) golden.get("images").get(0);
        first.put("score", first.get("score").asDouble() + 0.5);
        JSON.writeValue(json.toFile(), golden);

        assertThatThrownBy(() -> GoldenCheck.verify(ModelBundle.locate(model.resolve("cae.onnx").toString())))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("golden image gray_defect.png: score value 0")
                .hasMessageContaining("ONNX Runtime does not compute what PyTorch computed")
                .hasMessageContaining("model-verify-golden=false");
    }

    @Test
    void refusesAPreprocessingThatDiffersFromModelExport(@TempDir Path dir) throws IOException {
        Path model = copyOf(TestModels.rgbCaeFolder(), dir);
        // As if model-export had scaled by 1/256 instead of 1/255: every preprocessed value slightly smaller.
        Path input = model.resolve("golden").resolve("rgb_defect.preprocessed.f32");
        ByteBuffer bytes = ByteBuffer.wrap(Files.readAllBytes(input)).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < bytes.capacity(); i += Float.BYTES) {
            bytes.putFloat(i, bytes.getFloat(i) * 255f / 256f);
        }
        Files.write(input, bytes.array());

        assertThatThrownBy(() -> GoldenCheck.verify(ModelBundle.locate(model.resolve("cae.onnx").toString())))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("golden image rgb_defect.png: preprocessed value")
                .hasMessageContaining("the job's preprocessing differs from model-export's (card: color "
                        + "rgb-gray-replicated");
    }

    private static Path copyOf(Path folder, Path dir) throws IOException {
        return TestModels.copyTree(folder, dir.resolve("model"));
    }
}
