package io.defectdetector.job.scoring;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * Finds defect regions in an error map: pixels with error {@code >=} the pixel threshold, grouped into
 * 8-connected components (diagonal neighbours join), each with its bounding box, area and max/mean error;
 * components smaller than {@code minArea} map pixels are dropped. NaN errors never pass the threshold.
 *
 * <p>Iterative flood fill with an explicit stack (no recursion, so a map-sized blob cannot overflow the thread
 * stack), linear in the map size. Regions come back ordered by max error, highest first (ties: top-left first).
 */
public final class RegionExtractor {

    private static final Comparator<DefectRegion> ORDER = Comparator.comparing(DefectRegion::maxError).reversed()
            .thenComparingInt(DefectRegion::mapY).thenComparingInt(DefectRegion::mapX);

    private RegionExtractor() {
    }

    /** Regions of a map whose frame had the map's own size (both coordinate systems coincide). */
    public static List<DefectRegion> extract(float[] map, int w, int h, double pixelThreshold, int minArea) {
        return extract(map, w, h, w, h, pixelThreshold, minArea);
    }

    /**
     * @param imageWidth  width of the original frame, for the frame-pixel fields of each region
     * @param imageHeight height of the original frame
     */
    public static List<DefectRegion> extract(float[] map, int w, int h, int imageWidth, int imageHeight,
            double pixelThreshold, int minArea) {
        int n = w * h;
        if (w < 1 || h < 1 || map.length < n) {
            throw new IllegalArgumentException("error map of " + map.length + " floats cannot be " + w + "x" + h);
        }
        if (imageWidth < 1 || imageHeight < 1) {
            throw new IllegalArgumentException("image size must be >= 1x1, got " + imageWidth + "x" + imageHeight);
        }
        boolean[] seen = new boolean[n];
        int[] stack = null;
        List<DefectRegion> regions = new ArrayList<>();
        for (int start = 0; start < n; start++) {
            if (seen[start] || !(map[start] >= pixelThreshold)) {
                continue;
            }
            if (stack == null) {
                stack = new int[n];
            }
            int top = 0;
            stack[top++] = start;
            seen[start] = true;
            int minX = w;
            int minY = h;
            int maxX = -1;
            int maxY = -1;
            int count = 0;
            double sum = 0;
            float max = Float.NEGATIVE_INFINITY;
            while (top > 0) {
                int p = stack[--top];
                int px = p % w;
                int py = p / w;
                float e = map[p];
                count++;
                sum += e;
                max = Math.max(max, e);
                minX = Math.min(minX, px);
                maxX = Math.max(maxX, px);
                minY = Math.min(minY, py);
                maxY = Math.max(maxY, py);
                for (int ny = Math.max(0, py - 1); ny <= Math.min(h - 1, py + 1); ny++) {
                    for (int nx = Math.max(0, px - 1); nx <= Math.min(w - 1, px + 1); nx++) {
                        int q = ny * w + nx;
                        if (!seen[q] && map[q] >= pixelThreshold) {
                            seen[q] = true;
                            stack[top++] = q;
                        }
                    }
                }
            }
            if (count >= minArea) {
                regions.add(region(minX, minY, maxX - minX + 1, maxY - minY + 1, count, max, (float) (sum / count),
                        w, h, imageWidth, imageHeight));
            }
        }
        regions.sort(ORDER);
        return regions;
    }

    /**
     * Scales a map-pixel box to frame pixels through the resize windows: map pixel i covers frame pixels
     * floor(i*I/O) .. ceil((i+1)*I/O) - 1 (docs/model-card.md), so the box covers every contributing pixel.
     */
    private static DefectRegion region(int mapX, int mapY, int mapWidth, int mapHeight, int mapArea, float max,
            float mean, int w, int h, int imageWidth, int imageHeight) {
        int x0 = (int) ((long) mapX * imageWidth / w);
        int x1 = (int) (((long) (mapX + mapWidth) * imageWidth + w - 1) / w);
        int y0 = (int) ((long) mapY * imageHeight / h);
        int y1 = (int) (((long) (mapY + mapHeight) * imageHeight + h - 1) / h);
        double pixelsPerMapPixel = (double) imageWidth * imageHeight / ((double) w * h);
        int area = (int) Math.max(1, Math.min(Integer.MAX_VALUE, Math.round(mapArea * pixelsPerMapPixel)));
        return new DefectRegion(x0, y0, x1 - x0, y1 - y0, area, max, mean, mapX, mapY, mapWidth, mapHeight, mapArea);
    }
}
