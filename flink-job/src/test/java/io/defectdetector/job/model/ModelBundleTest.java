package io.defectdetector.job.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.defectdetector.job.testing.TestModels;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.ObjectOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ModelBundleTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    @Test
    void locatesModelAndCardFromTheOnnxPath() {
        ModelBundle bundle = ModelBundle.locate(TestModels.tinyGraph().toString());
        assertThat(bundle.onnxPath()).isEqualTo(TestModels.tinyGraph());
        ModelCard card = bundle.card();
        assertThat(card.name()).isEqualTo("tiny-graph");
        assertThat(card.version()).isEqualTo("test.1");
        assertThat(card.inputName()).isEqualTo("image");
        assertThat(card.channels()).isEqualTo(1);
        assertThat(card.height()).isEqualTo(16);
        assertThat(card.width()).isEqualTo(16);
        assertThat(card.hasScoringHead()).isTrue();
        assertThat(card.defaultThresholds().imageScore()).isEqualTo(1.0);
        assertThat(card.defaultThresholds().pixel()).isEqualTo(0.5);
        assertThat(card.defaultThresholds().minRegionArea()).isEqualTo(2);
    }

    @Test
    void locatesTheSingleOnnxFileOfAFolder() {
        ModelBundle bundle = ModelBundle.locate(TestModels.tinyRecon().getParent().toString());
        assertThat(bundle.onnxPath()).isEqualTo(TestModels.tinyRecon());
        assertThat(bundle.card().hasScoringHead()).isFalse();
        assertThat(bundle.card().channels()).isEqualTo(3);
    }

    @Test
    void acceptsGenericCardName() throws IOException {
        Path onnx = Files.copy(TestModels.tinyGraph(), dir.resolve("m.onnx"));
        Files.copy(TestModels.tinyGraph().resolveSibling("tiny-graph.card.json"), dir.resolve("model-card.json"));
        assertThat(ModelBundle.locate(onnx.toString()).card().name()).isEqualTo("tiny-graph");
    }

    @Test
    void bundleIsSerializableForShippingToTaskManagers() throws IOException {
        ModelBundle bundle = ModelBundle.locate(TestModels.tinyGraph().toString());
        try (ObjectOutputStream out = new ObjectOutputStream(new ByteArrayOutputStream())) {
            out.writeObject(bundle);
        }
        assertThat(bundle.readVerifiedModel()).isEqualTo(Files.readAllBytes(TestModels.tinyGraph()));
    }

    @Test
    void missingOnnxFileSaysWhatToSet() {
        assertThatThrownBy(() -> ModelBundle.locate(dir.resolve("nope.onnx").toString()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("nope.onnx does not exist").hasMessageContaining("model-export");
        assertThatThrownBy(() -> ModelBundle.locate(" "))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("model path is empty");
        assertThatThrownBy(() -> ModelBundle.locate(dir.toString()))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("contains no .onnx file");
    }

    @Test
    void folderWithSeveralModelsIsAmbiguous() throws IOException {
        Files.copy(TestModels.tinyGraph(), dir.resolve("a.onnx"));
        Files.copy(TestModels.tinyGraph(), dir.resolve("b.onnx"));
        assertThatThrownBy(() -> ModelBundle.locate(dir.toString()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("several .onnx files").hasMessageContaining("a.onnx, b.onnx");
    }

    @Test
    void missingCardNamesBothAcceptedFileNames() throws IOException {
        Path onnx = Files.copy(TestModels.tinyGraph(), dir.resolve("cae.onnx"));
        assertThatThrownBy(() -> ModelBundle.locate(onnx.toString()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("no model card beside")
                .hasMessageContaining("cae.card.json").hasMessageContaining("model-card.json");
    }

    @Test
    void cardOfAnotherModelIsRefusedBySha256() throws IOException {
        Path onnx = Files.copy(TestModels.tinyRecon(), dir.resolve("tiny-graph.onnx"));
        Files.copy(TestModels.tinyGraph().resolveSibling("tiny-graph.card.json"), dir.resolve("tiny-graph.card.json"));
        assertThatThrownBy(() -> ModelBundle.locate(onnx.toString()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("describes another ONNX file");
    }

    @Test
    void unknownPreprocessingIsRefused() throws IOException {
        Path onnx = withCard(c -> ((ObjectNode) c.get("preprocessing")).put("color", "hsv"));
        assertThatThrownBy(() -> ModelBundle.locate(onnx.toString()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("preprocessing.color 'hsv' is not known")
                .hasMessageContaining("gray-bt601-int");
        Path resized = withCard(c -> ((ObjectNode) c.get("preprocessing")).put("resize", "bilinear"));
        assertThatThrownBy(() -> ModelBundle.locate(resized.toString()))
                .hasMessageContaining("preprocessing.resize 'bilinear' is not known");
        Path scaled = withCard(c -> ((ObjectNode) c.get("preprocessing")).put("scale", "imagenet"));
        assertThatThrownBy(() -> ModelBundle.locate(scaled.toString()))
                .hasMessageContaining("preprocessing.scale must be '1/255'");
    }

    @Test
    void thresholdsOutsideTheCardSchemasRangesAreRefused() throws IOException {
        Path negative = withCard(c -> ((ObjectNode) c.get("thresholds")).put("image_score", -1.0));
        assertThatThrownBy(() -> ModelBundle.locate(negative.toString()))
                .hasMessageContaining("thresholds.image_score and thresholds.pixel must be numbers > 0, got -1.0");
        Path zeroPixel = withCard(c -> ((ObjectNode) c.get("thresholds")).put("pixel", 0));
        assertThatThrownBy(() -> ModelBundle.locate(zeroPixel.toString())).hasMessageContaining("> 0");
        Path noArea = withCard(c -> ((ObjectNode) c.get("thresholds")).put("min_region_area", 0));
        assertThatThrownBy(() -> ModelBundle.locate(noArea.toString()))
                .hasMessageContaining("thresholds.min_region_area must be between 1 and the error map's 256 pixels "
                        + "(16x16), got 0");
        Path tooLarge = withCard(c -> ((ObjectNode) c.get("thresholds")).put("min_region_area", 257));
        assertThatThrownBy(() -> ModelBundle.locate(tooLarge.toString()))
                .hasMessageContaining("got 257: no region could be that large");
        Path fourConnected = withCard(c -> ((ObjectNode) c.get("thresholds")).put("region_connectivity", 4));
        assertThatThrownBy(() -> ModelBundle.locate(fourConnected.toString()))
                .hasMessageContaining("thresholds.region_connectivity 4 is not supported");
        Path eightConnected = withCard(c -> ((ObjectNode) c.get("thresholds")).put("region_connectivity", 8));
        assertThat(ModelBundle.locate(eightConnected.toString()).card().defaultThresholds().pixel()).isPositive();
    }

    @Test
    void aModelTrainedOnSquashedImagesNeedsTheFrameAspectToleranceItsCardNames() throws IOException {
        Path squashed = withCard(c -> ((ObjectNode) c.get("input")).put("min_frame_aspect_tolerance", 0.6));
        ModelCard card = ModelBundle.locate(squashed.toString()).card();
        assertThat(card.minFrameAspectTolerance()).isEqualTo(0.6);
        assertThatThrownBy(() -> ModelCompatibility.checkFrameAspectTolerance(card, 0.25))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("was trained on images up to 0.600 off the aspect ratio of its 16x16 input "
                        + "(model-export --squash): with frame-aspect-tolerance 0.25 the job rejects frames "
                        + "shaped like them as WRONG_SHAPE; set frame-aspect-tolerance to at least 0.6");
        assertThat(ModelCompatibility.checkFrameAspectTolerance(card, 0.6)).isEmpty();
        // Within model-export's own 0.25 the cameras may send frames of the input's exact shape: a warning.
        ModelCard slightly = ModelBundle.locate(withCard(c -> ((ObjectNode) c.get("input"))
                .put("min_frame_aspect_tolerance", 0.2)).toString()).card();
        assertThat(ModelCompatibility.checkFrameAspectTolerance(slightly, 0)).hasValueSatisfying(w -> assertThat(w)
                .contains("up to 0.200 off").contains("frames of the input's own shape pass"));
        // Cards without the field (exported before it, or by hand) need nothing.
        assertThat(ModelCompatibility.checkFrameAspectTolerance(
                ModelBundle.locate(withCard(c -> { }).toString()).card(), 0)).isEmpty();
        Path negative = withCard(c -> ((ObjectNode) c.get("input")).put("min_frame_aspect_tolerance", -1));
        assertThatThrownBy(() -> ModelBundle.locate(negative.toString()))
                .hasMessageContaining("input.min_frame_aspect_tolerance must be a number >= 0, got -1");
        Path text = withCard(c -> ((ObjectNode) c.get("input")).put("min_frame_aspect_tolerance", "0.5"));
        assertThatThrownBy(() -> ModelBundle.locate(text.toString()))
                .hasMessageContaining("input.min_frame_aspect_tolerance must be a number >= 0, got \"0.5\"");
    }

    @Test
    void missingRequiredFieldsAreNamed() throws IOException {
        Path noThresholds = withCard(c -> ((ObjectNode) c.get("thresholds")).remove("pixel"));
        assertThatThrownBy(() -> ModelBundle.locate(noThresholds.toString()))
                .hasMessageContaining("thresholds.pixel");
        Path noInputName = withCard(c -> ((ObjectNode) c.get("input")).remove("name"));
        assertThatThrownBy(() -> ModelBundle.locate(noInputName.toString()))
                .hasMessageContaining("input.name");
        Path newer = withCard(c -> c.put("schema_version", 2));
        assertThatThrownBy(() -> ModelBundle.locate(newer.toString()))
                .hasMessageContaining("schema_version is 2");
    }

    @Test
    void outputsMustAllowScoring() throws IOException {
        Path none = withCard(c -> {
            ObjectNode outputs = (ObjectNode) c.get("outputs");
            outputs.remove("reconstruction");
            outputs.remove("score");
        });
        assertThatThrownBy(() -> ModelBundle.locate(none.toString()))
                .hasMessageContaining("found only 'error_map'");
        Path empty = withCard(c -> ((ObjectNode) c.get("outputs")).removeAll());
        assertThatThrownBy(() -> ModelBundle.locate(empty.toString()))
                .hasMessageContaining("outputs must contain 'error_map' and 'score', or 'reconstruction'");
    }

    @Test
    void notJsonIsReportedWithTheFile() throws IOException {
        Path onnx = Files.copy(TestModels.tinyGraph(), dir.resolve("m.onnx"));
        Files.writeString(dir.resolve("m.card.json"), "{ not json");
        assertThatThrownBy(() -> ModelBundle.locate(onnx.toString()))
                .hasMessageContaining("m.card.json is not valid JSON");
        // a hand edit that left a second object (or anything) after the card is not ignored
        Files.writeString(dir.resolve("m.card.json"), Files.readString(TestModels.tinyGraph()
                .resolveSibling("tiny-graph.card.json")) + "{\"schema_version\": 2}");
        assertThatThrownBy(() -> ModelBundle.locate(onnx.toString()))
                .hasMessageContaining("m.card.json is not valid JSON").hasMessageContaining("Trailing token");
    }

    @Test
    void aMalformedSha256IsRefusedRatherThanSkipped() throws IOException {
        Path onnx = withCard(c -> ((ObjectNode) c.get("onnx")).put("sha256", "not-a-sha"));
        assertThatThrownBy(() -> ModelBundle.locate(onnx.toString()))
                .hasMessageContaining("onnx.sha256 must be the 64 hex digits of the .onnx file's SHA-256, got "
                        + "'not-a-sha'");
        Path absent = withCard(c -> c.remove("onnx"));  // an older card: any file beside it
        assertThat(ModelBundle.locate(absent.toString()).card().onnxSha256()).isNull();
    }

    @Test
    void aModelGivenAsAUriIsReadThroughFlinksFileSystemsHereAndOnTheTaskManagers() throws Exception {
        // As Flink reads paths: not percent-encoded (a '%' is itself), so a space and a '%' must come back whole
        Path folder = Files.createDirectories(dir.resolve("store/my models/x%41"));
        Path onnx = Files.copy(TestModels.defaultModelFolder().resolve("cae.onnx"), folder.resolve("cae.onnx"));
        Files.copy(TestModels.defaultModelFolder().resolve("cae.card.json"), folder.resolve("cae.card.json"));
        TestModels.copyTree(TestModels.defaultModelFolder().resolve("golden"), folder.resolve("golden"));
        for (String uri : new String[] {"file://" + onnx.toAbsolutePath(), "file://" + folder.toAbsolutePath() + "/"}) {
            ModelBundle bundle = ModelBundle.locate(uri);
            assertThat(bundle.card().name()).isEqualTo("cae-tiles");
            assertThat(bundle.onnxPath()).as("a local copy for the start checks").isNotEqualTo(onnx)
                    .hasSameBinaryContentAs(onnx);
            assertThat(bundle.onnxPath().resolveSibling("golden").resolve("golden.json"))
                    .hasSameTextualContentAs(folder.resolve("golden/golden.json"));
            assertThat(bundle.toString()).contains("store/my models/x%41/cae.onnx (copied to ");
            // as shipped to a TaskManager: it reads the URI itself, not the client's copy
            ModelBundle shipped = roundTrip(bundle);
            Path copy = bundle.onnxPath().getParent();
            assertThat(bundle.releaseLocalCopy()).isSameAs(bundle);
            assertThat(copy).as("the copy is gone once the start checks are done").doesNotExist();
            assertThat(bundle.toString()).contains("x%41/cae.onnx (checked on a local copy)");
            assertThat(shipped.readVerifiedModel()).isEqualTo(Files.readAllBytes(onnx));
        }
    }

    @Test
    void aUriModelThatIsRefusedLeavesNoLocalCopyBehind() throws Exception {
        Path folder = Files.createDirectories(dir.resolve("store/bad"));
        Files.copy(TestModels.defaultModelFolder().resolve("cae.onnx"), folder.resolve("cae.onnx"));
        Files.writeString(folder.resolve("cae.card.json"), "{\"name\": ");
        Path tmp = Path.of(System.getProperty("java.io.tmpdir"));
        List<Path> before = modelCopies(tmp);
        assertThatThrownBy(() -> ModelBundle.locate(folder.toUri().toString()))
                .isInstanceOf(IllegalArgumentException.class);
        assertThat(modelCopies(tmp)).as("copies made during the test and left in %s", tmp)
                .filteredOn(p -> !before.contains(p)).isEmpty();
    }

    private static List<Path> modelCopies(Path tmp) throws IOException {
        try (var files = Files.list(tmp)) {
            return files.filter(p -> p.getFileName().toString().startsWith("defect-detector-model-")).sorted()
                    .toList();
        }
    }

    @Test
    void onlySchemeSlashSlashAndFileMakeAUri() {
        assertThat(RemoteModel.isUri("s3://bucket/models/x/cae.onnx")).isTrue();
        assertThat(RemoteModel.isUri("hdfs://nn:8020/models/x/")).isTrue();
        assertThat(RemoteModel.isUri("file:///opt/models/x/cae.onnx")).isTrue();
        assertThat(RemoteModel.isUri("FILE:/opt/models/x/cae.onnx")).isTrue();
        assertThat(RemoteModel.isUri("models/default/cae.onnx")).isFalse();
        assertThat(RemoteModel.isUri("C:\\models\\cae.onnx")).isFalse();
        assertThat(RemoteModel.isUri("C:/models/cae.onnx")).isFalse();
        assertThat(RemoteModel.isUri("v2:final/cae.onnx")).as("a relative path with a colon").isFalse();
    }

    @Test
    void aUriThatLeadsNowhereSaysWhatToFix() {
        assertThatThrownBy(() -> ModelBundle.locate(dir.resolve("none/cae.onnx").toUri().toString()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("does not exist: set the model path to the .onnx file");
        // a scheme without a Flink filesystem plugin here: Flink names the plugins a scheme needs
        assertThatThrownBy(() -> ModelBundle.locate("nosuchfs://bucket/models/cae.onnx"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("cannot read model nosuchfs://bucket/models/cae.onnx: ")
                .hasMessageContaining("read through Flink's file systems");
        assertThatThrownBy(() -> ModelBundle.locate("file:models/cae.onnx"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("is not a valid URI").hasMessageContaining("file:///opt/models/x/cae.onnx");
    }

    @Test
    void readsTheOptionalInputRangeAndRefusesOneWithoutPositiveBands() throws IOException {
        assertThat(ModelBundle.locate(TestModels.tinyGraph().toString()).card().inputRange())
                .as("cards exported before the range have none").isNull();
        Path ranged = withCard(c -> ((ObjectNode) c.get("thresholds")).set("input_range", JSON.createObjectNode()
                .<ObjectNode>set("level", JSON.createObjectNode().put("centre", 0.45).put("band", 0.2))
                .set("spread", JSON.createObjectNode().put("centre", -2.5).put("band", 1.5))));
        assertThat(ModelBundle.locate(ranged.toString()).card().inputRange())
                .isEqualTo(new InputRange(0.45, 0.2, -2.5, 1.5));

        Path zeroBand = withCard(c -> ((ObjectNode) c.get("thresholds")).set("input_range", JSON.createObjectNode()
                .<ObjectNode>set("level", JSON.createObjectNode().put("centre", 0.45).put("band", 0))
                .set("spread", JSON.createObjectNode().put("centre", -2.5).put("band", 1.5))));
        assertThatThrownBy(() -> ModelBundle.locate(zeroBand.toString()))
                .hasMessageContaining("tiny-graph.card.json")
                .hasMessageContaining("thresholds.input_range needs finite centres and bands > 0");
        Path noSpread = withCard(c -> ((ObjectNode) c.get("thresholds")).set("input_range", JSON.createObjectNode()
                .set("level", JSON.createObjectNode().put("centre", 0.45).put("band", 0.2))));
        assertThatThrownBy(() -> ModelBundle.locate(noSpread.toString()))
                .hasMessageContaining("missing object 'thresholds.input_range.spread'");
        Path textBand = withCard(c -> ((ObjectNode) c.get("thresholds")).set("input_range", JSON.createObjectNode()
                .<ObjectNode>set("level", JSON.createObjectNode().put("centre", 0.45).put("band", "wide"))
                .set("spread", JSON.createObjectNode().put("centre", -2.5).put("band", 1.5))));
        assertThatThrownBy(() -> ModelBundle.locate(textBand.toString()))
                .hasMessageContaining("missing number field 'thresholds.input_range.level.band', got \"wide\"");
    }

    /** The tiny-graph model with its card edited (sha256 kept valid: the model file is unchanged). */
    private static ModelBundle roundTrip(ModelBundle bundle) throws Exception {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
            out.writeObject(bundle);
        }
        try (java.io.ObjectInputStream in = new java.io.ObjectInputStream(
                new java.io.ByteArrayInputStream(bytes.toByteArray()))) {
            return (ModelBundle) in.readObject();
        }
    }

    private Path withCard(Consumer<ObjectNode> edit) throws IOException {
        Path sub = Files.createTempDirectory(dir, "m");
        Path onnx = Files.copy(TestModels.tinyGraph(), sub.resolve("tiny-graph.onnx"));
        ObjectNode card = (ObjectNode) JSON.readTree(TestModels.tinyGraph().resolveSibling("tiny-graph.card.json")
                .toFile());
        edit.accept(card);
        JSON.writeValue(sub.resolve("tiny-graph.card.json").toFile(), card);
        return onnx;
    }
}
