package io.defectdetector.job.alerts;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Iterator;
import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageWriter;
import javax.imageio.stream.MemoryCacheImageOutputStream;

/**
 * A small colour-mapped picture of an error map for alerts: area-averaged down to at most {@link #MAX_SIDE}
 * pixels on the longer side (aspect kept), then mapped through a perceptually ordered ramp (black, purple, red,
 * orange, yellow) where 0 is black and {@code fullScale} or more is yellow. Callers pass twice the pixel
 * threshold as full scale, so the threshold sits mid-ramp. A 64x64 map is typically 2-6 KB of PNG.
 */
public final class HeatmapPng {
    public static final int MAX_SIDE = 64;
    private static final int[] RAMP = ramp();

    private HeatmapPng() {
    }

    public static byte[] encode(float[] map, int width, int height, double fullScale) {
        if (width < 1 || height < 1 || map.length < width * height) {
            throw new IllegalArgumentException("error map of " + map.length + " floats cannot be " + width + "x"
                    + height);
        }
        double longer = Math.max(width, height);
        int outW = Math.max(1, (int) Math.round(width * Math.min(1.0, MAX_SIDE / longer)));
        int outH = Math.max(1, (int) Math.round(height * Math.min(1.0, MAX_SIDE / longer)));
        double scale = fullScale > 0 && Double.isFinite(fullScale) ? fullScale : maxOf(map, width * height);
        BufferedImage image = new BufferedImage(outW, outH, BufferedImage.TYPE_INT_RGB);
        for (int oy = 0; oy < outH; oy++) {
            int y0 = (int) ((long) oy * height / outH);
            int y1 = (int) (((long) (oy + 1) * height + outH - 1) / outH);
            for (int ox = 0; ox < outW; ox++) {
                int x0 = (int) ((long) ox * width / outW);
                int x1 = (int) (((long) (ox + 1) * width + outW - 1) / outW);
                double sum = 0;
                for (int y = y0; y < y1; y++) {
                    for (int x = x0; x < x1; x++) {
                        float e = map[y * width + x];
                        sum += Float.isNaN(e) ? 0 : e;
                    }
                }
                double v = sum / ((double) (y1 - y0) * (x1 - x0)) / (scale > 0 ? scale : 1);
                int index = (int) Math.round(Math.max(0, Math.min(1, v)) * 255);
                image.setRGB(ox, oy, RAMP[index]);
            }
        }
        return png(image);
    }

    private static double maxOf(float[] map, int n) {
        double max = 0;
        for (int i = 0; i < n; i++) {
            if (map[i] > max && Float.isFinite(map[i])) {
                max = map[i];
            }
        }
        return max;
    }

    /** In memory: ImageIO.write would buffer through a temporary file by default. */
    private static byte[] png(BufferedImage image) {
        Iterator<ImageWriter> writers = ImageIO.getImageWritersByFormatName("png");
        if (!writers.hasNext()) {
            throw new IllegalStateException("this JVM has no PNG writer");
        }
        ImageWriter writer = writers.next();
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(4096);
        try (MemoryCacheImageOutputStream out = new MemoryCacheImageOutputStream(bytes)) {
            writer.setOutput(out);
            writer.write(null, new IIOImage(image, null, null), null);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot encode heatmap PNG", e);
        } finally {
            writer.dispose();
        }
        return bytes.toByteArray();
    }

    private static int[] ramp() {
        int[][] stops = {{0, 0, 0}, {87, 16, 110}, {188, 55, 84}, {249, 142, 9}, {252, 255, 164}};
        int[] lut = new int[256];
        for (int i = 0; i < 256; i++) {
            double t = i / 255.0 * (stops.length - 1);
            int k = Math.min(stops.length - 2, (int) t);
            double f = t - k;
            int r = (int) Math.round(stops[k][0] + f * (stops[k + 1][0] - stops[k][0]));
            int g = (int) Math.round(stops[k][1] + f * (stops[k + 1][1] - stops[k][1]));
            int b = (int) Math.round(stops[k][2] + f * (stops[k + 1][2] - stops[k][2]));
            lut[i] = (r << 16) | (g << 8) | b;
        }
        return lut;
    }
}
