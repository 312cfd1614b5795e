package io.defectdetector.factory.dataset;

import static org.assertj.core.api.Assertions.assertThat;

import io.defectdetector.factory.SurfaceFactory;
import io.defectdetector.factory.defects.DefectKind;
import io.defectdetector.factory.surface.Product;
import java.awt.image.BufferedImage;
import java.util.List;
import org.junit.jupiter.api.Test;

class ContactSheetTest {
    @Test
    void drawsAGridWithRedOutlinesOnlyInDefectColumns() {
        BufferedImage sheet = ContactSheet.render(new SurfaceFactory(64, 64), List.of(Product.TILES, Product.WOOD),
                List.of(DefectKind.HOLE, DefectKind.SCRATCH), 1, 3);
        int cols = 3;
        assertThat(sheet.getWidth()).isGreaterThanOrEqualTo(cols * 64);
        assertThat(sheet.getHeight()).isGreaterThanOrEqualTo(2 * 64);
        // The first column holds good samples: no outline pixels; the defect columns have some.
        assertThat(redPixels(sheet, 70, 70 + 72)).isZero();
        assertThat(redPixels(sheet, 70 + 72, sheet.getWidth())).isPositive();
    }

    private static int redPixels(BufferedImage img, int x0, int x1) {
        int n = 0;
        for (int y = 0; y < img.getHeight(); y++) {
            for (int x = x0; x < Math.min(x1, img.getWidth()); x++) {
                if ((img.getRGB(x, y) & 0xFFFFFF) == 0xFF2020) {
                    n++;
                }
            }
        }
        return n;
    }
}
