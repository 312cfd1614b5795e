package io.defectdetector.factory.image;

import java.awt.image.BufferedImage;
import java.awt.image.DataBufferByte;
import java.awt.image.Raster;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.imageio.ImageIO;

/** PNG files to and from {@link Image}: 8-bit gray for one channel, 8-bit RGB for three. */
public final class Png {
    static {
        ImageIO.setUseCache(false); // encode in memory; no temp files per image
    }

    private Png() {
    }

    public static BufferedImage toBuffered(Image image) {
        int w = image.width();
        int h = image.height();
        byte[] src = image.pixels();
        if (image.channels() == 1) {
            BufferedImage out = new BufferedImage(w, h, BufferedImage.TYPE_BYTE_GRAY);
            byte[] dst = ((DataBufferByte) out.getRaster().getDataBuffer()).getData();
            System.arraycopy(src, 0, dst, 0, src.length);
            return out;
        }
        BufferedImage out = new BufferedImage(w, h, BufferedImage.TYPE_3BYTE_BGR);
        byte[] dst = ((DataBufferByte) out.getRaster().getDataBuffer()).getData();
        for (int i = 0; i < src.length; i += 3) {
            dst[i] = src[i + 2];
            dst[i + 1] = src[i + 1];
            dst[i + 2] = src[i];
        }
        return out;
    }

    public static Image fromBuffered(BufferedImage img) {
        int w = img.getWidth();
        int h = img.getHeight();
        Raster raster = img.getRaster();
        boolean gray = raster.getNumBands() <= 2 && img.getColorModel().getColorSpace().getNumComponents() == 1;
        if (gray) {
            byte[] out = new byte[w * h];
            int[] row = new int[w];
            for (int y = 0; y < h; y++) {
                raster.getSamples(0, y, w, 1, 0, row);
                int bits = raster.getSampleModel().getSampleSize(0);
                for (int x = 0; x < w; x++) {
                    out[y * w + x] = (byte) (bits == 16 ? row[x] >> 8 : row[x]);
                }
            }
            return new Image(w, h, 1, out);
        }
        byte[] out = new byte[w * h * 3];
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                int rgb = img.getRGB(x, y);
                int i = (y * w + x) * 3;
                out[i] = (byte) (rgb >> 16);
                out[i + 1] = (byte) (rgb >> 8);
                out[i + 2] = (byte) rgb;
            }
        }
        return new Image(w, h, 3, out);
    }

    public static byte[] encode(Image image) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(image.pixels().length / 2 + 1024);
        try {
            if (!ImageIO.write(toBuffered(image), "png", bytes)) {
                throw new IllegalStateException("no PNG writer available");
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }

    public static void write(Image image, Path file) throws IOException {
        Files.write(file, encode(image));
    }

    public static Image decode(byte[] png) throws IOException {
        BufferedImage img = ImageIO.read(new ByteArrayInputStream(png));
        if (img == null) {
            throw new IOException("not a readable image");
        }
        return fromBuffered(img);
    }

    public static Image read(Path file) throws IOException {
        return decode(Files.readAllBytes(file));
    }
}
