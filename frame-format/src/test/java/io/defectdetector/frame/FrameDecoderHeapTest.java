package io.defectdetector.frame;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.zip.DeflaterOutputStream;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A frame within the limits whose raster does not fit the heap left: 8192x8192 16-bit gray with alpha passes the
 * 64 Mi sample limit (one output channel) but decodes to 256 MiB. In a JVM with a small heap the PNG reader runs
 * out of memory; that frame is a dead letter saying so, not an "undecodable" one (nor a failed task).
 */
class FrameDecoderHeapTest {

    /** Decodes the file given as argument and prints the outcome: run in a JVM of its own with a small heap. */
    public static void main(String[] args) throws Exception {
        byte[] value = Files.readAllBytes(Path.of(args[0]));
        RecordHeaders headers = TestImages.headers("f", "1", "image/png");
        try {
            Frame frame = new FrameDecoder().decode(TestImages.utf8("cam-1"), value, headers);
            System.out.println("decoded " + frame.getWidth() + "x" + frame.getHeight());
        } catch (FrameRejectedException e) {
            System.out.println(e.reason() + ": " + e.getMessage());
        }
    }

    @Test
    void aFrameWhoseRasterDoesNotFitTheHeapIsRejectedAsOversizedNamingTheHeap(@TempDir Path dir) throws Exception {
        Path png = Files.write(dir.resolve("ga16.png"), grayAlpha16(8192, 8192));
        assertThat(Files.size(png)).isLessThan(1 << 20);
        Process java = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx96m", "-cp", System.getProperty("java.class.path"), FrameDecoderHeapTest.class.getName(),
                png.toString()).redirectErrorStream(true).start();
        assertThat(java.waitFor(120, TimeUnit.SECONDS)).isTrue();
        String out = new String(java.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(out).as(out).contains("OVERSIZED: PNG image ran out of Java heap while decoding");
        assertThat(java.exitValue()).as(out).isZero();
    }

    /** A 16-bit gray+alpha PNG of zeros, written by hand (a few hundred KB for 256 MiB of samples). */
    private static byte[] grayAlpha16(int width, int height) throws Exception {
        ByteArrayOutputStream idat = new ByteArrayOutputStream();
        try (DeflaterOutputStream z = new DeflaterOutputStream(idat)) {
            byte[] row = new byte[1 + width * 4]; // filter byte 0, then zeros
            for (int y = 0; y < height; y++) {
                z.write(row);
            }
        }
        ByteBuffer ihdr = ByteBuffer.allocate(13).putInt(width).putInt(height);
        ihdr.put((byte) 16).put((byte) 4).put((byte) 0).put((byte) 0).put((byte) 0);
        ByteArrayOutputStream png = new ByteArrayOutputStream();
        png.write(new byte[] {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'});
        png.write(TestImages.chunk("IHDR", ihdr.array()));
        png.write(TestImages.chunk("IDAT", idat.toByteArray()));
        png.write(TestImages.chunk("IEND", new byte[0]));
        return png.toByteArray();
    }
}
