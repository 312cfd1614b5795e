package io.defectdetector.factory.defects;

import io.defectdetector.factory.BoundingBox;
import io.defectdetector.factory.image.Image;
import io.defectdetector.factory.surface.Scene;
import java.util.SplittableRandom;

/**
 * Paints a defect onto a scene and derives its ground truth honestly: after quantisation, a pixel belongs to
 * the defect if some channel moved by at least {@link #MIN_DELTA} levels; pixels the painter moved by less are
 * put back exactly as in the good image. So mask == (defective != good), and every masked pixel is visibly
 * changed — a faint defect edge is cut at the visibility threshold rather than left unmarked.
 */
public final class DefectApplier {
    public static final int MIN_DELTA = 8;
    private static final int ATTEMPTS = 24;

    private DefectApplier() {
    }

    public record Result(Image image, Image mask, BoundingBox bbox, int pixels) {
    }

    public static Result apply(Scene scene, Image good, DefectKind kind, SplittableRandom rng) {
        double s = scene.scale();
        int minPixels = Math.max(6, (int) Math.round(14 * s * s));
        Result best = null;
        for (int attempt = 0; attempt < ATTEMPTS; attempt++) {
            float[] light = scene.cleanCopy();
            kind.painter().paint(new Canvas(scene, light), rng);
            Result r = reconcile(good, scene.expose(light));
            if (r.pixels >= minPixels) {
                return r;
            }
            // Too faint or mostly outside the image: draw again (deterministically, from the same stream).
            if (best == null || r.pixels > best.pixels) {
                best = r;
            }
        }
        if (best.pixels == 0) {
            throw new IllegalStateException("could not paint a visible " + kind + " in " + ATTEMPTS + " attempts");
        }
        return best;
    }

    static Result reconcile(Image good, Image painted) {
        int w = good.width();
        int h = good.height();
        int ch = good.channels();
        byte[] g = good.pixels();
        byte[] out = painted.pixels();
        byte[] mask = new byte[w * h];
        int minX = w;
        int minY = h;
        int maxX = -1;
        int maxY = -1;
        int count = 0;
        for (int p = 0; p < w * h; p++) {
            int delta = 0;
            for (int c = 0; c < ch; c++) {
                delta = Math.max(delta, Math.abs((out[p * ch + c] & 0xff) - (g[p * ch + c] & 0xff)));
            }
            if (delta >= MIN_DELTA) {
                mask[p] = (byte) 255;
                count++;
                int x = p % w;
                int y = p / w;
                minX = Math.min(minX, x);
                maxX = Math.max(maxX, x);
                minY = Math.min(minY, y);
                maxY = Math.max(maxY, y);
            } else if (delta > 0) {
                System.arraycopy(g, p * ch, out, p * ch, ch);
            }
        }
        BoundingBox bbox = count == 0 ? null : new BoundingBox(minX, minY, maxX - minX + 1, maxY - minY + 1);
        return new Result(painted, new Image(w, h, 1, mask), bbox, count);
    }
}
