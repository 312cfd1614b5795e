package io.defectdetector.job.thresholds;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.Random;
import org.junit.jupiter.api.Test;

class ThresholdSuggestionTest {

    @Test
    void takesTheSplitConformalRankAndStaysJustAboveIt() {
        float[] scores = new float[199];
        for (int i = 0; i < scores.length; i++) {
            scores[i] = (i + 1) / 1000f;  // 0.001 .. 0.199, shuffled below
        }
        shuffle(scores);

        ThresholdSuggestion s = ThresholdSuggestion.of(scores, 0.01);

        assertThat(s.rank()).isEqualTo(198);  // ceil(200 * 0.99)
        assertThat(s.resolved()).isTrue();
        assertThat(s.rankedScore()).isCloseTo(0.198, within(1e-6));
        // 0.198 itself is the ranked float as the job applies it (and that frame would alert): one step more
        assertThat(s.suggested()).isEqualByComparingTo("0.199");
        // The job alerts at score >= threshold: the ranked frame does not, the one above it does.
        assertThat(ThresholdSuggestion.atOrAbove(scores, s.imageScore())).isEqualTo(1);
        assertThat(s.max()).isCloseTo(0.199, within(1e-6));
        assertThat(s.median()).isCloseTo(0.100, within(1e-6));
    }

    @Test
    void theSuggestionHasThreeSignificantDigitsAndStaysAboveAsTheJobAppliesIt() {
        assertThat(ThresholdSuggestion.justAbove(1234.5)).hasToString("1240");
        assertThat(ThresholdSuggestion.justAbove(0.000123456)).isEqualByComparingTo("0.000124");
        assertThat(ThresholdSuggestion.justAbove(0.5)).isEqualByComparingTo("0.501");
        // The float 0.198 is 0.19799999892...: 0.198 would be applied as that very float, and it would alert.
        assertThat(ThresholdSuggestion.justAbove(0.198f)).isEqualByComparingTo("0.199");
        assertThat(ThresholdSuggestion.atOrAbove(new float[] {0.198f}, 0.198)).isEqualTo(1);
        java.util.Random random = new java.util.Random(5);
        for (int i = 0; i < 100_000; i++) {
            float score = (float) Math.exp(random.nextGaussian() * 4);
            assertThat(ThresholdSuggestion.atOrAbove(new float[] {score},
                    ThresholdSuggestion.justAbove(score).doubleValue())).as("%s", score).isZero();
        }
    }

    @Test
    void aboutTheTargetRateOfNewGoodFramesExceedIt() {
        Random random = new Random(3);
        float[] calibration = new float[2000];
        for (int i = 0; i < calibration.length; i++) {
            calibration[i] = (float) Math.exp(random.nextGaussian() * 0.3 - 1);
        }
        double threshold = ThresholdSuggestion.of(calibration, 0.02).imageScore();
        float[] later = new float[100_000];
        for (int i = 0; i < later.length; i++) {
            later[i] = (float) Math.exp(random.nextGaussian() * 0.3 - 1);
        }
        assertThat(ThresholdSuggestion.atOrAbove(later, threshold) / (double) later.length).isBetween(0.01, 0.03);
    }

    @Test
    void withTooFewFramesTakesTheLargestAndSaysSo() {
        ThresholdSuggestion s = ThresholdSuggestion.of(new float[] {0.5f, 0.9f, 0.7f}, 0.01);

        assertThat(s.resolved()).isFalse();
        assertThat(s.rankedScore()).isCloseTo(0.9, within(1e-6));
        assertThat(s.describe(0.01)).contains("the largest of the 3 scores").contains("that needs 99");
    }

    @Test
    void refusesNothingToWorkOnAndImpossibleRates() {
        assertThatThrownBy(() -> ThresholdSuggestion.of(new float[0], 0.01)).hasMessageContaining("no scores");
        assertThatThrownBy(() -> ThresholdSuggestion.of(new float[] {1f}, 0)).hasMessageContaining("(0, 1)");
        assertThatThrownBy(() -> ThresholdSuggestion.of(new float[] {1f}, 1)).hasMessageContaining("(0, 1)");
    }

    private static void shuffle(float[] a) {
        Random random = new Random(1);
        for (int i = a.length - 1; i > 0; i--) {
            int j = random.nextInt(i + 1);
            float t = a[i];
            a[i] = a[j];
            a[j] = t;
        }
    }
}
