package io.defectdetector.job.control;

import static org.assertj.core.api.Assertions.assertThat;

import io.defectdetector.job.model.ModelBundle;
import io.defectdetector.job.testing.TestModels;
import io.defectdetector.job.thresholds.ScoreScale;
import org.junit.jupiter.api.Test;

class ScoreScaleTest {

    @Test
    void calibratedModelsShareOneScalePerMapSize() {
        // models/default is written by model-export: thresholds 1.0 / 1.0 in calibrated units.
        ModelBundle model = ModelBundle.locate(TestModels.defaultModelFolder().toString());
        assertThat(ScoreScale.of(model.card())).isEqualTo("calibrated:128x128");
    }

    @Test
    void otherModelsHaveAScaleOfTheirOwnVersion() {
        ModelBundle model = ModelBundle.locate(TestModels.tinyGraph().toString());
        assertThat(ScoreScale.of(model.card())).isEqualTo("raw:tiny-graph@test.1:16x16");
    }
}
