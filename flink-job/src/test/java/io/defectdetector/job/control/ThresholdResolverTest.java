package io.defectdetector.job.control;

import static org.assertj.core.api.Assertions.assertThat;

import io.defectdetector.job.thresholds.EffectiveThresholds;
import io.defectdetector.job.thresholds.ThresholdOverride;
import io.defectdetector.job.thresholds.ThresholdResolver;
import io.defectdetector.job.thresholds.ThresholdSettings;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ThresholdResolverTest {
    private static final String SCALE = "calibrated:128x128";
    private final ThresholdResolver resolver = new ThresholdResolver(new ThresholdSettings(1.0, 1.0, 16), SCALE);
    private final Map<String, ThresholdOverride> state = new HashMap<>();

    private static ThresholdOverride override(Double image, Double pixel, Integer area, String scale) {
        ThresholdOverride o = new ThresholdOverride();
        o.setImageScore(image);
        o.setPixel(pixel);
        o.setMinRegionArea(area);
        o.setScoreScale(scale);
        return o;
    }

    private EffectiveThresholds resolve(String camera, String line) throws Exception {
        return resolver.resolve(camera, line, state::get);
    }

    @Test
    void usesModelCardWhenNothingIsSet() throws Exception {
        EffectiveThresholds t = resolve("cam-01", "line-1");
        assertThat(t.imageScore()).isEqualTo(1.0);
        assertThat(t.pixel()).isEqualTo(1.0);
        assertThat(t.minRegionArea()).isEqualTo(16);
        assertThat(t.debounceK()).isEqualTo(1);
        assertThat(t.debounceN()).isEqualTo(1);
        assertThat(t.sources()).containsOnly(EffectiveThresholds.MODEL_SOURCE);
    }

    @Test
    void cameraBeatsLineBeatsDefaultFieldByField() throws Exception {
        state.put("default", override(1.5, 1.5, 30, SCALE));
        state.put("line:line-1", override(2.0, 2.0, null, SCALE));
        state.put("camera:cam-01", override(3.0, null, null, SCALE));

        EffectiveThresholds onCamera = resolve("cam-01", "line-1");
        assertThat(onCamera.imageScore()).isEqualTo(3.0);
        assertThat(onCamera.imageScoreSource()).isEqualTo("camera:cam-01");
        assertThat(onCamera.pixel()).isEqualTo(2.0);
        assertThat(onCamera.pixelSource()).isEqualTo("line:line-1");
        assertThat(onCamera.minRegionArea()).isEqualTo(30);
        assertThat(onCamera.minRegionAreaSource()).isEqualTo("default");

        EffectiveThresholds otherCameraSameLine = resolve("cam-02", "line-1");
        assertThat(otherCameraSameLine.imageScore()).isEqualTo(2.0);

        EffectiveThresholds cameraWithoutLine = resolve("cam-01", null);
        assertThat(cameraWithoutLine.pixel()).isEqualTo(1.5);
        assertThat(cameraWithoutLine.imageScore()).isEqualTo(3.0);
    }

    @Test
    void skipsScoreSettingsTunedForAnotherScaleButKeepsTheirDebounce() throws Exception {
        ThresholdOverride stale = override(9.0, 9.0, 99, "raw:old-model@1:64x64");
        stale.setDebounceK(2);
        stale.setDebounceN(3);
        state.put("camera:cam-01", stale);
        state.put("line:line-1", override(2.0, null, null, SCALE));

        EffectiveThresholds t = resolve("cam-01", "line-1");
        assertThat(t.imageScore()).isEqualTo(2.0);
        assertThat(t.imageScoreSource()).isEqualTo("line:line-1");
        assertThat(t.pixel()).isEqualTo(1.0);
        assertThat(t.minRegionArea()).isEqualTo(16);
        assertThat(t.debounceK()).isEqualTo(2);
        assertThat(t.debounceN()).isEqualTo(3);
        assertThat(t.debounceSource()).isEqualTo("camera:cam-01");
    }
}
