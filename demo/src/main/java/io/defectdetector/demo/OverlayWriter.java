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
import java.awt.FontMetrics;
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
 * And one PNG per missed defect (see {@link #writeMissed}), so the misses can be looked at as easily as the hits.
 */
public final class OverlayWriter {
    /** Height of one caption line below the frame. */
    private static final int LINE_HEIGHT = 15;
    private static final Font CAPTION_FONT = new Font(Font.SANS_SERIF, Font.PLAIN, 12);
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
        BufferedImage heatmap = heatmap(alert);
        boolean frameFault = DefectAlert.CAUSE_FRAME.equals(alert.getCause());
        String caption = String.format(Locale.ROOT, "%s %s  %sscore %.2f (threshold %.2f)  regions %d%s",
                alert.getCameraId(), alert.getFrameId(), frameFault ? "FRAME FAULT (input out of range)  " : "",
                alert.getScore(), alert.getThreshold(), alert.getRegionCount(),
                alert.getRegionCount() == 0 && !frameFault ? " (no hot spot of the minimum area)" : "");
        return render(folder, alert.getCameraId(), alert.getFrameId(), frame, truthBox, w, (g, picture) -> {
            g.drawImage(picture, w, 0, null);
            if (heatmap != null) {
                g.setComposite(AlphaComposite.getInstance(AlphaComposite.SRC_OVER, 0.55f));
                g.setRenderingHint(RenderingHints.KEY_INTERPOLATION, RenderingHints.VALUE_INTERPOLATION_BILINEAR);
                g.drawImage(heatmap, w, 0, w, h, null);
                g.setComposite(AlphaComposite.SrcOver);
            }
            g.setColor(DETECTED);
            if (alert.getRegions() != null) {
                for (DefectRegion r : alert.getRegions()) {
                    for (int panel = 0; panel < 2; panel++) {
                        g.drawRect(panel * w + r.x(), r.y(), Math.max(1, r.width() - 1), Math.max(1, r.height() - 1));
                    }
                }
            }
        }, caption, "truth: " + truthLabel + "   boxes: red = detected, green = true defect"
                + (heatmap != null ? "\nheatmap: red = error at the pixel threshold, yellow = twice it" : ""));
    }

    /**
     * A defective frame that raised no alert, in {@code missed/}: left, the frame with the true defect's box;
     * right, the defect enlarged (nearest neighbour, no smoothing), so a person can judge how visible it was. A
     * replayed image without a mask ({@code truthBox} null) shows the frame's centre square instead.
     */
    public Path writeMissed(String cameraId, String frameId, Image frame, BoundingBox truthBox, String defect,
            float score, double threshold) throws IOException {
        int w = frame.width();
        int h = frame.height();
        int side = truthBox == null ? Math.min(w, h)
                : Math.min(Math.min(w, h), Math.max(32, Math.max(truthBox.width(), truthBox.height()) + 16));
        int cx = truthBox == null ? w / 2 : truthBox.x() + truthBox.width() / 2;
        int cy = truthBox == null ? h / 2 : truthBox.y() + truthBox.height() / 2;
        int x0 = Math.max(0, Math.min(w - side, cx - side / 2));
        int y0 = Math.max(0, Math.min(h - side, cy - side / 2));
        String caption = String.format(Locale.ROOT, "%s %s  MISSED: no alert, score %s (threshold %.2f)", cameraId,
                frameId, Float.isNaN(score) ? "unknown" : String.format(Locale.ROOT, "%.2f", score), threshold);
        int size = Math.min(w, h);
        return render(folder.resolve("missed"), cameraId, frameId, frame, truthBox, size, (g, picture) -> {
            g.setRenderingHint(RenderingHints.KEY_INTERPOLATION, RenderingHints.VALUE_INTERPOLATION_NEAREST_NEIGHBOR);
            g.drawImage(picture, w, 0, w + size, size, x0, y0, x0 + side, y0 + side, null);
        }, caption, truthBox == null ? "truth: defective (" + defect + "), no mask: where is unknown"
                : "truth: defective (" + defect + "), green box; right: " + side + "x" + side
                        + " px around it, enlarged");
    }

    /** Draws into the right-hand panel; the left panel (frame + true box) and the caption are common. */
    private interface RightPanel {
        void draw(Graphics2D g, BufferedImage picture);
    }

    /** @param rightWidth the width of the right-hand panel, drawn from x = frame width */
    private static Path render(Path folder, String cameraId, String frameId, Image frame, BoundingBox truthBox,
            int rightWidth, RightPanel right, String caption, String legend) throws IOException {
        int w = frame.width();
        int h = frame.height();
        // Small frames (a 128-pixel camera) would cut the caption off: the canvas is at least as wide as the text.
        String[] lines = (caption + "\n" + legend).split("\n");
        BufferedImage canvas = new BufferedImage(Math.max(w + rightWidth, textWidth(lines) + 12),
                h + LINE_HEIGHT * lines.length + 6, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = canvas.createGraphics();
        try {
            g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
            BufferedImage picture = Png.toBuffered(frame);
            g.drawImage(picture, 0, 0, null);
            g.setStroke(new BasicStroke(2f));
            if (truthBox != null) {
                g.setColor(TRUTH);
                g.setClip(0, 0, w, h); // a defect at the frame's edge: its box stays on the left panel
                g.drawRect(truthBox.x() - 2, truthBox.y() - 2, truthBox.width() + 3, truthBox.height() + 3);
                g.setClip(null);
            }
            right.draw(g, picture);
            g.setColor(Color.WHITE);
            g.setFont(CAPTION_FONT);
            for (int i = 0; i < lines.length; i++) {
                g.drawString(lines[i], 6, h + LINE_HEIGHT * (i + 1));
            }
        } finally {
            g.dispose();
        }
        Files.createDirectories(folder);
        Path file = folder.resolve(safe(cameraId + "_" + frameId) + ".png");
        ImageIO.write(canvas, "png", file.toFile());
        return file;
    }

    private static int textWidth(String... lines) {
        Graphics2D g = new BufferedImage(1, 1, BufferedImage.TYPE_INT_RGB).createGraphics();
        try {
            FontMetrics metrics = g.getFontMetrics(CAPTION_FONT);
            int widest = 0;
            for (String line : lines) {
                widest = Math.max(widest, metrics.stringWidth(line));
            }
            return widest;
        } finally {
            g.dispose();
        }
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
