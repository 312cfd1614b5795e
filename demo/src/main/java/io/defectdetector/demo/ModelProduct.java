package io.defectdetector.demo;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.defectdetector.factory.surface.Product;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Optional;

/**
 * The synthetic product a model was trained on, so the demo's cameras show what the model knows: the card's
 * {@code training.data.product}, else a product name among the segments of {@code training.data.root} (the
 * dataset folder, e.g. {@code data/synth/fabric}), else one in the model's name.
 */
public final class ModelProduct {
    private ModelProduct() {
    }

    public static Optional<Product> of(Path card) {
        if (!Files.isRegularFile(card)) {
            return Optional.empty();
        }
        JsonNode json;
        try {
            json = new ObjectMapper().readTree(card.toFile());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read model card " + card, e);
        }
        JsonNode data = json.path("training").path("data");
        String explicit = data.path("product").asText("");
        if (!explicit.isBlank()) {
            return Optional.of(Product.fromId(explicit));
        }
        for (String hint : new String[] {data.path("root").asText(""), json.path("name").asText("")}) {
            for (String token : hint.toLowerCase(Locale.ROOT).split("[^a-z0-9]+")) {
                for (Product p : Product.values()) {
                    if (p.id().equals(token)) {
                        return Optional.of(p);
                    }
                }
            }
        }
        return Optional.empty();
    }

    /** The card beside an .onnx file: {@code <stem>.card.json}, else {@code model-card.json}. */
    public static Path cardOf(Path onnx) {
        Path named = onnx.resolveSibling(onnx.getFileName().toString().replaceFirst("\\.onnx$", "") + ".card.json");
        return Files.isRegularFile(named) ? named : onnx.resolveSibling("model-card.json");
    }
}
