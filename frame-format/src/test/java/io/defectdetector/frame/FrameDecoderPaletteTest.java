package io.defectdetector.frame;

import static io.defectdetector.frame.TestImages.chunk;
import static io.defectdetector.frame.TestImages.headers;
import static io.defectdetector.frame.TestImages.utf8;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.util.zip.Deflater;
import org.junit.jupiter.api.Test;

/** Palette PNGs as docs/wire-format.md describes them, including the out-of-spec ones cameras may still send. */
class FrameDecoderPaletteTest {
    private static final byte[] PALETTE = {10, 20, 30, 40, 50, 60, 31, (byte) 158, (byte) 228}; // 3 colours

    /** An 8-bit palette PNG, one row of these indices, with the given chunks between PLTE and IDAT. */
    private static byte[] palettePng(byte[] palette, byte[] indices, byte[]... extraChunks) {
        return png(indices.length, 8, 3, palette, indices, extraChunks);
    }

    /** A PNG of one row of {@code width} pixels, its packed samples {@code samples}, a PLTE chunk when given. */
    private static byte[] png(int width, int bitDepth, int colourType, byte[] palette, byte[] samples,
            byte[]... extraChunks) {
        ByteBuffer ihdr = ByteBuffer.allocate(13);
        ihdr.putInt(width).putInt(1).put((byte) bitDepth).put((byte) colourType).put((byte) 0).put((byte) 0)
                .put((byte) 0);
        byte[] row = new byte[samples.length + 1]; // filter byte 0, then the samples
        System.arraycopy(samples, 0, row, 1, samples.length);
        Deflater deflater = new Deflater();
        deflater.setInput(row);
        deflater.finish();
        byte[] buf = new byte[256];
        byte[] idat = java.util.Arrays.copyOf(buf, deflater.deflate(buf));
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(new byte[] {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'});
        out.writeBytes(chunk("IHDR", ihdr.array()));
        if (palette != null) {
            out.writeBytes(chunk("PLTE", palette));
        }
        for (byte[] c : extraChunks) {
            out.writeBytes(c);
        }
        out.writeBytes(chunk("IDAT", idat));
        out.writeBytes(chunk("IEND", new byte[0]));
        return out.toByteArray();
    }

    private static Frame decode(byte[] png) throws FrameRejectedException {
        return new FrameDecoder().decode(utf8("cam-1"), png, headers("f", "1", "image/png"));
    }

    @Test
    void anIndexBeyondAShortPaletteTakesItsLastEntry() throws Exception {
        // The JDK's reader pads a 3-colour palette with black up to 256 entries; the wire format says otherwise.
        Frame f = decode(palettePng(PALETTE, new byte[] {0, 2, 3, (byte) 200}));

        assertThat(f.getChannels()).isEqualTo(3);
        assertThat(f.getPixels()).containsExactly(10, 20, 30, 31, 158, 228, 31, 158, 228, 31, 158, 228);
    }

    @Test
    void aGrayImageWithAStrayPaletteKeepsItsGrayLevels() throws Exception {
        // 4-bit gray 0, 5, 10, 15 with a one-entry PLTE (forbidden for gray): the JDK still reads it as gray levels.
        Frame f = decode(png(4, 4, 0, new byte[] {1, 2, 3}, new byte[] {0x05, (byte) 0xAF}));

        assertThat(f.getChannels()).isEqualTo(1);
        assertThat(f.getPixels()).containsExactly(0, 85, 170, 255);
    }

    @Test
    void malformedAncillaryChunksOfAPaletteImageAreIgnoredAsForOtherImages() throws Exception {
        byte[] indices = {0, 1, 2};
        byte[][] malformed = {
                chunk("tEXt", utf8("no separator")),       // keyword without its NUL
                chunk("gAMA", new byte[] {1, 2}),          // 4 bytes long in the spec
                chunk("pHYs", new byte[] {1}),             // 9
                chunk("tRNS", new byte[] {1, 2, 3, 4, 5}), // more entries than the palette has
                chunk("iCCP", utf8("no separator")),
        };
        byte[] expected = decode(palettePng(PALETTE, indices)).getPixels();
        for (byte[] c : malformed) {
            assertThat(decode(palettePng(PALETTE, indices, c)).getPixels())
                    .as(new String(c, 4, 4, java.nio.charset.StandardCharsets.ISO_8859_1)).isEqualTo(expected);
        }
    }

    @Test
    void aCorruptAncillaryChunkIsStillRejectedByItsChecksum() {
        byte[] png = palettePng(PALETTE, new byte[] {0, 1, 2}, chunk("tEXt", utf8("Title\0x")));
        png[TestImages.chunkOffset(png, "tEXt") + 9] ^= 1; // a data byte: the CRC no longer matches

        org.assertj.core.api.Assertions.assertThatThrownBy(() -> decode(png))
                .isInstanceOfSatisfying(FrameRejectedException.class,
                        e -> assertThat(e.reason()).isEqualTo(RejectReason.UNDECODABLE_IMAGE))
                .hasMessageContaining("CRC mismatch in chunk tEXt");
    }
}
