package io.defectdetector.job.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.defectdetector.job.testing.TestModels;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Cards checked against the graphs ONNX Runtime actually loads. */
class ModelCompatibilityTest {

    @Test
    void acceptsMatchingCards() throws Exception {
        for (Path model : new Path[] {TestModels.tinyGraph(), TestModels.tinyRecon()}) {
            ModelCard card = ModelBundle.locate(model.toString()).card();
            try (OrtSession session = session(model)) {
                assertThatCode(() -> ModelCompatibility.check(card, session, 8)).doesNotThrowAnyException();
            }
        }
    }

    @Test
    void batchBuffersOverTwoGibibytesAreRefusedNamingTheBatchSizeThatFits() throws Exception {
        ModelCard card = ModelBundle.locate(TestModels.tinyGraph().toString()).card(); // 1x16x16: 1 KiB a frame
        assertThatCode(() -> ModelCompatibility.requireBatchBuffersFit(card, 2_097_151)).doesNotThrowAnyException();
        assertThatThrownBy(() -> ModelCompatibility.requireBatchBuffersFit(card, 2_097_152))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("batch-max-size 2097152 is too large")
                .hasMessageContaining("1x16x16 input takes 2048 MiB")
                .hasMessageContaining("set batch-max-size to 2097151 or less");
        try (OrtSession session = session(TestModels.tinyGraph())) {
            assertThatThrownBy(() -> ModelCompatibility.check(card, session, 3_000_000))
                    .hasMessageContaining("set batch-max-size to 2097151 or less");
        }
    }

    @Test
    void aCardWithoutTheScoringHeadOfItsGraphIsRefused() throws Exception {
        // The Java fallback's squared error against thresholds calibrated for the graph's score: hardly an alert.
        ObjectNode json = (ObjectNode) new ObjectMapper().readTree(cardText(TestModels.tinyGraph()));
        ((ObjectNode) json.get("outputs")).remove(List.of("error_map", "score"));
        ModelCard card = ModelCard.parse(json.toString(), "edited");
        assertThat(card.hasScoringHead()).isFalse();
        try (OrtSession session = session(TestModels.tinyGraph())) {
            assertThatThrownBy(() -> ModelCompatibility.check(card, session))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("the graph outputs 'error_map' and 'score' but the card names only "
                            + "'reconstruction'")
                    .hasMessageContaining("export the card again");
        }
    }

    @Test
    void cardInputShapeDisagreeingWithGraphIsNamed() throws Exception {
        ModelCard card = ModelCard.parse(cardText(TestModels.tinyGraph())
                .replace("\"height\": 16", "\"height\": 32")
                .replace("16,\n        16", "32,\n        16"), "edited");
        try (OrtSession session = session(TestModels.tinyGraph())) {
            assertThatThrownBy(() -> ModelCompatibility.check(card, session))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("input 'image' has shape [-1, 1, 16, 16] in the graph")
                    .hasMessageContaining("[-1, 1, 32, 16]");
        }
    }

    @Test
    void cardChannelsDisagreeingWithGraphIsNamed() throws Exception {
        // The 3-channel reconstruction-only graph under a 1-channel card.
        ModelCard card = ModelCard.parse(cardText(TestModels.tinyRecon())
                .replace("\"channels\": 3", "\"channels\": 1")
                .replace("rgb-gray-replicated", "gray-bt601-int")
                .replace("[\n        -1,\n        3,", "[\n        -1,\n        1,"), "edited");
        try (OrtSession session = session(TestModels.tinyRecon())) {
            assertThatThrownBy(() -> ModelCompatibility.check(card, session))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("[-1, 3, 16, 16] in the graph");
        }
    }

    @Test
    void wrongInputNameIsNamed() throws Exception {
        ModelCard card = ModelCard.parse(cardText(TestModels.tinyGraph())
                .replace("\"name\": \"image\"", "\"name\": \"pixels\""), "edited");
        try (OrtSession session = session(TestModels.tinyGraph())) {
            assertThatThrownBy(() -> ModelCompatibility.check(card, session))
                    .hasMessageContaining("input.name is 'pixels' but the graph's inputs are [image]");
        }
    }

    @Test
    void outputsMissingFromTheGraphAreNamed() throws Exception {
        // The reconstruction-only graph's card, edited to promise the scoring head.
        ObjectNode json = (ObjectNode) new ObjectMapper().readTree(cardText(TestModels.tinyRecon()));
        ObjectNode outputs = (ObjectNode) json.get("outputs");
        outputs.putObject("error_map").put("name", "error_map");
        outputs.putObject("score").put("name", "score");
        ModelCard card = ModelCard.parse(json.toString(), "edited");
        try (OrtSession session = session(TestModels.tinyRecon())) {
            assertThatThrownBy(() -> ModelCompatibility.check(card, session))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("outputs.error_map.name is 'error_map' but the graph's outputs are "
                            + "[reconstruction]");
        }
    }

    @Test
    void dynamicBatchAxisAcceptsAnyBatchSize() throws Exception {
        try (OrtSession session = session(TestModels.tinyGraph())) {
            ModelCard card = ModelBundle.locate(TestModels.tinyGraph().toString()).card();
            assertThatCode(() -> ModelCompatibility.check(card, session, 64)).doesNotThrowAnyException();
        }
    }

    private static OrtSession session(Path model) throws OrtException {
        return OrtEnvironment.getEnvironment().createSession(model.toString(), new OrtSession.SessionOptions());
    }

    private static String cardText(Path model) throws Exception {
        return Files.readString(model.resolveSibling(model.getFileName().toString().replace(".onnx", ".card.json")));
    }
}
