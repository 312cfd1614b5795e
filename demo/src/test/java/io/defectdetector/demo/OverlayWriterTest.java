package io.defectdetector.demo;

import static org.assertj.core.api.Assertions.assertThat;

import io.defectdetector.factory.BoundingBox;
import io.defectdetector.factory.image.Image;
import io.defectdetector.job.alerts.DefectAlert;
import io.defectdetector.job.alerts.HeatmapPng;
import io.defectdetector.job.scoring.DefectRegion;
import java.awt.image.BufferedImage;
import java.nio.file.Path;
import java.util.Base64;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class OverlayWriterTest {

    @Test
    void drawsFrameAndHeatmapSideBySideWithDetectedAndTrueBoxes(@TempDir Path dir) throws Exception {
        Image frame = new Image(64, 48, 1, new byte[64 * 48]);
        DefectAlert alert = new DefectAlert();
        alert.setCameraId("cam-01");
        alert.setFrameId("r1-7");
        alert.setScore(2.5f);
        alert.setThreshold(1.0f);
        alert.setRegionCount(1);
        alert.setRegions(List.of(new DefectRegion(10, 10, 8, 8, 64, 3f, 2f, 5, 5, 4, 4, 16)));
        float[] map = new float[16 * 12];
        map[5 * 16 + 5] = 4f;
        alert.setHeatmapPng(Base64.getEncoder().encodeToString(HeatmapPng.encode(map, 16, 12, 2.0)));

        Path file = new OverlayWriter(dir.resolve("overlays")).write(alert, frame, new BoundingBox(30, 20, 6, 6),
                "defective (hole)");

        assertThat(file.getFileName().toString()).isEqualTo("cam-01_r1-7.png");
        BufferedImage png = ImageIO.read(file.toFile());
        assertThat(png.getWidth()).as("two 64-pixel panels, widened to the caption's width").isGreaterThan(200);
        assertThat(png.getHeight()).isGreaterThan(48);
        int red = png.getRGB(10, 14) & 0xFFFFFF;
        assertThat(red >> 16 & 0xFF).as("detected box on the frame").isGreaterThan(200);
        assertThat(png.getRGB(64 + 10, 14) >> 16 & 0xFF).as("detected box on the heatmap panel").isGreaterThan(200);
        assertThat(png.getRGB(28, 22) >> 8 & 0xFF).as("true defect box").isGreaterThan(180);
    }

    @Test
    void missedDefectShowsTheTrueBoxAndTheDefectEnlarged(@TempDir Path dir) throws Exception {
        byte[] pixels = new byte[64 * 48];
        for (int y = 20; y < 26; y++) {
            for (int x = 30; x < 36; x++) {
                pixels[y * 64 + x] = (byte) 255;
            }
        }
        Image frame = new Image(64, 48, 1, pixels);

        Path file = new OverlayWriter(dir.resolve("overlays")).writeMissed("cam-01", "r1-9", frame,
                new BoundingBox(30, 20, 6, 6), "scratch", 0.8f, 1.0);

        assertThat(file).isEqualTo(dir.resolve("overlays").resolve("missed").resolve("cam-01_r1-9.png"));
        BufferedImage png = ImageIO.read(file.toFile());
        assertThat(png.getWidth()).as("widened to the caption's width").isGreaterThan(200);
        assertThat(png.getRGB(28, 22) >> 8 & 0xFF).as("true defect box").isGreaterThan(180);
        // A 32-pixel square around the defect, (17, 7) to (49, 39), is drawn 48 pixels wide: the 6-pixel defect
        // becomes 9 pixels wide, from about (83.5, 19.5); the frame around it stays dark.
        assertThat(png.getRGB(88, 24) & 0xFF).as("enlarged defect").isEqualTo(255);
        assertThat(png.getRGB(64 + 5, 5) & 0xFF).as("dark surroundings").isLessThan(10);
        assertThat(png.getRGB(80, 24) & 0xFF).as("left of the enlarged defect").isLessThan(10);
    }

    @Test
    void aMissedOverlayOfAWideFrameIsTheFrameAndTheSquareBesideItWithoutAnEmptyStrip(@TempDir Path dir)
            throws Exception {
        Image frame = new Image(600, 400, 1, new byte[600 * 400]);
        Path file = new OverlayWriter(dir).writeMissed("cam-01", "r1-1", frame, new BoundingBox(100, 100, 10, 10),
                "spot", 0.5f, 1.0);
        assertThat(ImageIO.read(file.toFile()).getWidth()).isEqualTo(600 + 400);
    }

    @Test
    void aMissedImageWithoutMaskShowsTheFrameWithoutABox(@TempDir Path dir) throws Exception {
        byte[] pixels = new byte[64 * 48];
        pixels[10 * 64 + 20] = (byte) 255;
        // A replayed defective image without a mask file: no true box (it used to end the demo before its summary).
        Path file = new OverlayWriter(dir).writeMissed("cam-01", "r1-2", new Image(64, 48, 1, pixels), null,
                "stain", 0.4f, 1.0);
        BufferedImage png = ImageIO.read(file.toFile());
        assertThat(png.getRGB(20, 10) & 0xFF).as("the frame on the left").isEqualTo(255);
        // On the right the centre 48x48 square, x 8 to 56, drawn at its size (the panel is as high as the frame).
        assertThat(png.getRGB(64 + 20 - 8, 10) & 0xFF).as("the centre square on the right").isGreaterThan(200);
    }

}
