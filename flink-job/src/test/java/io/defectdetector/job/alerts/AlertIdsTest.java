package io.defectdetector.job.alerts;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.UUID;
import org.junit.jupiter.api.Test;

class AlertIdsTest {

    @Test
    void matchesAnIndependentUuid5Implementation() {
        // Python: uuid.uuid5(NAMESPACE, "5:cam-18:frame-4210:cae-fabric12:2026-11-25.1"), as docs/alerts.md shows.
        assertThat(AlertIds.alertId("cam-1", "frame-42", "cae-fabric", "2026-11-25.1"))
                .isEqualTo("0bb836fe-c0fb-5d43-b6d9-6b8fd10b04f5");
        // Lengths are UTF-8 bytes: "été" is 5 bytes.
        assertThat(AlertIds.alertId("cam-1", "été", "m", "1")).isEqualTo("4013142c-b959-5d0d-a1d9-566110be6d8d");
    }

    @Test
    void isAVersion5Uuid() {
        UUID id = UUID.fromString(AlertIds.alertId("c", "f", "m", "v"));
        assertThat(id.version()).isEqualTo(5);
        assertThat(id.variant()).isEqualTo(2);
    }

    @Test
    void everyPartChangesTheIdAndPartBoundariesMatter() {
        String base = AlertIds.alertId("cam", "f1", "m", "1");
        assertThat(AlertIds.alertId("cam", "f1", "m", "1")).isEqualTo(base);
        assertThat(AlertIds.alertId("cam2", "f1", "m", "1")).isNotEqualTo(base);
        assertThat(AlertIds.alertId("cam", "f2", "m", "1")).isNotEqualTo(base);
        assertThat(AlertIds.alertId("cam", "f1", "n", "1")).isNotEqualTo(base);
        assertThat(AlertIds.alertId("cam", "f1", "m", "2")).isNotEqualTo(base);
        assertThat(AlertIds.alertId("a:b", "c", "m", "1")).isNotEqualTo(AlertIds.alertId("a", "b:c", "m", "1"));
    }
}
