package io.defectdetector.job.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.defectdetector.frame.Frame;
import io.defectdetector.frame.FrameDecoder;
import io.defectdetector.frame.FrameHeaders;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.common.header.internals.RecordHeaders;

/**
 * The golden vectors model-export writes beside a model ({@code golden/golden.json}, docs/model-card.md): image
 * files and what PyTorch computed from them, with the tolerances the serving side must meet.
 */
public final class GoldenVectors {
    private final Path folder;
    private final JsonNode json;

    private GoldenVectors(Path folder, JsonNode json) {
        this.folder = folder;
        this.json = json;
    }

    /** {@code <modelFolder>/golden/golden.json}. */
    public static Path jsonIn(Path modelFolder) {
        return modelFolder.resolve("golden").resolve("golden.json");
    }

    public static GoldenVectors load(Path modelFolder) throws IOException {
        Path file = jsonIn(modelFolder);
        return new GoldenVectors(file.getParent(), new ObjectMapper().readTree(file.toFile()));
    }

    public Path folder() {
        return folder;
    }

    /** |actual - expected| <= abs + rel * |expected| for the named output. */
    public double tolerance(String output, float expected) {
        JsonNode t = json.path("tolerances").path(output);
        if (!t.has("abs") || !t.has("rel")) {
            throw new IllegalArgumentException(folder.resolve("golden.json") + " has no tolerances." + output
                    + ".abs/rel: re-export the model with model-export");
        }
        return t.get("abs").asDouble() + t.get("rel").asDouble() * Math.abs(expected);
    }

    public List<Image> images() throws IOException {
        List<Image> images = new ArrayList<>();
        for (JsonNode image : json.path("images")) {
            String file = image.get("file").asText();
            images.add(new Image(file, image.get("width").asInt(), image.get("height").asInt(),
                    (float) image.get("score").asDouble(), Files.readAllBytes(folder.resolve(file)),
                    floats(folder.resolve(image.get("preprocessed_file").asText())),
                    floats(folder.resolve(image.get("error_map_file").asText()))));
        }
        return images;
    }

    private static float[] floats(Path file) throws IOException {
        ByteBuffer bytes = ByteBuffer.wrap(Files.readAllBytes(file)).order(ByteOrder.LITTLE_ENDIAN);
        float[] out = new float[bytes.remaining() / Float.BYTES];
        bytes.asFloatBuffer().get(out);
        return out;
    }

    /** One golden image: the image file and Python's preprocessed tensor, error map and score. */
    public record Image(String file, int width, int height, float score, byte[] png, float[] preprocessed,
            float[] errorMap) {

        /** Decoded exactly as the job decodes a Kafka record carrying this PNG. */
        public Frame decode() throws Exception {
            RecordHeaders headers = new RecordHeaders();
            headers.add(FrameHeaders.FRAME_ID, file.getBytes(StandardCharsets.UTF_8));
            headers.add(FrameHeaders.CAPTURE_TIME, "1764057600000".getBytes(StandardCharsets.UTF_8));
            headers.add(FrameHeaders.CONTENT_TYPE, "image/png".getBytes(StandardCharsets.UTF_8));
            return new FrameDecoder().decode("golden-cam".getBytes(StandardCharsets.UTF_8), png, headers);
        }
    }
}
