package io.defectdetector.demo;

import static org.assertj.core.api.Assertions.assertThat;

import io.defectdetector.factory.surface.Product;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ModelProductTest {

    @Test
    void readsTheProductFromTheTrainingDataFolderOfTheCard(@TempDir Path dir) throws Exception {
        Path card = dir.resolve("cae.card.json");
        Files.writeString(card, "{\"name\": \"cae\", \"training\": {\"data\": {\"root\": \"/work/data/synth/tiles\"}}}");

        assertThat(ModelProduct.of(card)).contains(Product.TILES);
        assertThat(ModelProduct.cardOf(dir.resolve("cae.onnx"))).isEqualTo(card);
    }

    @Test
    void prefersAnExplicitProductAndFallsBackToTheModelName(@TempDir Path dir) throws Exception {
        Path explicit = dir.resolve("a.card.json");
        Files.writeString(explicit, "{\"name\": \"cae-wood\", \"training\": {\"data\": {\"product\": \"pcb\"}}}");
        Path named = dir.resolve("b.card.json");
        Files.writeString(named, "{\"name\": \"cae-wood\"}");
        Path unknown = dir.resolve("c.card.json");
        Files.writeString(unknown, "{\"name\": \"cae-placeholder\"}");

        assertThat(ModelProduct.of(explicit)).contains(Product.PCB);
        assertThat(ModelProduct.of(named)).contains(Product.WOOD);
        assertThat(ModelProduct.of(unknown)).isEmpty();
        assertThat(ModelProduct.of(dir.resolve("missing.json"))).isEmpty();
    }
}
