package io.defectdetector.job.inference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import io.defectdetector.frame.Frame;
import io.defectdetector.job.testing.TestingFrames;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import org.junit.jupiter.api.Test;

class PreprocessorTest {

    @Test
    void frameOfModelSizeIsOnlyScaled() {
        Frame f = TestingFrames.random("f", 16, 16, 1, 1);
        float[] x = new Preprocessor(1, 16, 16).preprocess(f);
        for (int i = 0; i < 256; i++) {
            assertThat(x[i]).isEqualTo((float) ((f.getPixels()[i] & 0xFF) / 255.0));
        }
    }

    @Test
    void halvingIsTheTwoByTwoBlockMean() {
        byte[] px = new byte[4 * 4];
        int[] values = {0, 10, 20, 30, 40, 50, 60, 70, 80, 90, 100, 110, 120, 130, 140, 255};
        for (int i = 0; i < values.length; i++) {
            px[i] = (byte) values[i];
        }
        Frame f = new Frame("c", "f", 0, null, 4, 4, 1, px);
        float[] x = new Preprocessor(1, 2, 2).preprocess(f);
        assertThat(x[0]).isEqualTo((float) ((0 + 10 + 40 + 50) / (255.0 * 4)));
        assertThat(x[1]).isEqualTo((float) ((20 + 30 + 60 + 70) / (255.0 * 4)));
        assertThat(x[2]).isEqualTo((float) ((80 + 90 + 120 + 130) / (255.0 * 4)));
        assertThat(x[3]).isEqualTo((float) ((100 + 110 + 140 + 255) / (255.0 * 4)));
    }

    @Test
    void integerFactorsAreExactBlockMeans() {
        for (int[] k : new int[][] {{2, 2}, {4, 3}, {1, 5}}) {
            for (int fc : new int[] {1, 3}) {
                Frame f = TestingFrames.random("f", 8 * k[0], 8 * k[1], fc, k[0] * 10L + k[1] + fc);
                float[] x = new Preprocessor(1, 8, 8).preprocess(f);
                for (int oy = 0; oy < 8; oy++) {
                    for (int ox = 0; ox < 8; ox++) {
                        long sum = 0;
                        for (int y = oy * k[1]; y < (oy + 1) * k[1]; y++) {
                            for (int xx = ox * k[0]; xx < (ox + 1) * k[0]; xx++) {
                                sum += fc == 1 ? f.sample(xx, y, 0)
                                        : Preprocessor.gray(f.sample(xx, y, 0), f.sample(xx, y, 1), f.sample(xx, y, 2));
                            }
                        }
                        assertThat(x[oy * 8 + ox]).as("k=%dx%d fc=%d (%d,%d)", k[0], k[1], fc, ox, oy)
                                .isEqualTo((float) (sum / (255.0 * k[0] * k[1])));
                    }
                }
            }
        }
    }

    @Test
    void rgbBecomesGrayWithTheContractsIntegerFormula() {
        Preprocessor p = new Preprocessor(1, 1, 1);
        // (299*255 + 500) / 1000 = 76 (truncating), not round(0.299*255) = 76.2 -> 76; and 1500/1000 = 1.
        assertThat(p.preprocess(TestingFrames.rgb("f", 1, 1, 255, 0, 0))[0]).isEqualTo((float) (76 / 255.0));
        assertThat(p.preprocess(TestingFrames.rgb("f", 1, 1, 1, 1, 1))[0]).isEqualTo((float) (1 / 255.0));
        assertThat(p.preprocess(TestingFrames.rgb("f", 1, 1, 0, 0, 255))[0]).isEqualTo((float) (29 / 255.0));
        assertThat(Preprocessor.gray(10, 200, 30)).isEqualTo((2990 + 117400 + 3420 + 500) / 1000);
    }

    @Test
    void grayIsReplicatedForThreeChannelModels() {
        float[] x = new Preprocessor(3, 2, 2).preprocess(TestingFrames.gray("f", 4, 4, 51));
        assertThat(x).hasSize(12).containsOnly((float) (51 / 255.0));
    }

    @Test
    void rgbFramesKeepChannelOrderInPlanes() {
        float[] x = new Preprocessor(3, 2, 2).preprocess(TestingFrames.rgb("f", 2, 2, 255, 0, 51));
        for (int i = 0; i < 4; i++) {
            assertThat(x[i]).isEqualTo(1f);
            assertThat(x[4 + i]).isEqualTo(0f);
            assertThat(x[8 + i]).isEqualTo((float) (51 / 255.0));
        }
    }

    @Test
    void nonIntegerRatiosMatchTheReferenceAreaResize() {
        for (int[] size : new int[][] {{37, 23}, {300, 200}, {17, 129}, {255, 256}, {16, 16}, {32, 32},
                {64, 48}, {48, 160}}) {
            for (int frameChannels : new int[] {1, 3}) {
                for (int modelChannels : new int[] {1, 3}) {
                    Frame f = TestingFrames.random("f", size[0], size[1], frameChannels, size[0] * 31L + size[1]);
                    float[] actual = new Preprocessor(modelChannels, 16, 16).preprocess(f);
                    float[] expected = reference(f, modelChannels, 16, 16);
                    for (int i = 0; i < expected.length; i++) {
                        assertThat(actual[i]).as("%s c=%d->%d at %d", f, frameChannels, modelChannels, i)
                                .isCloseTo(expected[i], within(1e-6f));
                    }
                }
            }
        }
    }

    @Test
    void framesSmallerThanTheModelRepeatTheirPixels() {
        byte[] px = {10, 20, 30, 40, 50, 60};
        Frame f = new Frame("c", "f", 0, null, 3, 2, 1, px);
        float[] x = new Preprocessor(1, 4, 6).preprocess(f);
        // Row windows [0,1) [0,1) [1,2) [1,2); column windows [0,1) [0,1) [1,2) [1,2) [2,3) [2,3).
        assertThat(x[0]).isEqualTo((float) (10 / 255.0));
        assertThat(x[5]).isEqualTo((float) (30 / 255.0));
        assertThat(x[3 * 6 + 2]).isEqualTo((float) (50 / 255.0));
        float[] one = new Preprocessor(1, 8, 8).preprocess(TestingFrames.gray("f", 1, 1, 200));
        assertThat(one).containsOnly((float) (200 / 255.0));
    }

    @Test
    void alphaChannelsAreIgnored() {
        Preprocessor p = new Preprocessor(1, 1, 1);
        Frame grayAlpha = new Frame("c", "f", 0, null, 1, 1, 2, new byte[] {100, (byte) 255});
        Frame rgba = new Frame("c", "f", 0, null, 1, 1, 4, new byte[] {(byte) 255, 0, 0, 7});
        assertThat(p.preprocess(grayAlpha)[0]).isEqualTo((float) (100 / 255.0));
        assertThat(p.preprocess(rgba)[0]).isEqualTo((float) (76 / 255.0));
    }

    @Test
    void writesOnlyItsOwnSlotOfADirectBatchBuffer() {
        Preprocessor p = new Preprocessor(1, 4, 4);
        FloatBuffer batch = ByteBuffer.allocateDirect(3 * 16 * 4).order(ByteOrder.nativeOrder()).asFloatBuffer();
        for (int i = 0; i < 48; i++) {
            batch.put(i, -1f);
        }
        p.write(TestingFrames.gray("f", 8, 8, 255), batch, 1);
        assertThat(batch.position()).isZero();
        for (int i = 0; i < 48; i++) {
            assertThat(batch.get(i)).isEqualTo(i >= 16 && i < 32 ? 1f : -1f);
        }
    }

    @Test
    void sameSizeSeenAgainGivesSameResult() {
        Preprocessor p = new Preprocessor(1, 16, 16);
        Frame a = TestingFrames.random("a", 40, 30, 3, 7);
        float[] first = p.preprocess(a);
        p.preprocess(TestingFrames.random("b", 41, 31, 1, 8));
        assertThat(p.preprocess(a)).containsExactly(first);
    }

    @Test
    void rejectsFramesWithTooFewSamples() {
        Frame broken = new Frame("c", "f", 0, null, 4, 4, 1, new byte[15]);
        assertThatThrownBy(() -> new Preprocessor(1, 2, 2).preprocess(broken))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("4x4x1");
    }

    /** docs/model-card.md, written as defect_cae.preprocess does it: float64, separable pool matrices. */
    static float[] reference(Frame f, int channels, int height, int width) {
        int w = f.getWidth();
        int h = f.getHeight();
        int fc = f.getChannels();
        double[][][] x = new double[channels][h][w];
        for (int y = 0; y < h; y++) {
            for (int xx = 0; xx < w; xx++) {
                int r = f.sample(xx, y, 0);
                int g = fc >= 3 ? f.sample(xx, y, 1) : r;
                int b = fc >= 3 ? f.sample(xx, y, 2) : r;
                if (channels == 1) {
                    x[0][y][xx] = (fc >= 3 ? (299 * r + 587 * g + 114 * b + 500) / 1000 : r) / 255.0;
                } else {
                    x[0][y][xx] = r / 255.0;
                    x[1][y][xx] = g / 255.0;
                    x[2][y][xx] = b / 255.0;
                }
            }
        }
        float[] out = new float[channels * height * width];
        for (int c = 0; c < channels; c++) {
            double[][] rows = new double[height][w];
            for (int oy = 0; oy < height; oy++) {
                int s = oy * h / height;
                int e = ((oy + 1) * h + height - 1) / height;
                for (int xx = 0; xx < w; xx++) {
                    double acc = 0;
                    for (int y = s; y < e; y++) {
                        acc += x[c][y][xx] * (1.0 / (e - s));
                    }
                    rows[oy][xx] = acc;
                }
            }
            for (int oy = 0; oy < height; oy++) {
                for (int ox = 0; ox < width; ox++) {
                    int s = ox * w / width;
                    int e = ((ox + 1) * w + width - 1) / width;
                    double acc = 0;
                    for (int xx = s; xx < e; xx++) {
                        acc += rows[oy][xx] * (1.0 / (e - s));
                    }
                    out[c * height * width + oy * width + ox] = (float) acc;
                }
            }
        }
        return out;
    }
}
