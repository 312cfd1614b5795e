package io.defectdetector.demo;

import io.defectdetector.factory.BoundingBox;
import io.defectdetector.factory.image.Image;
import io.defectdetector.factory.image.Png;
import io.defectdetector.job.alerts.DefectAlert;
import io.defectdetector.job.scoring.DefectRegion;
import java.awt.AlphaComposite;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.Locale;
import javax.imageio.ImageIO;

/**
 * One PNG per alert: left, the frame with the detected regions (red) and the true defect's box (green, when the
 * frame really is defective); right, the frame with the alert's error heatmap blended over it; a caption below.
 */
public final class OverlayWriter {
    private static final int CAPTION_HEIGHT = 36;
    private static final Color DETECTED = new Color(255, 48, 48);
    private static final Color TRUTH = new Color(64, 220, 64);

    private final Path folder;

    public OverlayWriter(Path folder) throws IOException {
        this.folder = Files.createDirectories(folder);
    }

    /** @param truthBox the real defect's bounding box in frame pixels, or null for a frame without defect */
    public Path write(DefectAlert alert, Image frame, BoundingBox truthBox, String truthLabel) throws IOException {
        int w = frame.width();
        int h = frame.height();
        BufferedImage canvas = new BufferedImage(2 * w, h + CAPTION_HEIGHT, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = canvas.createGraphics();
        try {
            g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
            BufferedImage picture = Png.toBuffered(frame);
            g.drawImage(picture, 0, 0, null);
            g.drawImage(picture, w, 0, null);

            BufferedImage heatmap = heatmap(alert);
            if (heatmap != null) {
                g.setComposite(AlphaComposite.getInstance(AlphaComposite.SRC_OVER, 0.55f));
                g.setRenderingHint(RenderingHints.KEY_INTERPOLATION, RenderingHints.VALUE_INTERPOLATION_BILINEAR);
                g.drawImage(heatmap, w, 0, w, h, null);
                g.setComposite(AlphaComposite.SrcOver);
            }

            g.setStroke(new BasicStroke(2f));
            if (truthBox != null) {
                g.setColor(TRUTH);
                g.drawRect(truthBox.x() - 2, truthBox.y() - 2, truthBox.width() + 4, truthBox.height() + 4);
            }
            g.setColor(DETECTED);
            if (alert.getRegions() != null) {
                for (DefectRegion r : alert.getRegions()) {
                    for (int panel = 0; panel < 2; panel++) {
                        g.drawRect(panel * w + r.x(), r.y(), Math.max(1, r.width() - 1), Math.max(1, r.height() - 1));
                    }
                }
            }

            g.setColor(Color.WHITE);
            g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
            g.drawString(String.format(Locale.ROOT, "%s %s  score %.2f (threshold %.2f)  regions %d",
                    alert.getCameraId(), alert.getFrameId(), alert.getScore(), alert.getThreshold(),
                    alert.getRegionCount()), 6, h + 15);
            g.drawString("truth: " + truthLabel + "   red = detected regions, green = true defect", 6, h + 30);
        } finally {
            g.dispose();
        }
        Path file = folder.resolve(safe(alert.getCameraId() + "_" + alert.getFrameId()) + ".png");
        ImageIO.write(canvas, "png", file.toFile());
        return file;
    }

    private static BufferedImage heatmap(DefectAlert alert) throws IOException {
        if (alert.getHeatmapPng() == null || alert.getHeatmapPng().isEmpty()) {
            return null;
        }
        return ImageIO.read(new ByteArrayInputStream(Base64.getDecoder().decode(alert.getHeatmapPng())));
    }

    private static String safe(String name) {
        return name.replaceAll("[^A-Za-z0-9._-]", "_");
    }
}
