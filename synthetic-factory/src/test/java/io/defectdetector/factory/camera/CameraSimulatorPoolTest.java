package io.defectdetector.factory.camera;

import static org.assertj.core.api.Assertions.assertThat;

import io.defectdetector.factory.image.Image;
import io.defectdetector.factory.surface.Product;
import org.junit.jupiter.api.Test;

/** Pool images are the pixels the job decodes from their record values, which overlays and truth are drawn on. */
class CameraSimulatorPoolTest {

    private static CameraSimulator simulator(FrameEncoding encoding) {
        return new CameraSimulator(SimulatorConfig.defaults("frames", Product.TILES).withCameras(1).withSize(64, 64)
                .withPools(2, 2).withEncoding(encoding));
    }

    @Test
    void aJpegPoolImageIsWhatTheJobDecodesNotTheRenderedPixels() throws Exception {
        CameraSimulator jpeg = simulator(FrameEncoding.JPEG);
        CameraSimulator png = simulator(FrameEncoding.PNG);
        for (int i = 0; i < jpeg.pool(0).size(); i++) {
            PoolImage lossy = jpeg.pool(0).get(i);
            Image decoded = ImageFolder.decodedAsTheJobDoes(lossy.payload(), lossy.contentType());
            assertThat(lossy.image().pixels()).isEqualTo(decoded.pixels());
            // the same render before JPEG: different pixels, the same truth
            PoolImage lossless = png.pool(0).get(i);
            assertThat(lossy.image().pixels()).isNotEqualTo(lossless.image().pixels());
            assertThat(lossy.bbox()).isEqualTo(lossless.bbox());
            assertThat(lossless.image().pixels()).isEqualTo(
                    ImageFolder.decodedAsTheJobDoes(lossless.payload(), lossless.contentType()).pixels());
        }
    }
}
