package io.defectdetector.factory;

import static org.assertj.core.api.Assertions.assertThat;

import io.defectdetector.factory.defects.DefectApplier;
import io.defectdetector.factory.defects.DefectKind;
import io.defectdetector.factory.image.Image;
import io.defectdetector.factory.surface.Product;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class DefectMaskTest {
    private static final SurfaceFactory FACTORY = new SurfaceFactory(128, 128);

    static Stream<Arguments> everyDefectOnEveryProduct() {
        List<Arguments> cases = new ArrayList<>();
        for (Product p : Product.values()) {
            for (DefectKind k : DefectKind.values()) {
                cases.add(Arguments.of(p, k));
            }
        }
        return cases.stream();
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("everyDefectOnEveryProduct")
    void maskMarksExactlyThePixelsTheDefectChanged(Product product, DefectKind kind) {
        for (long seed = 0; seed < 4; seed++) {
            Sample s = FACTORY.sample(product, seed, kind);
            Image good = s.good();
            Image bad = s.image();
            Image mask = s.mask();
            int ch = good.channels();
            int marked = 0;
            int minX = Integer.MAX_VALUE;
            int minY = Integer.MAX_VALUE;
            int maxX = -1;
            int maxY = -1;
            for (int y = 0; y < good.height(); y++) {
                for (int x = 0; x < good.width(); x++) {
                    int m = mask.get(x, y, 0);
                    assertThat(m).as("mask values are 0 or 255").isIn(0, 255);
                    int delta = 0;
                    for (int c = 0; c < ch; c++) {
                        delta = Math.max(delta, Math.abs(bad.get(x, y, c) - good.get(x, y, c)));
                    }
                    boolean changed = delta > 0;
                    assertThat(m == 255).as("mask at (%d,%d) vs change %d, seed %d", x, y, delta, seed)
                            .isEqualTo(changed);
                    if (changed) {
                        assertThat(delta).as("visible change at (%d,%d)", x, y)
                                .isGreaterThanOrEqualTo(DefectApplier.MIN_DELTA);
                        marked++;
                        minX = Math.min(minX, x);
                        minY = Math.min(minY, y);
                        maxX = Math.max(maxX, x);
                        maxY = Math.max(maxY, y);
                    }
                }
            }
            assertThat(marked).as("defect pixels, seed %d", seed).isPositive().isEqualTo(s.defectPixels());
            assertThat(s.bbox()).isEqualTo(new BoundingBox(minX, minY, maxX - minX + 1, maxY - minY + 1));
            assertThat(s.defect()).isEqualTo(kind);
        }
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("everyDefectOnEveryProduct")
    void defectsVaryInSizeAndPositionAcrossSeeds(Product product, DefectKind kind) {
        java.util.Set<BoundingBox> boxes = new java.util.HashSet<>();
        for (long seed = 10; seed < 14; seed++) {
            boxes.add(FACTORY.sample(product, seed, kind).bbox());
        }
        assertThat(boxes).hasSizeGreaterThan(2);
    }

    @org.junit.jupiter.api.Test
    void someDefectsAreSubtle() {
        // Subtle = most changed pixels move by less than 30 levels; the generator should produce some.
        int subtle = 0;
        int total = 0;
        for (DefectKind kind : List.of(DefectKind.SCRATCH, DefectKind.STAIN, DefectKind.CRACK)) {
            for (long seed = 0; seed < 12; seed++) {
                Sample s = FACTORY.sample(Product.METAL, seed, kind);
                long sum = 0;
                for (int i = 0; i < s.good().pixels().length; i++) {
                    sum += Math.abs((s.image().pixels()[i] & 0xff) - (s.good().pixels()[i] & 0xff));
                }
                if ((double) sum / s.defectPixels() < 30) {
                    subtle++;
                }
                total++;
            }
        }
        assertThat(subtle).isGreaterThan(total / 10);
    }
}
