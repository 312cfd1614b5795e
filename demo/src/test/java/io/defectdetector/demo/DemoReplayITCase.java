package io.defectdetector.demo;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.defectdetector.factory.cli.FactoryCli;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * The demo with --images, end to end (local broker, the job on a 2-TaskManager MiniCluster, the default model):
 * an MVTec-layout folder on disk is replayed as camera frames, every frame is decided, and the summary scores the
 * alerts against the folder names.
 */
class DemoReplayITCase {

    @Test
    void replaysAnMvtecFolderThroughTheJobAndScoresTheAlertsAgainstItsFolders(@TempDir Path dir) throws Exception {
        Path data = dir.resolve("data");
        assertThat(FactoryCli.commandLine().execute("dataset", "--out", data.toString(), "--products", "tiles",
                "--seed", "11", "--train-good", "1", "--test-good", "8", "--per-defect", "2")).isZero();
        Path category = data.resolve("tiles");
        Path output = dir.resolve("out");

        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        PrintStream console = System.out;
        int code;
        System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
        try {
            code = new CommandLine(new DemoMain()).execute("--images", category.toString(), "--model",
                    Path.of("..", "models", "default", "cae.onnx").toString(), "--duration", "8s", "--rate", "20",
                    "--defect-rate", "0.5", "--cameras", "2", "--output", output.toString());
        } finally {
            System.setOut(console);
        }
        String out = captured.toString(StandardCharsets.UTF_8);
        console.println(out);

        assertThat(code).isZero();
        assertThat(out).contains("images tiles (8 good, 12 defective: contamination, crack, hole, misprint, "
                + "scratch, stain)");
        Matcher frames = Pattern.compile("frames +(\\d+) sent \\((\\d+) defective\\), (\\d+) decided by the job, "
                + "(\\d+) rejected").matcher(out);
        assertThat(frames.find()).isTrue();
        long sent = Long.parseLong(frames.group(1));
        assertThat(sent).isGreaterThan(100);
        assertThat(Long.parseLong(frames.group(3))).as("every frame decided").isEqualTo(sent);
        assertThat(frames.group(4)).isEqualTo("0");

        // The ground truth names each frame's file, labelled by its folder.
        List<String> lines = Files.readAllLines(output.resolve("ground-truth.jsonl"));
        assertThat(lines).hasSize((int) sent);
        ObjectMapper json = new ObjectMapper();
        for (String line : lines) {
            JsonNode n = json.readTree(line);
            Path source = Path.of(n.get("source").asText());
            assertThat(source).startsWith(category.resolve("test"));
            assertThat(source.getParent().getFileName().toString())
                    .isEqualTo(n.get("defective").asBoolean() ? n.get("defect").asText() : "good");
        }

        // Scored against those labels: most defective files alert, good ones do not (the default model's test-set
        // recall is 0.93 at no false alarm; a label mix-up would put both near 0.5).
        Matcher images = Pattern.compile("images +(\\d+) of (\\d+) distinct defective images found .*, (\\d+) of "
                + "(\\d+) distinct good images alerted").matcher(out);
        assertThat(images.find()).isTrue();
        int found = Integer.parseInt(images.group(1));
        int defective = Integer.parseInt(images.group(2));
        assertThat(defective).isBetween(6, 12);
        assertThat(found).isGreaterThanOrEqualTo(defective - 3);
        assertThat(Integer.parseInt(images.group(3))).isLessThanOrEqualTo(1);
        assertThat(Integer.parseInt(images.group(4))).isBetween(4, 8);
        // One overlay per distinct image alerted, although the cameras show each image many times.
        Matcher alerts = Pattern.compile("(?m)^  alerts +(\\d+) \\(").matcher(out);
        assertThat(alerts.find()).isTrue();
        int alerted = found + Integer.parseInt(images.group(3));
        assertThat(Integer.parseInt(alerts.group(1))).as("alerts").isGreaterThan(alerted);
        try (var overlays = Files.list(output.resolve("overlays"))) {
            assertThat(overlays.filter(p -> p.toString().endsWith(".png")).count()).isEqualTo(alerted);
        }
        assertThat(out).contains("overlays " + alerted + " PNG files (one per distinct image alerted)");
    }
}
