package io.defectdetector.job.frames;

import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.defectdetector.frame.Frame;
import io.defectdetector.frame.FrameRejectedException;
import io.defectdetector.frame.RejectReason;
import org.junit.jupiter.api.Test;

class FrameShapeCheckTest {
    private static Frame frame(int w, int h, int channels) {
        return new Frame("cam", "f", 1L, null, w, h, channels, new byte[w * h * channels]);
    }

    @Test
    void acceptsAnySizeWithTheModelsAspectRatio() {
        FrameShapeCheck check = new FrameShapeCheck(1, 128, 128, 0);
        assertThatCode(() -> check.check(frame(1024, 1024, 1))).doesNotThrowAnyException();
        assertThatCode(() -> check.check(frame(64, 64, 3))).doesNotThrowAnyException();
    }

    @Test
    void acceptsGrayFramesForColourModels() {
        FrameShapeCheck check = new FrameShapeCheck(3, 64, 48, 0);
        assertThatCode(() -> check.check(frame(640, 480, 1))).doesNotThrowAnyException();
    }

    @Test
    void rejectsWideFrameForSquareModelNamingTheOption() {
        FrameShapeCheck check = new FrameShapeCheck(1, 128, 128, 0.25);
        assertThatThrownBy(() -> check.check(frame(1920, 1080, 1)))
                .isInstanceOfSatisfying(FrameRejectedException.class,
                        e -> org.assertj.core.api.Assertions.assertThat(e.reason()).isEqualTo(RejectReason.WRONG_SHAPE))
                .hasMessageContaining("1920x1080")
                .hasMessageContaining("frame-aspect-tolerance");
    }

    @Test
    void toleranceAppliesInBothDirections() {
        FrameShapeCheck check = new FrameShapeCheck(1, 100, 100, 0.5);
        assertThatCode(() -> check.check(frame(150, 100, 1))).doesNotThrowAnyException();
        assertThatCode(() -> check.check(frame(100, 150, 1))).doesNotThrowAnyException();
        assertThatThrownBy(() -> check.check(frame(100, 151, 1))).isInstanceOf(FrameRejectedException.class);
        assertThatThrownBy(() -> check.check(frame(152, 100, 1))).isInstanceOf(FrameRejectedException.class);
    }

    @Test
    void rejectsChannelCountsPreprocessingCannotConvert() {
        FrameShapeCheck check = new FrameShapeCheck(1, 8, 8, 0);
        assertThatThrownBy(() -> check.check(frame(8, 8, 4)))
                .isInstanceOf(FrameRejectedException.class)
                .hasMessageContaining("4 channels");
    }
}
