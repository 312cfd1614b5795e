package io.defectdetector.factory.camera;

import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.defectdetector.factory.BoundingBox;
import io.defectdetector.factory.image.Image;
import io.defectdetector.factory.image.Png;
import java.io.BufferedOutputStream;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The ground truth of a simulation: one {@link FrameTruth} per published frame, kept in memory for tests and
 * benchmarks to score alerts against, and/or written as JSON Lines. Masks are written once per pool image as
 * PNG files in {@code <name>-masks/} beside the JSONL file; each line names its mask by a path relative to the
 * JSONL file's folder.
 *
 * <p>JSONL fields: camera, frame_id, capture_time (epoch ms), line, product, width, height, content_type,
 * defective, defect (type or null), bbox ({x, y, width, height} or null), defect_pixels, pool_image,
 * image_seed, mask (path or null), source (the replayed image file, or null for a rendered image).
 */
public final class GroundTruth implements AutoCloseable {
    public record Key(String cameraId, String frameId) {
    }

    private final boolean retain;
    private final Map<Key, FrameTruth> byKey = new ConcurrentHashMap<>();
    private final List<FrameTruth> ordered = Collections.synchronizedList(new ArrayList<>());
    private final Path jsonl;
    private final Path maskDir;
    private final OutputStream out;
    private final JsonGenerator json;
    private final Map<String, String> maskFiles = new ConcurrentHashMap<>();
    private long defective;

    private GroundTruth(boolean retain, Path jsonl) throws IOException {
        this.retain = retain;
        this.jsonl = jsonl;
        if (jsonl != null) {
            Path parent = jsonl.toAbsolutePath().getParent();
            Files.createDirectories(parent);
            String name = jsonl.getFileName().toString().replaceFirst("\\.jsonl?$", "");
            this.maskDir = parent.resolve(name + "-masks");
            this.out = new BufferedOutputStream(Files.newOutputStream(jsonl), 1 << 16);
            this.json = new JsonFactory().createGenerator(out, JsonEncoding.UTF8);
            this.json.setRootValueSeparator(null);
        } else {
            this.maskDir = null;
            this.out = null;
            this.json = null;
        }
    }

    /** Kept in memory only. */
    public static GroundTruth inMemory() {
        try {
            return new GroundTruth(true, null);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Counts only: nothing kept, nothing written (benchmarks, or runs without a ground-truth file). */
    public static GroundTruth discarding() {
        try {
            return new GroundTruth(false, null);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Written to {@code jsonl}; also kept in memory if {@code retainInMemory} (long runs may not want that). */
    public static GroundTruth toFile(Path jsonl, boolean retainInMemory) throws IOException {
        return new GroundTruth(retainInMemory, jsonl);
    }

    /**
     * Reads a JSONL file written by a run (e.g. by {@code factory simulate} in another process) back into memory,
     * masks included, so alerts can be scored against it.
     */
    public static GroundTruth load(Path jsonl) throws IOException {
        GroundTruth truth = inMemory();
        Path dir = jsonl.toAbsolutePath().getParent();
        Map<String, Image> masks = new HashMap<>();
        ObjectMapper mapper = new ObjectMapper();
        try (BufferedReader reader = Files.newBufferedReader(jsonl)) {
            String line;
            while ((line = reader.readLine()) != null) {
                if (line.isBlank()) {
                    continue;
                }
                JsonNode n = mapper.readTree(line);
                String maskFile = n.path("mask").isNull() || n.path("mask").isMissingNode() ? null
                        : n.get("mask").asText();
                Image mask = null;
                if (maskFile != null) {
                    mask = masks.get(maskFile);
                    if (mask == null) {
                        mask = Png.read(dir.resolve(maskFile));
                        masks.put(maskFile, mask);
                    }
                }
                JsonNode b = n.get("bbox");
                BoundingBox bbox = b == null || b.isNull() ? null : new BoundingBox(b.get("x").asInt(),
                        b.get("y").asInt(), b.get("width").asInt(), b.get("height").asInt());
                JsonNode defect = n.get("defect");
                truth.record(new FrameTruth(n.get("camera").asText(), n.get("frame_id").asText(),
                        n.get("capture_time").asLong(), n.path("line").isNull() ? null : n.path("line").asText(null),
                        n.get("pool_image").asInt(), n.get("image_seed").asLong(),
                        defect == null || defect.isNull() ? null : defect.asText(), bbox,
                        n.get("defect_pixels").asInt(), mask, maskFile, n.path("source").asText(null)),
                        null, 0, 0, null);
            }
        }
        return truth;
    }

    public Optional<Path> file() {
        return Optional.ofNullable(jsonl);
    }

    /** Writes the mask of a defective pool image (once) and returns its path relative to the JSONL folder. */
    synchronized String maskFileFor(PoolImage image) {
        if (maskDir == null || image.mask() == null) {
            return null;
        }
        String key = image.cameraId() + "/" + image.index();
        String existing = maskFiles.get(key);
        if (existing != null) {
            return existing;
        }
        String name = String.format("%s-pool-%03d-%s.png", image.cameraId(), image.index(),
                image.defect().replaceAll("[^A-Za-z0-9._-]", "_"));
        try {
            Files.createDirectories(maskDir);
            Png.write(image.mask(), maskDir.resolve(name));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write mask " + name, e);
        }
        String relative = maskDir.getFileName() + "/" + name;
        maskFiles.put(key, relative);
        return relative;
    }

    synchronized void record(FrameTruth truth, String product, int width, int height, String contentType) {
        if (truth.defective()) {
            defective++;
        }
        if (retain) {
            byKey.put(new Key(truth.cameraId(), truth.frameId()), truth);
            ordered.add(truth);
        }
        if (json != null) {
            try {
                write(truth, product, width, height, contentType);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot write ground truth to " + jsonl, e);
            }
        }
    }

    private void write(FrameTruth t, String product, int width, int height, String contentType) throws IOException {
        json.writeStartObject();
        json.writeStringField("camera", t.cameraId());
        json.writeStringField("frame_id", t.frameId());
        json.writeNumberField("capture_time", t.captureTimeMs());
        json.writeStringField("line", t.line());
        json.writeStringField("product", product);
        json.writeNumberField("width", width);
        json.writeNumberField("height", height);
        json.writeStringField("content_type", contentType);
        json.writeBooleanField("defective", t.defective());
        json.writeStringField("defect", t.defect());
        BoundingBox b = t.bbox();
        if (b == null) {
            json.writeNullField("bbox");
        } else {
            json.writeObjectFieldStart("bbox");
            json.writeNumberField("x", b.x());
            json.writeNumberField("y", b.y());
            json.writeNumberField("width", b.width());
            json.writeNumberField("height", b.height());
            json.writeEndObject();
        }
        json.writeNumberField("defect_pixels", t.defectPixels());
        json.writeNumberField("pool_image", t.poolIndex());
        json.writeNumberField("image_seed", t.imageSeed());
        json.writeStringField("mask", t.maskFile());
        json.writeStringField("source", t.source());
        json.writeEndObject();
        json.writeRaw('\n');
    }

    public Optional<FrameTruth> get(String cameraId, String frameId) {
        return Optional.ofNullable(byKey.get(new Key(cameraId, frameId)));
    }

    /** All retained frames by (camera, frame id); empty when not retained in memory. */
    public Map<Key, FrameTruth> asMap() {
        return Collections.unmodifiableMap(byKey);
    }

    /** Retained frames in the order they were sent. */
    public List<FrameTruth> frames() {
        synchronized (ordered) {
            return List.copyOf(ordered);
        }
    }

    public int size() {
        return byKey.size();
    }

    public synchronized long defectiveCount() {
        return defective;
    }

    public synchronized void flush() throws IOException {
        if (json != null) {
            json.flush();
        }
    }

    @Override
    public synchronized void close() throws IOException {
        if (json != null) {
            json.close();
            out.close();
        }
    }
}
