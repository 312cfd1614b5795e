package io.defectdetector.frame;

import static io.defectdetector.frame.TestImages.headers;
import static io.defectdetector.frame.TestImages.utf8;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * PNGs written by PIL/libpng (src/test/resources/fixtures/make_fixtures.py), not by the JDK: the samples must
 * match what the Python side computed, independently of this decoder.
 */
class FrameDecoderFixturesTest {
    private final FrameDecoder decoder = new FrameDecoder();

    @ParameterizedTest(name = "{0}")
    @CsvSource({
        "gray8, 1",
        "gray16, 1",
        "gray-alpha, 1",
        "gray1, 1",
        "rgb8, 3",
        "rgba8, 3",
        "palette-rgb, 3",
        "palette-gray, 1",
    })
    void decodesPilWrittenPngToTheSamplesPythonExpects(String name, int channels) throws Exception {
        Frame frame = decoder.decode(utf8("cam-1"), resource(name + ".png"), headers("f", "1", "image/png"));
        assertThat(frame.getWidth()).isEqualTo(7);
        assertThat(frame.getHeight()).isEqualTo(5);
        assertThat(frame.getChannels()).isEqualTo(channels);
        assertThat(frame.getPixels()).isEqualTo(resource(name + ".expected"));
    }

    private static byte[] resource(String name) throws IOException {
        try (InputStream in = FrameDecoderFixturesTest.class.getResourceAsStream("/fixtures/" + name)) {
            assertThat(in).as(name).isNotNull();
            return in.readAllBytes();
        }
    }
}
