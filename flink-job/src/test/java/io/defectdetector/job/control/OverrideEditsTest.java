package io.defectdetector.job.control;

import static org.assertj.core.api.Assertions.assertThat;

import io.defectdetector.job.thresholds.OverrideEdits;
import io.defectdetector.job.thresholds.ThresholdOverride;
import org.junit.jupiter.api.Test;

class OverrideEditsTest {
    private static final String SCALE = "calibrated:128x128";
    private static final String MODEL = "cae 2";

    private static ControlCommand command(String json, long at) throws Exception {
        ControlCommand c = ControlCommandParser.parse(json);
        c.setRequestedAtMs(at);
        return c;
    }

    @Test
    void setKeepsSettingsItDoesNotName() throws Exception {
        ThresholdOverride first = OverrideEdits.set(null, command(
                "{\"action\":\"set\",\"target\":\"default\",\"by\":\"a\",\"pixel\":1.2,\"debounce\":{\"k\":2,\"n\":3}}",
                10), SCALE, MODEL);
        ThresholdOverride second = OverrideEdits.set(first, command(
                "{\"action\":\"set\",\"target\":\"default\",\"by\":\"b\",\"image_score\":1.4}", 20), SCALE, MODEL);
        assertThat(second.getPixel()).isEqualTo(1.2);
        assertThat(second.getImageScore()).isEqualTo(1.4);
        assertThat(second.getDebounceK()).isEqualTo(2);
        assertThat(second.getScoreScale()).isEqualTo(SCALE);
        assertThat(second.getUpdatedBy()).isEqualTo("b");
        assertThat(second.getUpdatedAtMs()).isEqualTo(20);
        assertThat(first.getImageScore()).as("the old value is not modified").isNull();
    }

    @Test
    void setOnAnOverrideOfAnotherScaleDropsItsOldScoreSettings() throws Exception {
        ThresholdOverride old = new ThresholdOverride();
        old.setPixel(7.0);
        old.setMinRegionArea(3);
        old.setDebounceK(2);
        old.setDebounceN(4);
        old.setScoreScale("raw:old@1:64x64");
        ThresholdOverride next = OverrideEdits.set(old, command(
                "{\"action\":\"set\",\"target\":\"default\",\"by\":\"a\",\"image_score\":1.3}", 5), SCALE, MODEL);
        assertThat(next.getImageScore()).isEqualTo(1.3);
        assertThat(next.getPixel()).isNull();
        assertThat(next.getMinRegionArea()).isNull();
        assertThat(next.getDebounceN()).as("frame counts do not depend on the model").isEqualTo(4);
        assertThat(next.getScoreScale()).isEqualTo(SCALE);
        assertThat(next.getTunedOn()).isEqualTo(MODEL);
    }

    /** tuned_on says which model the score settings were tuned on; editing only the debounce keeps it. */
    @Test
    void aDebounceEditKeepsTheModelTheScoreSettingsWereTunedOn() throws Exception {
        ThresholdOverride old = OverrideEdits.set(null, command(
                "{\"action\":\"set\",\"target\":\"default\",\"by\":\"a\",\"image_score\":1.3}", 1),
                "raw:old@1:64x64", "old 1");
        ThresholdOverride debounced = OverrideEdits.set(old, command(
                "{\"action\":\"set\",\"target\":\"default\",\"by\":\"b\",\"debounce\":{\"k\":2,\"n\":3}}", 2),
                SCALE, MODEL);
        assertThat(debounced.getScoreScale()).isEqualTo("raw:old@1:64x64");
        assertThat(debounced.getTunedOn()).isEqualTo("old 1");
        assertThat(debounced.getUpdatedBy()).isEqualTo("b");
        ThresholdOverride undebounced = OverrideEdits.reset(debounced, new String[] {"debounce"}, command(
                "{\"action\":\"reset\",\"target\":\"default\",\"by\":\"c\",\"fields\":[\"debounce\"]}", 3), MODEL);
        assertThat(undebounced.getTunedOn()).isEqualTo("old 1");
        ThresholdOverride retuned = OverrideEdits.set(undebounced, command(
                "{\"action\":\"set\",\"target\":\"default\",\"by\":\"d\",\"image_score\":1.1}", 4), SCALE, MODEL);
        assertThat(retuned.getTunedOn()).isEqualTo(MODEL);
    }

    @Test
    void resetRemovesNamedSettingsAndTheEntryWhenNothingIsLeft() throws Exception {
        ThresholdOverride o = OverrideEdits.set(null, command(
                "{\"action\":\"set\",\"target\":\"default\",\"by\":\"a\",\"pixel\":1.2,\"debounce\":{\"k\":2,\"n\":3}}",
                1), SCALE, MODEL);
        ThresholdOverride withoutPixel = OverrideEdits.reset(o, new String[] {"pixel"}, command(
                "{\"action\":\"reset\",\"target\":\"default\",\"by\":\"a\",\"fields\":[\"pixel\"]}", 2), MODEL);
        assertThat(withoutPixel.getPixel()).isNull();
        assertThat(withoutPixel.getScoreScale()).as("no score setting left").isNull();
        assertThat(withoutPixel.getDebounceK()).isEqualTo(2);
        assertThat(OverrideEdits.reset(withoutPixel, new String[] {"debounce"}, command(
                "{\"action\":\"reset\",\"target\":\"default\",\"by\":\"a\",\"fields\":[\"debounce\"]}", 3), MODEL))
                .isNull();
        assertThat(OverrideEdits.reset(o, null, command(
                "{\"action\":\"reset\",\"target\":\"default\",\"by\":\"a\"}", 3), MODEL)).isNull();
    }

    @Test
    void resetOfSettingsTheOverrideDoesNotHoldChangesNothingNotEvenItsTimestamp() throws Exception {
        ThresholdOverride o = OverrideEdits.set(null, command(
                "{\"action\":\"set\",\"target\":\"default\",\"by\":\"a\",\"image_score\":1.2}", 1), SCALE, MODEL);
        ThresholdOverride after = OverrideEdits.reset(o, new String[] {"pixel", "debounce"}, command(
                "{\"action\":\"reset\",\"target\":\"default\",\"by\":\"b\",\"fields\":[\"pixel\",\"debounce\"]}",
                9), "other 2");
        assertThat(after).isSameAs(o);
        assertThat(after.getUpdatedAtMs()).isEqualTo(o.getUpdatedAtMs());
        assertThat(after.getUpdatedBy()).isEqualTo("a");
        assertThat(after.getTunedOn()).isEqualTo(MODEL);
    }
}
