package io.defectdetector.factory.camera;

import io.defectdetector.factory.BoundingBox;
import io.defectdetector.factory.image.Image;
import io.defectdetector.factory.image.Png;
import io.defectdetector.frame.ContentType;
import io.defectdetector.frame.Frame;
import io.defectdetector.frame.FrameDecoder;
import io.defectdetector.frame.FrameEncoder;
import io.defectdetector.frame.FrameHeaders;
import io.defectdetector.frame.FrameRejectedException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Stream;
import org.apache.kafka.common.header.internals.RecordHeaders;

/**
 * Real, labelled images to replay as camera frames instead of rendered ones: one category in the MVTec AD layout
 * ({@code test/good/} and {@code test/<defect type>/} images, masks in
 * {@code ground_truth/<defect type>/<stem>_mask.png}), or its {@code test/} folder itself. The folder names are
 * the ground truth; a defective image without a mask file still counts as defective, without a box.
 *
 * <p>PNG and JPEG files are decoded exactly as the job decodes them (the same {@link FrameDecoder}), and sent
 * unchanged when the chosen encoding is theirs; anything else (BMP, TIFF, or another encoding) is re-encoded from
 * the decoded pixels.
 */
public final class ImageFolder {
    private static final Set<String> SUFFIXES = Set.of("png", "jpg", "jpeg", "bmp", "tif", "tiff");

    private final String name;
    private final List<PoolImage> good;
    private final List<PoolImage> defective;

    private ImageFolder(String name, List<PoolImage> good, List<PoolImage> defective) {
        this.name = name;
        this.good = List.copyOf(good);
        this.defective = List.copyOf(defective);
    }

    /**
     * Reads every image of the folder once.
     *
     * @throws IllegalArgumentException if the folder does not have the layout, or has no good image
     * @throws IOException              if an image or mask cannot be read (the message names the file)
     */
    public static ImageFolder load(Path dir, FrameEncoding encoding, float jpegQuality) throws IOException {
        Path test = Files.isDirectory(dir.resolve("test")) ? dir.resolve("test") : dir;
        if (!Files.isDirectory(test.resolve("good"))) {
            throw new IllegalArgumentException(dir + " has no test/good/ folder: expected one category in the MVTec "
                    + "AD layout (test/good/ and test/<defect type>/ images, masks in ground_truth/<defect type>/), "
                    + "or its test/ folder");
        }
        Path groundTruth = test.resolveSibling("ground_truth");
        String name = (test.equals(dir) ? dir.toAbsolutePath().normalize().getParent() : dir.toAbsolutePath()
                .normalize()).getFileName().toString();
        // Good images first, as in the simulator's pools: the pool index is the position in good + defective.
        List<PoolImage> good = new ArrayList<>();
        for (Path file : images(test.resolve("good"))) {
            good.add(read(file, good.size(), null, null, encoding, jpegQuality));
        }
        if (good.isEmpty()) {
            throw new IllegalArgumentException(test.resolve("good") + " holds no images (png, jpg, bmp, tif)");
        }
        List<PoolImage> defective = new ArrayList<>();
        List<Path> typeDirs;
        try (Stream<Path> s = Files.list(test)) {
            typeDirs = s.filter(Files::isDirectory).filter(d -> !d.getFileName().toString().equals("good"))
                    .sorted().toList();
        }
        for (Path typeDir : typeDirs) {
            String type = typeDir.getFileName().toString();
            for (Path file : images(typeDir)) {
                defective.add(read(file, good.size() + defective.size(), type, mask(groundTruth.resolve(type), file),
                        encoding, jpegQuality));
            }
        }
        return new ImageFolder(name, good, defective);
    }

    /** The category's name (the folder above {@code test/}): the "product" in the ground truth. */
    public String name() {
        return name;
    }

    /** Good images, pool indexes 0 .. n-1; camera id unset. */
    public List<PoolImage> good() {
        return good;
    }

    /** Defective images after the good ones; camera id unset. */
    public List<PoolImage> defective() {
        return defective;
    }

    /** Defect types that have at least one image, sorted. */
    public List<String> defectTypes() {
        return defective.stream().map(PoolImage::defect).distinct().sorted().toList();
    }

    private static List<Path> images(Path folder) throws IOException {
        try (Stream<Path> s = Files.list(folder)) {
            return s.filter(Files::isRegularFile).filter(p -> SUFFIXES.contains(suffix(p))).sorted().toList();
        }
    }

    private static String suffix(Path p) {
        String n = p.getFileName().toString();
        int dot = n.lastIndexOf('.');
        return dot < 0 ? "" : n.substring(dot + 1).toLowerCase(Locale.ROOT);
    }

    private static PoolImage read(Path file, int index, String defect, Image mask, FrameEncoding encoding,
            float jpegQuality) throws IOException {
        byte[] bytes = Files.readAllBytes(file);
        ContentType fileType = switch (suffix(file)) {
            case "png" -> ContentType.PNG;
            case "jpg", "jpeg" -> ContentType.JPEG;
            default -> null;
        };
        Image image = fileType != null ? decodeAsTheJobDoes(file, bytes, fileType) : decodeOther(file, bytes);
        if (mask != null && (mask.width() != image.width() || mask.height() != image.height())) {
            throw new IOException(file + ": its mask is " + mask.width() + "x" + mask.height() + ", the image "
                    + image.width() + "x" + image.height());
        }
        ContentType type = encoding.contentType(image.channels());
        byte[] payload = type == fileType ? bytes : switch (encoding) {
            case RAW -> image.pixels();
            case PNG -> FrameEncoder.toPng(image.width(), image.height(), image.channels(), image.pixels());
            case JPEG -> FrameEncoder.toJpeg(image.width(), image.height(), image.channels(), image.pixels(),
                    jpegQuality);
        };
        BoundingBox bbox = mask == null ? null : boundingBox(mask);
        return new PoolImage(null, index, 0, image, defect, bbox, bbox == null ? 0 : count(mask), bbox == null ? null
                : mask, file.toString(), type, payload);
    }

    private static Image decodeAsTheJobDoes(Path file, byte[] bytes, ContentType type) throws IOException {
        RecordHeaders headers = new RecordHeaders();
        headers.add(FrameHeaders.FRAME_ID, "replay".getBytes(StandardCharsets.UTF_8));
        headers.add(FrameHeaders.CAPTURE_TIME, "0".getBytes(StandardCharsets.UTF_8));
        headers.add(FrameHeaders.CONTENT_TYPE, type.mimeType().getBytes(StandardCharsets.UTF_8));
        try {
            Frame f = new FrameDecoder().decode("replay".getBytes(StandardCharsets.UTF_8), bytes, headers);
            return new Image(f.getWidth(), f.getHeight(), f.getChannels(), f.getPixels());
        } catch (FrameRejectedException e) {
            throw new IOException(file + " would be rejected by the job (" + e.getMessage() + ")", e);
        }
    }

    private static Image decodeOther(Path file, byte[] bytes) throws IOException {
        try {
            return Png.decode(bytes); // any format Java's ImageIO reads (BMP, TIFF)
        } catch (IOException e) {
            throw new IOException(file + " is not a readable image: " + e.getMessage(), e);
        }
    }

    private static Image mask(Path typeDir, Path image) throws IOException {
        String stem = image.getFileName().toString().replaceFirst("\\.[^.]*$", "");
        for (String candidate : List.of(stem + "_mask.png", stem + ".png")) {
            Path m = typeDir.resolve(candidate);
            if (Files.isRegularFile(m)) {
                try {
                    return Png.read(m);
                } catch (IOException e) {
                    throw new IOException(m + " is not a readable mask: " + e.getMessage(), e);
                }
            }
        }
        return null;
    }

    /** The box around the mask's non-zero pixels (first channel); null if there are none. */
    static BoundingBox boundingBox(Image mask) {
        int minX = Integer.MAX_VALUE;
        int minY = Integer.MAX_VALUE;
        int maxX = -1;
        int maxY = -1;
        for (int y = 0; y < mask.height(); y++) {
            for (int x = 0; x < mask.width(); x++) {
                if (mask.get(x, y, 0) != 0) {
                    minX = Math.min(minX, x);
                    maxX = Math.max(maxX, x);
                    minY = Math.min(minY, y);
                    maxY = Math.max(maxY, y);
                }
            }
        }
        return maxX < 0 ? null : new BoundingBox(minX, minY, maxX - minX + 1, maxY - minY + 1);
    }

    private static int count(Image mask) {
        int n = 0;
        for (int y = 0; y < mask.height(); y++) {
            for (int x = 0; x < mask.width(); x++) {
                n += mask.get(x, y, 0) != 0 ? 1 : 0;
            }
        }
        return n;
    }
}
