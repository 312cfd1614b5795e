package io.defectdetector.factory.camera;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.defectdetector.factory.BoundingBox;
import io.defectdetector.factory.image.Image;
import io.defectdetector.factory.image.Png;
import io.defectdetector.frame.ContentType;
import io.defectdetector.frame.FrameEncoder;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

public class ImageFolderTest {

    /** An MVTec-layout category: 2 good images (PNG, BMP), a masked scratch (PNG), an unmasked dent (JPEG). */
    public static Path category(Path root) throws IOException {
        Path c = root.resolve("widget");
        Files.createDirectories(c.resolve("test/good"));
        Files.createDirectories(c.resolve("test/scratch"));
        Files.createDirectories(c.resolve("test/dent"));
        Files.createDirectories(c.resolve("ground_truth/scratch"));
        Png.write(gray(40, 30, 100), c.resolve("test/good/000.png"));
        ImageIO.write(Png.toBuffered(gray(40, 30, 120)), "bmp", c.resolve("test/good/001.bmp").toFile());
        Png.write(gray(40, 30, 140), c.resolve("test/scratch/000.png"));
        Image mask = Image.blank(40, 30, 1);
        for (int x = 5; x < 15; x++) {
            mask.pixels()[7 * 40 + x] = (byte) 255; // a 10 px line in row 7
        }
        mask.pixels()[9 * 40 + 20] = (byte) 255;
        Png.write(mask, c.resolve("ground_truth/scratch/000_mask.png"));
        Files.write(c.resolve("test/dent/003.jpg"), FrameEncoder.toJpeg(40, 30, 1, gray(40, 30, 90).pixels(), 0.9f));
        Files.writeString(c.resolve("test/good/notes.txt"), "not an image");
        return c;
    }

    static Image gray(int w, int h, int base) {
        byte[] p = new byte[w * h];
        for (int i = 0; i < p.length; i++) {
            p[i] = (byte) (base + i % 7);
        }
        return new Image(w, h, 1, p);
    }

    @Test
    void aMaskSavedBesideItsImageIsNotReplayedAsAFrame(@TempDir Path dir) throws Exception {
        Path c = category(dir);
        Files.copy(c.resolve("ground_truth/scratch/000_mask.png"), c.resolve("test/scratch/000_MASK.png"));
        ImageFolder folder = ImageFolder.load(c, FrameEncoding.PNG, 0.95f);
        assertThat(folder.defective()).extracting(PoolImage::source).map(Object::toString)
                .noneMatch(s -> s.toLowerCase(Locale.ROOT).contains("_mask")).hasSize(2);
    }

    @Test
    void readsGoodImagesFirstThenDefectiveOnesLabelledByTheirFolder(@TempDir Path dir) throws Exception {
        Path c = category(dir);
        ImageFolder folder = ImageFolder.load(c, FrameEncoding.PNG, 0.95f);

        assertThat(folder.name()).isEqualTo("widget");
        assertThat(folder.groundTruth()).isEqualTo(c.resolve("ground_truth"));
        assertThat(folder.good()).extracting(PoolImage::index).containsExactly(0, 1);
        assertThat(folder.good()).allMatch(p -> !p.defective() && p.mask() == null && p.bbox() == null);
        assertThat(folder.defective()).extracting(PoolImage::index).containsExactly(2, 3);
        assertThat(folder.defective()).extracting(PoolImage::defect).containsExactly("dent", "scratch");
        assertThat(folder.defectTypes()).containsExactly("dent", "scratch");

        PoolImage scratch = folder.defective().get(1);
        assertThat(scratch.source()).endsWith("test/scratch/000.png");
        assertThat(scratch.bbox()).isEqualTo(new BoundingBox(5, 7, 16, 3));
        assertThat(scratch.defectPixels()).isEqualTo(11);
        assertThat(scratch.image()).isEqualTo(gray(40, 30, 140));
        // A PNG file goes out as it is; the BMP is re-encoded to the chosen PNG.
        assertThat(scratch.payload()).isEqualTo(Files.readAllBytes(c.resolve("test/scratch/000.png")));
        assertThat(scratch.contentType()).isEqualTo(ContentType.PNG);
        PoolImage bmp = folder.good().get(1);
        assertThat(bmp.contentType()).isEqualTo(ContentType.PNG);
        assertThat(Png.decode(bmp.payload())).isEqualTo(gray(40, 30, 120));

        PoolImage dent = folder.defective().get(0);
        assertThat(dent.mask()).isNull();
        assertThat(dent.bbox()).isNull();
        assertThat(dent.image().width()).isEqualTo(40);
    }

    @Test
    void skipsHiddenFilesAndFoldersAndMatchesMaskNamesInAnyLetterCase(@TempDir Path dir) throws Exception {
        Path c = category(dir);
        Files.move(c.resolve("ground_truth/scratch/000_mask.png"), c.resolve("ground_truth/scratch/000_Mask.PNG"));
        // A name that differs only in case: the first in sorted order counts, as in model-export.
        Png.write(Image.blank(40, 30, 1), c.resolve("ground_truth/scratch/000_mask.png"));
        byte[] appleDouble = {0, 5, 22, 7, 0, 2, 0, 0};  // macOS's ._* files: not images, whatever their name says
        Files.write(c.resolve("test/good/._000.png"), appleDouble);
        Files.write(c.resolve("test/scratch/._000.png"), appleDouble);
        Files.createDirectories(c.resolve("test/.ipynb_checkpoints"));
        Png.write(gray(40, 30, 10), c.resolve("test/.ipynb_checkpoints/000.png"));

        ImageFolder folder = ImageFolder.load(c, FrameEncoding.PNG, 0.95f);

        assertThat(folder.good()).hasSize(2);
        assertThat(folder.defectTypes()).containsExactly("dent", "scratch");
        assertThat(folder.defective()).hasSize(2);
        assertThat(folder.defective().get(1).bbox()).isEqualTo(new BoundingBox(5, 7, 16, 3));
    }

    @Test
    void rawEncodingSendsTheDecodedPixelsAndTheTestFolderItselfIsAccepted(@TempDir Path dir) throws Exception {
        Path c = category(dir);
        ImageFolder folder = ImageFolder.load(c.resolve("test"), FrameEncoding.RAW, 0.95f);
        assertThat(folder.name()).isEqualTo("widget");
        for (PoolImage p : folder.good()) {
            assertThat(p.contentType()).isEqualTo(ContentType.RAW_GRAY8);
            assertThat(p.payload()).isEqualTo(p.image().pixels());
        }
        assertThat(folder.defective().get(1).mask()).isNotNull();
    }

    @Test
    void refusesAFolderWithoutTestGoodAndNamesAnUnreadableFile(@TempDir Path dir) throws Exception {
        Files.createDirectories(dir.resolve("train/good"));
        assertThatThrownBy(() -> ImageFolder.load(dir, FrameEncoding.PNG, 0.95f))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("test/good/")
                .hasMessageContaining("test_public/good/").hasMessageContaining("MVTec LOCO AD");

        Path c = category(dir.resolve("x"));
        Files.write(c.resolve("test/scratch/002.png"), new byte[] {(byte) 0x89, 'P', 'N', 'G', 1, 2, 3});
        assertThatThrownBy(() -> ImageFolder.load(c, FrameEncoding.PNG, 0.95f))
                .isInstanceOf(IOException.class).hasMessageContaining("002.png");
    }

    @Test
    void refusesAMaskOfAnotherShapeAndReadsAScaledCopyAtTheImagesSize(@TempDir Path dir) throws Exception {
        Path c = category(dir);
        Path maskFile = c.resolve("ground_truth/scratch/000_mask.png");
        Image mask = Png.decode(Files.readAllBytes(maskFile));
        Image twice = Image.blank(80, 60, 1);
        for (int y = 0; y < 60; y++) {
            for (int x = 0; x < 80; x++) {
                twice.pixels()[y * 80 + x] = mask.pixels()[y / 2 * 40 + x / 2];
            }
        }
        Png.write(twice, maskFile);
        PoolImage scratch = ImageFolder.load(c, FrameEncoding.PNG, 0.95f).defective().get(1);
        assertThat(scratch.mask()).isEqualTo(mask);
        assertThat(scratch.bbox()).isEqualTo(new BoundingBox(5, 7, 16, 3));

        // Half the size: each mask pixel covers 2x2 image pixels, and the defect stays where it was.
        Png.write(box(20, 15, 3, 4, 1, 1, 255), maskFile);
        assertThat(ImageFolder.load(c, FrameEncoding.PNG, 0.95f).defective().get(1).bbox())
                .isEqualTo(new BoundingBox(6, 8, 2, 2));

        Png.write(Image.blank(20, 20, 1), maskFile);
        assertThatThrownBy(() -> ImageFolder.load(c, FrameEncoding.PNG, 0.95f))
                .isInstanceOf(IOException.class).hasMessageContaining("000_mask.png is 20x20 but its image")
                .hasMessageContaining("a scaled copy");
    }

    @Test
    void aJpegMaskBesideAPngImageIsFoundAndReadAtMidGrey(@TempDir Path dir) throws Exception {
        Path c = category(dir);
        Files.delete(c.resolve("ground_truth/scratch/000_mask.png"));
        Image mask = box(40, 30, 10, 8, 12, 6, 255);
        Files.write(c.resolve("ground_truth/scratch/000_mask.jpg"),
                FrameEncoder.toJpeg(40, 30, 1, mask.pixels(), 0.75f));
        PoolImage scratch = ImageFolder.load(c, FrameEncoding.PNG, 0.95f).defective().get(1);
        // Every non-zero sample would take in the compression noise around the box.
        assertThat(scratch.bbox()).isEqualTo(new BoundingBox(10, 8, 12, 6));
    }

    @Test
    void refusesADefectFreeTestFolderNamedInAnotherLetterCase(@TempDir Path dir) throws Exception {
        Path c = category(dir);
        Files.createDirectories(c.resolve("test/Good"));
        Png.write(gray(40, 30, 100), c.resolve("test/Good/000.png"));
        assertThatThrownBy(() -> ImageFolder.load(c, FrameEncoding.PNG, 0.95f))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("test/Good: name the defect-free test folder good, in lower case");
    }

    @Test
    void aColourBufferedImageStaysColour(@TempDir Path dir) throws Exception {
        Path c = dir.resolve("rgb");
        Files.createDirectories(c.resolve("test/good"));
        BufferedImage rgb = new BufferedImage(8, 8, BufferedImage.TYPE_INT_RGB);
        rgb.setRGB(3, 3, 0xff0000);
        ImageIO.write(rgb, "png", c.resolve("test/good/a.png").toFile());
        PoolImage p = ImageFolder.load(c, FrameEncoding.RAW, 0.95f).good().get(0);
        assertThat(p.image().channels()).isEqualTo(3);
        assertThat(p.contentType()).isEqualTo(ContentType.RAW_RGB8);
        assertThat(p.image().get(3, 3, 0)).isEqualTo(255);
    }

    @Test
    void aMaskMarksEveryNonZeroSampleAtItsOwnDepthAndInAnyColour(@TempDir Path dir) throws Exception {
        Path c = category(dir);
        // A label tool's 16-bit mask of value 1: its high byte is 0 everywhere.
        BufferedImage deep = new BufferedImage(40, 30, BufferedImage.TYPE_USHORT_GRAY);
        deep.getRaster().setSample(6, 8, 0, 1);
        deep.getRaster().setSample(9, 11, 0, 1);
        ImageIO.write(deep, "png", c.resolve("ground_truth/scratch/000_mask.png").toFile());
        PoolImage scratch = ImageFolder.load(c, FrameEncoding.PNG, 0.95f).defective().get(1);
        assertThat(scratch.bbox()).isEqualTo(new BoundingBox(6, 8, 4, 4));

        // A colour mask whose red channel is empty, beside a BMP image, named <stem>_mask.bmp.
        Files.delete(c.resolve("ground_truth/scratch/000_mask.png"));
        Files.move(c.resolve("test/scratch/000.png"), c.resolve("test/scratch/000.bmp"));
        ImageIO.write(Png.toBuffered(gray(40, 30, 140)), "bmp", c.resolve("test/scratch/000.bmp").toFile());
        BufferedImage green = new BufferedImage(40, 30, BufferedImage.TYPE_INT_RGB);
        green.setRGB(30, 20, 0x00ff00);
        ImageIO.write(green, "bmp", c.resolve("ground_truth/scratch/000_mask.bmp").toFile());
        scratch = ImageFolder.load(c, FrameEncoding.PNG, 0.95f).defective().get(1);
        assertThat(scratch.bbox()).isEqualTo(new BoundingBox(30, 20, 1, 1));
    }

    /** A mask with value {@code v} in the given rectangle. */
    static Image box(int w, int h, int x0, int y0, int bw, int bh, int v) {
        Image m = Image.blank(w, h, 1);
        for (int y = y0; y < y0 + bh; y++) {
            for (int x = x0; x < x0 + bw; x++) {
                m.pixels()[y * w + x] = (byte) v;
            }
        }
        return m;
    }

    @Test
    void readsTheMvtecAd2LayoutFromTestPublicOnly(@TempDir Path dir) throws Exception {
        Path c = dir.resolve("can");
        for (String d : List.of("train/good", "validation/good", "test_public/good", "test_public/bad",
                "test_public/ground_truth/bad", "test_private", "test_private_mixed")) {
            Files.createDirectories(c.resolve(d));
        }
        Png.write(gray(40, 30, 100), c.resolve("test_public/good/000_regular.png"));
        Png.write(gray(40, 30, 110), c.resolve("test_public/good/001_regular.png"));
        Png.write(gray(40, 30, 140), c.resolve("test_public/bad/000_regular.png"));
        Png.write(gray(40, 30, 150), c.resolve("test_public/bad/001_overexposed.png"));
        Png.write(box(40, 30, 3, 4, 5, 6, 255), c.resolve("test_public/ground_truth/bad/000_regular_mask.png"));
        Png.write(box(40, 30, 20, 10, 2, 3, 255),
                c.resolve("test_public/ground_truth/bad/001_overexposed_mask.png"));
        // Not test images: training, validation and the unlabelled private sets.
        for (String f : List.of("train/good/000.png", "train/good/001.png", "validation/good/000.png",
                "test_private/000.png", "test_private_mixed/000.png")) {
            Png.write(gray(40, 30, 60), c.resolve(f));
        }

        for (Path root : List.of(c, c.resolve("test_public"))) {
            ImageFolder folder = ImageFolder.load(root, FrameEncoding.PNG, 0.95f);
            assertThat(folder.name()).isEqualTo("can");
            assertThat(folder.good()).extracting(PoolImage::source)
                    .allMatch(s -> s.contains("test_public/good/")).hasSize(2);
            assertThat(folder.defectTypes()).containsExactly("bad");
            assertThat(folder.groundTruth()).isEqualTo(c.resolve("test_public/ground_truth"));
            assertThat(folder.defective()).extracting(PoolImage::bbox).containsExactly(
                    new BoundingBox(3, 4, 5, 6), new BoundingBox(20, 10, 2, 3));
            assertThat(folder.defective()).extracting(PoolImage::defectPixels).containsExactly(30, 6);
        }
    }

    @Test
    void aLocoMaskFolderIsTheUnionOfItsFiles(@TempDir Path dir) throws Exception {
        Path c = dir.resolve("juice_bottle");
        Files.createDirectories(c.resolve("test/good"));
        Files.createDirectories(c.resolve("test/logical_anomalies"));
        Files.createDirectories(c.resolve("test/structural_anomalies"));
        Files.createDirectories(c.resolve("ground_truth/logical_anomalies/000"));
        Files.createDirectories(c.resolve("ground_truth/structural_anomalies/000"));
        Png.write(gray(40, 30, 100), c.resolve("test/good/000.png"));
        Png.write(gray(40, 30, 140), c.resolve("test/logical_anomalies/000.png"));
        Png.write(gray(40, 30, 150), c.resolve("test/structural_anomalies/000.png"));
        // Two defects, overlapping by 2x2 px, with LOCO's per-defect values.
        Png.write(box(40, 30, 2, 3, 4, 4, 243), c.resolve("ground_truth/logical_anomalies/000/000.png"));
        Png.write(box(40, 30, 4, 5, 10, 2, 255), c.resolve("ground_truth/logical_anomalies/000/001.png"));
        Png.write(box(40, 30, 30, 20, 1, 1, 255), c.resolve("ground_truth/structural_anomalies/000/000.png"));

        ImageFolder folder = ImageFolder.load(c, FrameEncoding.PNG, 0.95f);
        assertThat(folder.name()).isEqualTo("juice_bottle");
        assertThat(folder.defectTypes()).containsExactly("logical_anomalies", "structural_anomalies");
        PoolImage logical = folder.defective().get(0);
        assertThat(logical.bbox()).isEqualTo(new BoundingBox(2, 3, 12, 4));
        assertThat(logical.defectPixels()).isEqualTo(16 + 20 - 4);
        assertThat(logical.mask().channels()).isEqualTo(1);
        assertThat(logical.mask().get(2, 3, 0)).isNotZero();
        assertThat(logical.mask().get(13, 6, 0)).isNotZero();
        assertThat(logical.mask().get(13, 3, 0)).isZero();
        assertThat(folder.defective().get(1).bbox()).isEqualTo(new BoundingBox(30, 20, 1, 1));

        // A mask file, where there is one, is taken instead of the folder.
        Png.write(box(40, 30, 0, 0, 1, 1, 255), c.resolve("ground_truth/logical_anomalies/000_mask.png"));
        assertThat(ImageFolder.load(c, FrameEncoding.PNG, 0.95f).defective().get(0).bbox())
                .isEqualTo(new BoundingBox(0, 0, 1, 1));
    }

    @Test
    void refusesALocoMaskFileOfAnotherSizeAndNamesIt(@TempDir Path dir) throws Exception {
        Path c = dir.resolve("pushpins");
        Files.createDirectories(c.resolve("test/good"));
        Files.createDirectories(c.resolve("test/structural_anomalies"));
        Files.createDirectories(c.resolve("ground_truth/structural_anomalies/007"));
        Png.write(gray(40, 30, 100), c.resolve("test/good/000.png"));
        Png.write(gray(40, 30, 140), c.resolve("test/structural_anomalies/007.png"));
        Png.write(box(40, 30, 2, 3, 4, 4, 255), c.resolve("ground_truth/structural_anomalies/007/000.png"));
        Png.write(box(20, 30, 2, 3, 4, 4, 255), c.resolve("ground_truth/structural_anomalies/007/001.png"));
        assertThatThrownBy(() -> ImageFolder.load(c, FrameEncoding.PNG, 0.95f))
                .isInstanceOf(IOException.class).hasMessageContaining("007/001.png").hasMessageContaining("20x30");
    }

    @Test
    void stopsWithTheHeapItWouldNeedBeforeItRunsOutOfMemory(@TempDir Path dir) throws Exception {
        Path c = category(dir); // 4 images of 40x30 gray: 1,200 bytes of pixels each, plus PNG values and a mask
        assertThatThrownBy(() -> ImageFolder.load(c, FrameEncoding.PNG, 0.95f, 3_000))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("its 4 test images would hold about")
                .hasMessageContaining("more than the 0 MiB allowed (half the maximum heap)")
                .hasMessageContaining("DEMO_HEAP=3g ./run-demo.sh");
        // RAW values are the pixels themselves: counted once, so a budget PNG values overrun still holds them.
        long rawHeld = 4 * 1_200 + 1_200;
        assertThat(ImageFolder.load(c, FrameEncoding.RAW, 0.95f, rawHeld).good()).hasSize(2);
        assertThatThrownBy(() -> ImageFolder.load(c, FrameEncoding.PNG, 0.95f, rawHeld))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
