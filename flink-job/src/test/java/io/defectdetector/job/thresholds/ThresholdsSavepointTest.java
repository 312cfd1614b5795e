package io.defectdetector.job.thresholds;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Offline edits of the committed savepoint chain, as docs/operations.md describes, down to no override at all. */
class ThresholdsSavepointTest {

    @Test
    void removingTheLastOverrideLeavesASavepointTheNextEditReads(@TempDir Path dir) throws Exception {
        String v2 = Path.of(getClass().getResource("/savepoints/thresholds-v2").toURI()).toString();
        Map<String, ThresholdOverride> stored = ThresholdsSavepoint.read(v2);
        assertThat(stored).isNotEmpty();

        String none = dir.resolve("none").toString();
        ThresholdsSavepoint.write(v2, none, Map.of());
        assertThat(ThresholdsSavepoint.read(none)).isEmpty();

        Map.Entry<String, ThresholdOverride> first = stored.entrySet().iterator().next();
        String again = dir.resolve("again").toString();
        ThresholdsSavepoint.write(none, again, new TreeMap<>(Map.of(first.getKey(), first.getValue())));
        assertThat(ThresholdsSavepoint.read(again)).containsExactly(first);
    }
}
