package io.defectdetector.job.inference;

import io.defectdetector.frame.Frame;
import io.defectdetector.job.model.ModelCard;
import java.nio.FloatBuffer;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;

/**
 * The preprocessing of docs/model-card.md, written straight into the engine's input buffer: integer BT.601 gray
 * (or gray replicated to RGB), {@code /255}, area resize with {@code adaptive_avg_pool2d} windows, NCHW.
 *
 * <p>Sums of 8-bit samples over each window are exact integers, and each output is one division of that sum by
 * {@code 255 * windowArea} in double, rounded once to float. The Python reference (defect_cae.preprocess) gets
 * the same value through float64 matrix products; the two agree to the last float bit except, rarely, one ulp
 * (6e-8), well inside the contract's 1e-6.
 *
 * <p>Any frame of at least 1x1 pixels is accepted (smaller than the model input means each output repeats a
 * source pixel); rejecting frames of a far-off aspect ratio is the decode stage's job (WRONG_SHAPE). Window
 * tables are computed once per source size. Not thread-safe: one instance per subtask.
 */
public final class Preprocessor {
    /** Cameras come in a handful of sizes; the cache is cleared if a stream has many more. */
    private static final int MAX_CACHED_SIZES = 64;
    /** Largest block-mean table (sums 0..255*area) worth building: 1 MB of floats. */
    private static final long BLOCK_LUT_LIMIT = 1 << 18;

    private final int channels;
    private final int height;
    private final int width;
    private final int imageSize;
    private final Map<Integer, Windows> columnWindows = new HashMap<>();
    private final Map<Integer, Windows> rowWindows = new HashMap<>();
    /** Per output row: window sums per model channel and column. */
    private final long[] sums;
    private final float[] row;
    /** Block means by sum for the integer-factor gray path, built for the block area last seen. */
    private float[] blockLut;
    private int blockLutArea;

    public Preprocessor(ModelCard card) {
        this(card.channels(), card.height(), card.width());
    }

    public Preprocessor(int channels, int height, int width) {
        if (channels != 1 && channels != 3) {
            throw new IllegalArgumentException("model channels must be 1 or 3, got " + channels);
        }
        if (height < 1 || width < 1) {
            throw new IllegalArgumentException("model input must be at least 1x1, got " + height + "x" + width);
        }
        this.channels = channels;
        this.height = height;
        this.width = width;
        this.imageSize = channels * height * width;
        this.sums = new long[channels * width];
        this.row = new float[width];
    }

    /** Floats per preprocessed image, {@code C*H*W}. */
    public int imageSize() {
        return imageSize;
    }

    /** Writes the frame as image {@code index} of an NCHW batch in {@code dst} (absolute puts; position unchanged). */
    public void write(Frame frame, FloatBuffer dst, int index) {
        int w = frame.getWidth();
        int h = frame.getHeight();
        int fc = frame.getChannels();
        byte[] px = frame.getPixels();
        if (w < 1 || h < 1 || fc < 1 || fc > 4 || px == null || px.length < (long) w * h * fc) {
            throw new IllegalArgumentException("cannot preprocess " + frame + ": need >= 1x1 pixels, 1-4 channels "
                    + "and width*height*channels samples");
        }
        int base = Math.multiplyExact(index, imageSize);
        if (channels == 1 && fc != 2 && w % width == 0 && h % height == 0
                && 255L * (w / width) * (h / height) < BLOCK_LUT_LIMIT) {
            writeGrayBlocks(px, w, fc, w / width, h / height, dst, base);
            return;
        }
        Windows cols = windows(columnWindows, w, width);
        Windows rows = windows(rowWindows, h, height);
        int plane = height * width;
        boolean rgbSource = fc >= 3;

        for (int oy = 0; oy < height; oy++) {
            Arrays.fill(sums, 0L);
            for (int y = rows.start[oy]; y < rows.end[oy]; y++) {
                int rowOffset = y * w * fc;
                if (channels == 1) {
                    accumulateGray(px, rowOffset, fc, rgbSource, cols);
                } else {
                    accumulateRgb(px, rowOffset, fc, rgbSource, cols);
                }
            }
            int windowRows = rows.end[oy] - rows.start[oy];
            for (int c = 0; c < channels; c++) {
                int sumOffset = c * width;
                for (int ox = 0; ox < width; ox++) {
                    double divisor = 255.0 * windowRows * (cols.end[ox] - cols.start[ox]);
                    row[ox] = (float) (sums[sumOffset + ox] / divisor);
                }
                dst.put(base + c * plane + oy * width, row, 0, width);
            }
        }
    }

    /**
     * The common case (a frame an integer multiple of a gray model's size, e.g. 256x256 -> 128x128): plain block
     * sums, and each mean read from a table of {@code sum / (255 * kx * ky)} so no division runs per pixel. The
     * table holds exactly the values the general path computes.
     */
    private void writeGrayBlocks(byte[] px, int w, int fc, int kx, int ky, FloatBuffer dst, int base) {
        int area = kx * ky;
        if (blockLut == null || blockLutArea != area) {
            blockLut = new float[255 * area + 1];
            double divisor = 255.0 * area;
            for (int sum = 0; sum < blockLut.length; sum++) {
                blockLut[sum] = (float) (sum / divisor);
            }
            blockLutArea = area;
        }
        float[] lut = blockLut;
        for (int oy = 0; oy < height; oy++) {
            int rowStart = oy * ky * w;
            if (kx == 2 && ky == 2 && fc == 1) {
                for (int ox = 0, p = rowStart; ox < width; ox++, p += 2) {
                    row[ox] = lut[(px[p] & 0xFF) + (px[p + 1] & 0xFF) + (px[p + w] & 0xFF) + (px[p + w + 1] & 0xFF)];
                }
            } else {
                for (int ox = 0; ox < width; ox++) {
                    int sum = 0;
                    int p0 = rowStart + ox * kx;
                    for (int dy = 0; dy < ky; dy++) {
                        int p = (p0 + dy * w) * fc;
                        for (int dx = 0; dx < kx; dx++, p += fc) {
                            sum += fc == 1 ? px[p] & 0xFF : gray(px[p] & 0xFF, px[p + 1] & 0xFF, px[p + 2] & 0xFF);
                        }
                    }
                    row[ox] = lut[sum];
                }
            }
            dst.put(base + oy * width, row, 0, width);
        }
    }

    /** Convenience for tests and tools: one image as a fresh array. */
    public float[] preprocess(Frame frame) {
        FloatBuffer buffer = FloatBuffer.allocate(imageSize);
        write(frame, buffer, 0);
        return buffer.array();
    }

    private void accumulateGray(byte[] px, int rowOffset, int fc, boolean rgbSource, Windows cols) {
        for (int ox = 0; ox < width; ox++) {
            long s = 0;
            int end = cols.end[ox];
            for (int x = cols.start[ox]; x < end; x++) {
                int p = rowOffset + x * fc;
                s += rgbSource ? gray(px[p] & 0xFF, px[p + 1] & 0xFF, px[p + 2] & 0xFF) : px[p] & 0xFF;
            }
            sums[ox] += s;
        }
    }

    private void accumulateRgb(byte[] px, int rowOffset, int fc, boolean rgbSource, Windows cols) {
        for (int ox = 0; ox < width; ox++) {
            long r = 0;
            long g = 0;
            long b = 0;
            int end = cols.end[ox];
            for (int x = cols.start[ox]; x < end; x++) {
                int p = rowOffset + x * fc;
                int v = px[p] & 0xFF;
                r += v;
                if (rgbSource) {
                    g += px[p + 1] & 0xFF;
                    b += px[p + 2] & 0xFF;
                } else {
                    g += v;
                    b += v;
                }
            }
            sums[ox] += r;
            sums[width + ox] += g;
            sums[2 * width + ox] += b;
        }
    }

    /** The contract's integer BT.601 luma: {@code (299R + 587G + 114B + 500) / 1000}, truncating. */
    static int gray(int r, int g, int b) {
        return (299 * r + 587 * g + 114 * b + 500) / 1000;
    }

    private static Windows windows(Map<Integer, Windows> cache, int in, int out) {
        Windows w = cache.get(in);
        if (w == null) {
            if (cache.size() >= MAX_CACHED_SIZES) {
                cache.clear();
            }
            w = new Windows(in, out);
            cache.put(in, w);
        }
        return w;
    }

    /** adaptive_avg_pool windows of one axis: output i averages inputs [floor(i*I/O), ceil((i+1)*I/O)). */
    static final class Windows {
        final int[] start;
        final int[] end;

        Windows(int in, int out) {
            start = new int[out];
            end = new int[out];
            for (int i = 0; i < out; i++) {
                start[i] = (int) (((long) i * in) / out);
                end[i] = (int) (((long) (i + 1) * in + out - 1) / out);
            }
        }
    }
}
