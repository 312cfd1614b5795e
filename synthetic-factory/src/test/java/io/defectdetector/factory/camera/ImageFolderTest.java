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
    void readsGoodImagesFirstThenDefectiveOnesLabelledByTheirFolder(@TempDir Path dir) throws Exception {
        Path c = category(dir);
        ImageFolder folder = ImageFolder.load(c, FrameEncoding.PNG, 0.95f);

        assertThat(folder.name()).isEqualTo("widget");
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
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("test/good/");

        Path c = category(dir.resolve("x"));
        Files.write(c.resolve("test/scratch/002.png"), new byte[] {(byte) 0x89, 'P', 'N', 'G', 1, 2, 3});
        assertThatThrownBy(() -> ImageFolder.load(c, FrameEncoding.PNG, 0.95f))
                .isInstanceOf(IOException.class).hasMessageContaining("002.png");
    }

    @Test
    void refusesAMaskOfAnotherSize(@TempDir Path dir) throws Exception {
        Path c = category(dir);
        Png.write(Image.blank(20, 20, 1), c.resolve("ground_truth/scratch/000_mask.png"));
        assertThatThrownBy(() -> ImageFolder.load(c, FrameEncoding.PNG, 0.95f))
                .isInstanceOf(IOException.class).hasMessageContaining("mask is 20x20");
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
}
