package io.defectdetector.job.scoring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

class RegionExtractorTest {

    /** '.' = 0, digits = that error; rows of equal length. */
    private static float[] map(String... rows) {
        float[] m = new float[rows.length * rows[0].length()];
        for (int y = 0; y < rows.length; y++) {
            for (int x = 0; x < rows[y].length(); x++) {
                char c = rows[y].charAt(x);
                m[y * rows[0].length() + x] = c == '.' ? 0f : c - '0';
            }
        }
        return m;
    }

    @Test
    void findsSeparateBlobsWithBoxAreaAndErrors() {
        float[] m = map(
                "22......",
                "23......",
                "......9.",
                "......55");
        List<DefectRegion> regions = RegionExtractor.extract(m, 8, 4, 2.0, 1);
        assertThat(regions).hasSize(2);
        DefectRegion strong = regions.get(0); // ordered by max error
        assertThat(strong).isEqualTo(new DefectRegion(6, 2, 2, 2, 3, 9f, 19f / 3, 6, 2, 2, 2, 3));
        DefectRegion weak = regions.get(1);
        assertThat(weak.mapX()).isZero();
        assertThat(weak.mapY()).isZero();
        assertThat(weak.mapWidth()).isEqualTo(2);
        assertThat(weak.mapHeight()).isEqualTo(2);
        assertThat(weak.mapArea()).isEqualTo(4);
        assertThat(weak.maxError()).isEqualTo(3f);
        assertThat(weak.meanError()).isEqualTo(2.25f);
    }

    @Test
    void diagonalNeighboursAreConnected() {
        float[] m = map(
                "5...",
                ".5..",
                "..5.",
                "...5");
        List<DefectRegion> regions = RegionExtractor.extract(m, 4, 4, 1.0, 1);
        assertThat(regions).hasSize(1);
        assertThat(regions.get(0).mapArea()).isEqualTo(4);
        assertThat(regions.get(0).mapWidth()).isEqualTo(4);
    }

    @Test
    void thresholdIsInclusive() {
        float[] m = map("1.2");
        assertThat(RegionExtractor.extract(m, 3, 1, 2.0, 1)).extracting(DefectRegion::mapX).containsExactly(2);
        assertThat(RegionExtractor.extract(m, 3, 1, 1.0, 1)).hasSize(2);
    }

    @Test
    void regionsBelowMinAreaAreDropped() {
        float[] m = map(
                "7.33",
                "..33");
        List<DefectRegion> regions = RegionExtractor.extract(m, 4, 2, 1.0, 2);
        assertThat(regions).singleElement().extracting(DefectRegion::mapArea).isEqualTo(4);
        assertThat(RegionExtractor.extract(m, 4, 2, 1.0, 5)).isEmpty();
    }

    @Test
    void nanErrorsNeverFormRegions() {
        float[] m = {Float.NaN, 5f, Float.NaN};
        assertThat(RegionExtractor.extract(m, 3, 1, 1.0, 1)).singleElement()
                .extracting(DefectRegion::mapArea).isEqualTo(1);
    }

    @Test
    void aMapSizedBlobNeedsNoRecursion() {
        int w = 1024;
        int h = 1024;
        float[] m = new float[w * h];
        // A one-pixel-wide serpentine: the worst case for a recursive flood fill.
        for (int y = 0; y < h; y += 2) {
            for (int x = 0; x < w; x++) {
                m[y * w + x] = 1f;
            }
            if (y + 1 < h) {
                m[(y + 1) * w + ((y / 2) % 2 == 0 ? w - 1 : 0)] = 1f;
            }
        }
        List<DefectRegion> regions = RegionExtractor.extract(m, w, h, 0.5, 1);
        assertThat(regions).singleElement().extracting(DefectRegion::mapArea).isEqualTo(512 * 1024 + 512);
    }

    @Test
    void boxesScaleBackToFramePixelsThroughTheResizeWindows() {
        // 4x4 map of a 256x128 frame: one map pixel covers 64x32 frame pixels.
        float[] m = map(
                "....",
                ".99.",
                "....",
                "....");
        DefectRegion r = RegionExtractor.extract(m, 4, 4, 256, 128, 1.0, 1).get(0);
        assertThat(r.x()).isEqualTo(64);
        assertThat(r.y()).isEqualTo(32);
        assertThat(r.width()).isEqualTo(128);
        assertThat(r.height()).isEqualTo(32);
        assertThat(r.area()).isEqualTo(2 * 64 * 32);
        assertThat(r.mapX()).isEqualTo(1);
        assertThat(r.mapWidth()).isEqualTo(2);
    }

    @Test
    void nonIntegerScaleCoversEveryContributingFramePixel() {
        // 3 map pixels of a 10-pixel-wide frame: windows [0,4) [3,7) [6,10).
        float[] m = {0f, 5f, 0f};
        DefectRegion r = RegionExtractor.extract(m, 3, 1, 10, 1, 1.0, 1).get(0);
        assertThat(r.x()).isEqualTo(3);
        assertThat(r.width()).isEqualTo(4);
    }

    @Test
    void emptyMapHasNoRegions() {
        assertThat(RegionExtractor.extract(new float[64], 8, 8, 0.5, 1)).isEmpty();
    }

    @Test
    void rejectsMapsShorterThanTheirSize() {
        assertThatThrownBy(() -> RegionExtractor.extract(new float[3], 2, 2, 0.5, 1))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
