package io.defectdetector.job.alerts;

import static org.assertj.core.api.Assertions.assertThat;

import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.util.Random;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;

class HeatmapPngTest {

    @Test
    void downscalesToAtMost64KeepingTheAspect() throws Exception {
        BufferedImage wide = decode(HeatmapPng.encode(new float[256 * 128], 256, 128, 2.0));
        assertThat(wide.getWidth()).isEqualTo(64);
        assertThat(wide.getHeight()).isEqualTo(32);
        BufferedImage small = decode(HeatmapPng.encode(new float[20 * 10], 20, 10, 2.0));
        assertThat(small.getWidth()).isEqualTo(20);
        assertThat(small.getHeight()).isEqualTo(10);
    }

    @Test
    void zeroIsBlackFullScaleIsBrightAndTheThresholdIsBetween() throws Exception {
        float[] map = {0f, 1f, 2f, 50f};
        BufferedImage image = decode(HeatmapPng.encode(map, 4, 1, 2.0));
        assertThat(image.getRGB(0, 0) & 0xFFFFFF).isZero();
        int mid = image.getRGB(1, 0) & 0xFFFFFF;
        int full = image.getRGB(2, 0) & 0xFFFFFF;
        assertThat(full).isEqualTo(image.getRGB(3, 0) & 0xFFFFFF);
        assertThat(brightness(mid)).isBetween(brightness(0) + 1, brightness(full) - 1);
    }

    @Test
    void isSmallEnoughForAnAlert() {
        float[] map = new float[128 * 128];
        Random random = new Random(1);
        for (int i = 0; i < map.length; i++) {
            map[i] = random.nextFloat() * 2;
        }
        assertThat(HeatmapPng.encode(map, 128, 128, 2.0).length).isLessThan(16 * 1024);
    }

    private static int brightness(int rgb) {
        return ((rgb >> 16) & 0xFF) + ((rgb >> 8) & 0xFF) + (rgb & 0xFF);
    }

    private static BufferedImage decode(byte[] png) throws Exception {
        return ImageIO.read(new ByteArrayInputStream(png));
    }
}
