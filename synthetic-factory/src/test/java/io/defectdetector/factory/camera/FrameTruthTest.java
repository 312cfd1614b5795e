package io.defectdetector.factory.camera;

import static org.assertj.core.api.Assertions.assertThat;

import io.defectdetector.factory.BoundingBox;
import io.defectdetector.factory.image.Image;
import org.junit.jupiter.api.Test;

class FrameTruthTest {
    private static FrameTruth defect(Image mask, BoundingBox bbox) {
        return new FrameTruth("cam-1", "f1", 1L, null, 0, 1L, "scratch", bbox, 3, mask, null, null);
    }

    @Test
    void aRectangleHoldsTheDefectWhenItHoldsAMaskPixelNotJustPartOfTheBox() {
        Image mask = Image.blank(10, 10, 1);
        mask.pixels()[2 * 10 + 2] = (byte) 255;  // a diagonal line: (2,2), (3,3), (4,4)
        mask.pixels()[3 * 10 + 3] = (byte) 255;
        mask.pixels()[4 * 10 + 4] = (byte) 255;
        FrameTruth t = defect(mask, new BoundingBox(2, 2, 3, 3));
        assertThat(t.defectWithin(4, 4, 1, 1)).isTrue();
        assertThat(t.defectWithin(4, 2, 1, 1)).as("inside the box, off the line").isFalse();
        assertThat(t.defectWithin(0, 0, 2, 2)).as("touches the first pixel only at a corner").isFalse();
        assertThat(t.defectWithin(0, 0, 3, 3)).isTrue();
        assertThat(t.defectWithin(-5, -5, 100, 100)).as("clipped to the frame").isTrue();
        assertThat(t.defectWithin(5, 5, 10, 10)).isFalse();
    }

    @Test
    void withoutAMaskTheBoundingBoxDecidesAndAGoodFrameHoldsNoDefect() {
        FrameTruth boxOnly = defect(null, new BoundingBox(10, 10, 5, 5));
        assertThat(boxOnly.located()).isTrue();
        assertThat(boxOnly.defectWithin(14, 14, 3, 3)).isTrue();
        assertThat(boxOnly.defectWithin(15, 10, 3, 3)).as("starts just right of the box").isFalse();
        FrameTruth unknown = defect(null, null);
        assertThat(unknown.located()).isFalse();
        assertThat(unknown.defectWithin(0, 0, 100, 100)).isFalse();
        FrameTruth good = new FrameTruth("cam-1", "g", 1L, null, 0, 1L, null, null, 0, null, null, null);
        assertThat(good.defectWithin(0, 0, 100, 100)).isFalse();
    }
}
