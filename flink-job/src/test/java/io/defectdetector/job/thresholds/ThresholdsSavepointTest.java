package io.defectdetector.job.thresholds;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

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

    @Test
    void aResetThatChangesNothingIsRefusedAndWritesNothing(@TempDir Path dir) throws Exception {
        String v2 = Path.of(getClass().getResource("/savepoints/thresholds-v2").toURI()).toString();
        ThresholdOverride debounceOnly = new ThresholdOverride();
        debounceOnly.setDebounceK(2);
        debounceOnly.setDebounceN(3);
        debounceOnly.setUpdatedBy("alice");
        String one = dir.resolve("one").toString();
        ThresholdsSavepoint.write(v2, one, new TreeMap<>(Map.of("camera:cam-1", debounceOnly)));

        Path typo = dir.resolve("typo");
        StringWriter err = new StringWriter();
        assertThat(reset(err, one, typo, "camera:cam-01")).isEqualTo(ThresholdsSavepointCli.REFUSED);
        assertThat(err.toString()).contains("camera:cam-01 has no override").contains("(overrides: camera:cam-1)")
                .contains("no savepoint written");
        assertThat(typo).doesNotExist();

        Path noSuchField = dir.resolve("no-such-field");
        StringWriter err2 = new StringWriter();
        assertThat(reset(err2, one, noSuchField, "camera:cam-1", "--field", "image_score"))
                .isEqualTo(ThresholdsSavepointCli.REFUSED);
        assertThat(err2.toString()).contains("camera:cam-1 holds none of image_score");
        assertThat(noSuchField).doesNotExist();

        Path done = dir.resolve("done");
        assertThat(reset(new StringWriter(), one, done, "camera:cam-1", "--field", "debounce")).isZero();
        assertThat(ThresholdsSavepoint.read(done.toString())).isEmpty();
    }

    private static int reset(StringWriter err, String savepoint, Path output, String target, String... more) {
        CommandLine cli = ThresholdsSavepointCli.commandLine();
        cli.setErr(new PrintWriter(err, true));
        cli.setOut(new PrintWriter(new StringWriter(), true));
        String[] base = {"reset", "--savepoint", savepoint, "--output", output.toString(), "--target", target,
            "--by", "test"};
        String[] args = java.util.Arrays.copyOf(base, base.length + more.length);
        System.arraycopy(more, 0, args, base.length, more.length);
        return cli.execute(args);
    }
}
