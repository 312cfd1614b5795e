package io.defectdetector.factory.dataset;

import io.defectdetector.factory.Sample;
import io.defectdetector.factory.Seeds;
import io.defectdetector.factory.SurfaceFactory;
import io.defectdetector.factory.defects.DefectKind;
import io.defectdetector.factory.image.Image;
import io.defectdetector.factory.surface.Product;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.util.List;

/**
 * A grid for people to look at: one row per product, a few good samples then one sample per defect kind, each
 * defect outlined in red just outside its mask (so the outline never hides the defect's own pixels).
 */
public final class ContactSheet {
    private static final int PAD = 8;
    private static final int HEADER = 22;
    private static final int ROW_LABEL = 70;
    private static final int OUTLINE = 0xFF2020;

    private ContactSheet() {
    }

    public static BufferedImage render(SurfaceFactory factory, List<Product> products, List<DefectKind> defects,
            int goodPerProduct, long seed) {
        int cw = factory.width();
        int ch = factory.height();
        int cols = goodPerProduct + defects.size();
        int width = ROW_LABEL + cols * (cw + PAD) + PAD;
        int height = HEADER + products.size() * (ch + PAD) + PAD;
        BufferedImage sheet = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = sheet.createGraphics();
        try {
            g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
            g.setColor(new Color(245, 245, 245));
            g.fillRect(0, 0, width, height);
            g.setColor(Color.DARK_GRAY);
            g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 13));
            for (int col = 0; col < cols; col++) {
                String title = col < goodPerProduct ? "good" : defects.get(col - goodPerProduct).id();
                g.drawString(title, ROW_LABEL + col * (cw + PAD) + PAD, HEADER - 6);
            }
            for (int row = 0; row < products.size(); row++) {
                Product product = products.get(row);
                int top = HEADER + row * (ch + PAD);
                g.setColor(Color.DARK_GRAY);
                g.drawString(product.id(), 6, top + ch / 2);
                for (int col = 0; col < cols; col++) {
                    DefectKind kind = col < goodPerProduct ? null : defects.get(col - goodPerProduct);
                    Sample sample = factory.sample(product,
                            Seeds.derive(seed, "contact-sheet", product.id(), col), kind);
                    blit(sheet, sample, ROW_LABEL + col * (cw + PAD) + PAD, top);
                }
            }
        } finally {
            g.dispose();
        }
        return sheet;
    }

    private static void blit(BufferedImage sheet, Sample sample, int left, int top) {
        Image img = sample.image();
        Image mask = sample.mask();
        int w = img.width();
        int h = img.height();
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                int rgb;
                if (sample.defective() && outlines(mask, x, y)) {
                    rgb = OUTLINE;
                } else if (img.channels() == 1) {
                    int v = img.get(x, y, 0);
                    rgb = (v << 16) | (v << 8) | v;
                } else {
                    rgb = (img.get(x, y, 0) << 16) | (img.get(x, y, 1) << 8) | img.get(x, y, 2);
                }
                sheet.setRGB(left + x, top + y, rgb);
            }
        }
    }

    /** True for a pixel outside the mask that touches it (8-neighbourhood). */
    private static boolean outlines(Image mask, int x, int y) {
        if (mask.get(x, y, 0) != 0) {
            return false;
        }
        for (int dy = -1; dy <= 1; dy++) {
            for (int dx = -1; dx <= 1; dx++) {
                int nx = x + dx;
                int ny = y + dy;
                if (nx >= 0 && ny >= 0 && nx < mask.width() && ny < mask.height() && mask.get(nx, ny, 0) != 0) {
                    return true;
                }
            }
        }
        return false;
    }
}
