package io.defectdetector.job.scoring;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.FloatBuffer;
import org.junit.jupiter.api.Test;

class ReconstructionErrorTest {

    @Test
    void errorIsSquaredDifferenceAveragedOverChannelsAndScoreIsItsMax() {
        // 3 channels, 1x2 pixels, planes R | G | B.
        float[] input = {1.0f, 0.5f, 0.0f, 0.5f, 0.2f, 0.5f};
        float[] recon = {0.0f, 0.5f, 0.0f, 0.0f, 0.2f, 0.5f};
        float[] map = new float[2];
        float score = ReconstructionError.squaredErrorMap(input, recon, 3, 1, 2, map);
        assertThat(map[0]).isEqualTo(1f / 3);
        assertThat(map[1]).isEqualTo(0.25f / 3);
        assertThat(score).isEqualTo(1f / 3);
    }

    @Test
    void readsTheRequestedImageOfABatch() {
        float[] input = {9f, 9f, 0.5f, 1f};
        float[] recon = {0f, 0f, 0.5f, 0f};
        float[] map = new float[2];
        float score = ReconstructionError.squaredErrorMap(FloatBuffer.wrap(input), FloatBuffer.wrap(recon), 1, 1, 1,
                2, map);
        assertThat(map).containsExactly(0f, 1f);
        assertThat(score).isEqualTo(1f);
    }
}
