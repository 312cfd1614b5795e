package io.defectdetector.factory;

import static org.assertj.core.api.Assertions.assertThat;

import io.defectdetector.factory.defects.DefectKind;
import io.defectdetector.factory.image.Image;
import io.defectdetector.factory.surface.Product;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class SurfaceFactoryTest {
    private final SurfaceFactory factory = new SurfaceFactory(96, 96);

    @ParameterizedTest
    @EnumSource(Product.class)
    void sameSeedGivesIdenticalBytes(Product product) {
        Image a = factory.good(product, 1234);
        Image b = new SurfaceFactory(96, 96).good(product, 1234);
        assertThat(b.pixels()).isEqualTo(a.pixels());
    }

    @ParameterizedTest
    @EnumSource(Product.class)
    void differentSeedsGiveDifferentImages(Product product) {
        Image a = factory.good(product, 1);
        Image b = factory.good(product, 2);
        assertThat(meanAbsoluteDifference(a, b)).isGreaterThan(2.0);
    }

    @ParameterizedTest
    @EnumSource(DefectKind.class)
    void defectiveSamplesAreDeterministicToo(DefectKind kind) {
        Sample a = factory.sample(Product.WOOD, 77, kind);
        Sample b = factory.sample(Product.WOOD, 77, kind);
        assertThat(b.image()).isEqualTo(a.image());
        assertThat(b.mask()).isEqualTo(a.mask());
        assertThat(b.bbox()).isEqualTo(a.bbox());
    }

    @ParameterizedTest
    @EnumSource(Product.class)
    void goodImageOfADefectiveSampleIsTheGoodImageOfThatSeed(Product product) {
        Sample sample = factory.sample(product, 5, DefectKind.STAIN);
        assertThat(sample.good()).isEqualTo(factory.good(product, 5));
        assertThat(sample.image()).isNotEqualTo(sample.good());
    }

    @ParameterizedTest
    @EnumSource(Product.class)
    void grayProductsHaveOneChannelAndColouredOnesThree(Product product) {
        Image img = factory.good(product, 3);
        int expected = product == Product.WOOD || product == Product.PCB ? 3 : 1;
        assertThat(img.channels()).isEqualTo(expected);
        assertThat(img.pixels()).hasSize(96 * 96 * expected);
    }

    @ParameterizedTest
    @EnumSource(Product.class)
    void imagesAreNotFlatAndNotClipped(Product product) {
        Image img = new SurfaceFactory(128, 128).good(product, 11);
        int min = 255;
        int max = 0;
        int clipped = 0;
        for (byte b : img.pixels()) {
            int v = b & 0xff;
            min = Math.min(min, v);
            max = Math.max(max, v);
            if (v == 0 || v == 255) {
                clipped++;
            }
        }
        assertThat(max - min).as("contrast").isGreaterThan(40);
        assertThat(clipped).as("clipped samples").isLessThan(img.pixels().length / 100);
    }

    @org.junit.jupiter.api.Test
    void nonSquareSizesWork() {
        Sample s = new SurfaceFactory(160, 96).sample(Product.PCB, 9, DefectKind.SCRATCH);
        assertThat(s.image().width()).isEqualTo(160);
        assertThat(s.image().height()).isEqualTo(96);
        assertThat(s.mask().width()).isEqualTo(160);
        assertThat(s.defectPixels()).isPositive();
    }

    static double meanAbsoluteDifference(Image a, Image b) {
        long sum = 0;
        for (int i = 0; i < a.pixels().length; i++) {
            sum += Math.abs((a.pixels()[i] & 0xff) - (b.pixels()[i] & 0xff));
        }
        return (double) sum / a.pixels().length;
    }
}
