package io.defectdetector.job.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.defectdetector.factory.surface.Product;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.Locale;

/** Which synthetic product the default model was trained on, read from its card (training data path or name). */
public final class ModelUnderTest {
    private ModelUnderTest() {
    }

    public static Product product(Path onnx) {
        Path card = onnx.resolveSibling(onnx.getFileName().toString().replaceFirst("\\.onnx$", ".card.json"));
        JsonNode json;
        try {
            json = new ObjectMapper().readTree(card.toFile());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        String explicit = json.path("training").path("data").path("product").asText("");
        if (!explicit.isEmpty()) {
            return Product.fromId(explicit);
        }
        String hints = (json.path("training").path("data").path("root").asText("") + "/" + json.path("name")
                .asText("")).toLowerCase(Locale.ROOT);
        for (Product p : Product.values()) {
            if (hints.matches(".*\\b" + p.id() + "\\b.*")) {
                return p;
            }
        }
        return Product.FABRIC;
    }
}
