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
import java.awt.image.BufferedImage;
import java.awt.image.IndexColorModel;
import java.awt.image.Raster;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import org.apache.kafka.common.header.internals.RecordHeaders;

/**
 * Real, labelled images to replay as camera frames instead of rendered ones: one category, or its test folder
 * itself, in one of three layouts, told apart by their folders:
 * <ul>
 * <li>MVTec AD: {@code test/good/} and {@code test/<defect type>/} images, masks in
 * {@code ground_truth/<defect type>/<stem>_mask.png};</li>
 * <li>MVTec AD 2: {@code test_public/good/} and {@code test_public/bad/}, masks in
 * {@code test_public/ground_truth/bad/<stem>_mask.png} (the unlabelled {@code test_private*} folders, and
 * {@code train/} and {@code validation/}, are not read);</li>
 * <li>MVTec LOCO AD: as MVTec AD, but a mask is a folder {@code ground_truth/<defect type>/<stem>/} of one file
 * per defect ({@code 000.png}, ...; any non-zero value), taken together.</li>
 * </ul>
 * The folder names are the ground truth; a defective image without a mask still counts as defective, without a
 * box.
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
    private final Path groundTruth;

    private ImageFolder(String name, List<PoolImage> good, List<PoolImage> defective, Path groundTruth) {
        this.name = name;
        this.good = List.copyOf(good);
        this.defective = List.copyOf(defective);
        this.groundTruth = groundTruth;
    }

    /**
     * Reads every image of the folder once, and holds them (pixels, mask and record value) in memory, up to half
     * of the JVM's maximum heap.
     *
     * @throws IllegalArgumentException if the folder does not have the layout, has no good image, or holds more
     *                                  than half the heap (the message says how much it would need)
     * @throws IOException              if an image or mask cannot be read (the message names the file)
     */
    public static ImageFolder load(Path dir, FrameEncoding encoding, float jpegQuality) throws IOException {
        return load(dir, encoding, jpegQuality, Runtime.getRuntime().maxMemory() / 2);
    }

    static ImageFolder load(Path dir, FrameEncoding encoding, float jpegQuality, long memoryBudget)
            throws IOException {
        Path test = Files.isDirectory(dir.resolve("test")) ? dir.resolve("test")
                : Files.isDirectory(dir.resolve("test_public")) ? dir.resolve("test_public") : dir;
        if (!Files.isDirectory(test.resolve("good"))) {
            throw new IllegalArgumentException(dir + " has no test/good/ or test_public/good/ folder: expected one "
                    + "category, or its test folder, in the layout of MVTec AD (test/good/, test/<defect type>/, "
                    + "masks ground_truth/<defect type>/<stem>_mask.png), MVTec AD 2 (test_public/good/, "
                    + "test_public/bad/, masks test_public/ground_truth/bad/) or MVTec LOCO AD (as MVTec AD, a mask "
                    + "folder ground_truth/<defect type>/<stem>/ per image)");
        }
        // MVTec AD 2 keeps its masks inside the test folder; MVTec AD and LOCO next to it.
        Path groundTruth = Files.isDirectory(test.resolve("ground_truth")) ? test.resolve("ground_truth")
                : test.resolveSibling("ground_truth");
        String name = (test.equals(dir) ? dir.toAbsolutePath().normalize().getParent() : dir.toAbsolutePath()
                .normalize()).getFileName().toString();
        List<Path> goodFiles = images(test.resolve("good"));
        if (goodFiles.isEmpty()) {
            throw new IllegalArgumentException(test.resolve("good") + " holds no images (png, jpg, bmp, tif)");
        }
        List<Path> typeDirs;
        try (Stream<Path> s = Files.list(test)) {
            typeDirs = s.filter(Files::isDirectory).filter(ImageFolder::visible)
                    .filter(d -> !d.getFileName().toString().equals("good"))
                    .filter(d -> !d.equals(groundTruth)).sorted().toList();
        }
        for (Path d : typeDirs) {
            if (d.getFileName().toString().equalsIgnoreCase("good")) { // not a defect type (model-export agrees)
                throw new IllegalArgumentException(test.getFileName() + "/" + d.getFileName()
                        + ": name the defect-free test folder good, in lower case");
            }
        }
        List<Path> defectiveFiles = new ArrayList<>();
        Map<Path, Map<String, Path>> masks = new HashMap<>();
        for (Path typeDir : typeDirs) {
            // Masks saved beside their images are not test images (model-export leaves them out too, and warns).
            images(typeDir).stream().filter(p -> !p.getFileName().toString().toLowerCase(Locale.ROOT)
                            .replaceFirst("\\.[^.]*$", "").endsWith("_mask"))
                    .forEach(defectiveFiles::add);
            masks.put(typeDir, entries(groundTruth.resolve(typeDir.getFileName().toString())));
        }
        // Good images first, as in the simulator's pools: the pool index is the position in good + defective.
        Budget budget = new Budget(dir, goodFiles.size() + defectiveFiles.size(), memoryBudget);
        List<PoolImage> good = new ArrayList<>();
        for (Path file : goodFiles) {
            good.add(budget.hold(read(file, good.size(), null, null, encoding, jpegQuality)));
        }
        List<PoolImage> defective = new ArrayList<>();
        for (Path file : defectiveFiles) {
            Path typeDir = file.getParent();
            defective.add(budget.hold(read(file, good.size() + defective.size(), typeDir.getFileName().toString(),
                    masks.get(typeDir), encoding, jpegQuality)));
        }
        return new ImageFolder(name, good, defective, groundTruth);
    }

    /**
     * Stops loading, with what it would take, before a folder of megapixel images (MVTec AD 2: 2448x2048 RGB,
     * 15 MB each decoded) runs the JVM out of memory mid-run, taking the job in the same JVM with it.
     */
    private static final class Budget {
        private final Path dir;
        private final int files;
        private final long limit;
        private long held;
        private int loaded;

        Budget(Path dir, int files, long limit) {
            this.dir = dir;
            this.files = files;
            this.limit = limit;
        }

        PoolImage hold(PoolImage image) {
            byte[] pixels = image.image().pixels();
            held += (image.payload() == pixels ? 0 : image.payload().length) + pixels.length
                    + (image.mask() == null ? 0 : image.mask().pixels().length);
            loaded++;
            if (held > limit) {
                long needed = held / loaded * files;
                throw new IllegalArgumentException(String.format(Locale.ROOT, "%s: its %d test images would hold "
                        + "about %d MiB in memory (%d of them already take %d MiB), more than the %d MiB allowed "
                        + "(half the maximum heap). Replay fewer images (a copy of the folder with some of them, in "
                        + "the same layout), or give Java a larger heap: DEMO_HEAP=%dg ./run-demo.sh ..., or java "
                        + "-Xmx%dg -jar ... simulate ...", dir, files, needed >> 20, loaded, held >> 20,
                        limit >> 20, gib(needed), gib(needed)));
            }
            return image;
        }

        /** A heap in GiB at which the images take half, with room for the job: at least 2 GiB more than them. */
        private static long gib(long bytes) {
            return Math.max(2 * bytes, bytes + (2L << 30)) / (1L << 30) + 1;
        }
    }

    /** The category's name (the folder above the test folder): the "product" in the ground truth. */
    public String name() {
        return name;
    }

    /** Where the masks are looked for: {@code <this>/<defect type>/} (beside the test folder, or in it for AD 2). */
    public Path groundTruth() {
        return groundTruth;
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
            return s.filter(Files::isRegularFile).filter(ImageFolder::visible).filter(p -> SUFFIXES.contains(suffix(p)))
                    .sorted().toList();
        }
    }

    /** Not hidden: macOS's ._* AppleDouble files and .ipynb_checkpoints/ hold no dataset images. */
    private static boolean visible(Path p) {
        return !p.getFileName().toString().startsWith(".");
    }

    /** A ground-truth folder's visible entries by lower-case name (empty if there is none), listed once. */
    private static Map<String, Path> entries(Path folder) throws IOException {
        if (!Files.isDirectory(folder)) {
            return Map.of();
        }
        try (Stream<Path> s = Files.list(folder)) {
            return s.filter(ImageFolder::visible).sorted().collect(Collectors.toMap(
                    p -> p.getFileName().toString().toLowerCase(Locale.ROOT), p -> p, (first, other) -> first));
        }
    }

    private static String suffix(Path p) {
        String n = p.getFileName().toString();
        int dot = n.lastIndexOf('.');
        return dot < 0 ? "" : n.substring(dot + 1).toLowerCase(Locale.ROOT);
    }

    /** {@code masks}: the defect type's ground-truth folder ({@link #entries}); null for a good image. */
    private static PoolImage read(Path file, int index, String defect, Map<String, Path> masks,
            FrameEncoding encoding, float jpegQuality) throws IOException {
        byte[] bytes = Files.readAllBytes(file);
        ContentType fileType = switch (suffix(file)) {
            case "png" -> ContentType.PNG;
            case "jpg", "jpeg" -> ContentType.JPEG;
            default -> null;
        };
        Image image = fileType != null ? decodeAsTheJobDoes(file, bytes, fileType) : decodeOther(file, bytes);
        Image mask = masks == null ? null : mask(masks, file, image);
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
        try {
            return decodedAsTheJobDoes(bytes, type);
        } catch (FrameRejectedException e) {
            throw new IOException(file + " would be rejected by the job (" + e.getMessage() + ")", e);
        }
    }

    /** The pixels the job decodes from a PNG or JPEG record value. */
    static Image decodedAsTheJobDoes(byte[] bytes, ContentType type) throws FrameRejectedException {
        RecordHeaders headers = new RecordHeaders();
        headers.add(FrameHeaders.FRAME_ID, "replay".getBytes(StandardCharsets.UTF_8));
        headers.add(FrameHeaders.CAPTURE_TIME, "0".getBytes(StandardCharsets.UTF_8));
        headers.add(FrameHeaders.CONTENT_TYPE, type.mimeType().getBytes(StandardCharsets.UTF_8));
        Frame f = new FrameDecoder().decode("replay".getBytes(StandardCharsets.UTF_8), bytes, headers);
        return new Image(f.getWidth(), f.getHeight(), f.getChannels(), f.getPixels());
    }

    private static Image decodeOther(Path file, byte[] bytes) throws IOException {
        try {
            return Png.decode(bytes); // any format Java's ImageIO reads (BMP, TIFF)
        } catch (IOException e) {
            throw new IOException(file + " is not a readable image: " + e.getMessage(), e);
        }
    }

    /**
     * The mask file of the image, else the union of its mask folder (LOCO), else null, at the image's size; names
     * match in any letter case (000_mask.PNG is 000.png's mask), as model-export reads them.
     */
    private static Image mask(Map<String, Path> masks, Path file, Image image) throws IOException {
        String name = file.getFileName().toString();
        String stem = name.replaceFirst("\\.[^.]*$", "");
        String suffix = name.substring(stem.length());
        List<String> candidates = new ArrayList<>(List.of(stem + "_mask.png", stem + ".png",
                stem + "_mask" + suffix));
        SUFFIXES.stream().sorted().map(s -> stem + "_mask." + s).forEach(candidates::add); // 000_mask.jpg, 000.png
        for (String candidate : candidates) {
            Path m = masks.get(candidate.toLowerCase(Locale.ROOT));
            if (m != null && Files.isRegularFile(m)) {
                return atImageSize(readMask(m), m, file, image);
            }
        }
        Path folder = masks.get(stem.toLowerCase(Locale.ROOT));
        if (folder == null || !Files.isDirectory(folder)) {
            return null;
        }
        // One file per defect, each with its own value (not always 255): a pixel is defective if any file marks it.
        byte[] union = new byte[image.width() * image.height()];
        for (Path m : images(folder)) {
            byte[] p = atImageSize(readMask(m), m, file, image).pixels();
            for (int i = 0; i < union.length; i++) {
                union[i] |= p[i];
            }
        }
        return new Image(image.width(), image.height(), 1, union);
    }

    /**
     * The mask at its image's size. A scaled copy (the same width/height ratio within a pixel of rounding, as
     * model-export accepts) is resized: an image pixel is marked when any mask pixel it overlaps is, so a thin
     * defect survives a reduction. Another shape is refused, as resizing would move the defect.
     */
    static Image atImageSize(Image mask, Path maskFile, Path file, Image image) throws IOException {
        int mw = mask.width();
        int mh = mask.height();
        int iw = image.width();
        int ih = image.height();
        if (mw == iw && mh == ih) {
            return mask;
        }
        if (Math.abs((long) mw * ih - (long) mh * iw) > Math.max(iw, ih)) {
            throw new IOException(maskFile + " is " + mw + "x" + mh + " but its image " + file + " is " + iw + "x"
                    + ih + ": a mask must have its image's shape (the same size, or a scaled copy)");
        }
        byte[] src = mask.pixels();
        byte[] out = new byte[iw * ih];
        for (int y = 0; y < ih; y++) {
            int y0 = (int) ((long) y * mh / ih);
            int y1 = Math.max(y0 + 1, (int) (((long) (y + 1) * mh + ih - 1) / ih));
            for (int x = 0; x < iw; x++) {
                int x0 = (int) ((long) x * mw / iw);
                int x1 = Math.max(x0 + 1, (int) (((long) (x + 1) * mw + iw - 1) / iw));
                marked:
                for (int sy = y0; sy < y1; sy++) {
                    for (int sx = x0; sx < x1; sx++) {
                        if (src[sy * mw + sx] != 0) {
                            out[y * iw + x] = (byte) 255;
                            break marked;
                        }
                    }
                }
            }
        }
        return new Image(iw, ih, 1, out);
    }

    /**
     * A mask file as one channel, 255 where any colour sample is non-zero at the file's own depth: a 16-bit mask
     * of value 1 (high byte 0) or a colour mask with an empty red channel still marks its defect. Alpha is ignored,
     * a palette is read through its colours (as model-export reads masks). A JPEG file's compression noise is not
     * zero around every edge: there a sample of at least 128 marks the defect.
     */
    private static Image readMask(Path m) throws IOException {
        byte[] bytes = Files.readAllBytes(m);
        BufferedImage img;
        try {
            img = ImageIO.read(new ByteArrayInputStream(bytes));
        } catch (IOException e) {
            throw new IOException(m + " is not a readable mask: " + e.getMessage(), e);
        }
        if (img == null) {
            throw new IOException(m + " is not a readable mask: no image reader for it");
        }
        int w = img.getWidth();
        int h = img.getHeight();
        byte[] out = new byte[w * h];
        boolean palette = img.getColorModel() instanceof IndexColorModel;
        int floor = isJpeg(bytes) ? 128 : 1;
        Raster raster = img.getRaster();
        int bands = img.getColorModel().getNumColorComponents();
        int[] sample = new int[raster.getNumBands()];
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                boolean marked = palette
                        ? (img.getRGB(x, y) & 0xFFFFFF) != 0
                        : anyAtLeast(raster.getPixel(x, y, sample), bands, floor);
                out[y * w + x] = marked ? (byte) 255 : 0;
            }
        }
        return new Image(w, h, 1, out);
    }

    /** By content (the SOI marker), as model-export tells JPEG masks, whatever the file's suffix. */
    private static boolean isJpeg(byte[] file) {
        return file.length >= 2 && (file[0] & 0xFF) == 0xFF && (file[1] & 0xFF) == 0xD8;
    }

    private static boolean anyAtLeast(int[] samples, int bands, int floor) {
        for (int b = 0; b < bands; b++) {
            if (samples[b] >= floor) {
                return true;
            }
        }
        return false;
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
