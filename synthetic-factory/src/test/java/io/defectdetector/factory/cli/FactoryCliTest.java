package io.defectdetector.factory.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.defectdetector.kafka.LocalKafkaExtension;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import picocli.CommandLine;

class FactoryCliTest {
    @RegisterExtension
    static final LocalKafkaExtension KAFKA = new LocalKafkaExtension();

    private record Run(int exit, String out, String err) {
    }

    private static Run run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cli = FactoryCli.commandLine();
        cli.setOut(new PrintWriter(out));
        cli.setErr(new PrintWriter(err));
        int exit = cli.execute(args);
        return new Run(exit, out.toString(), err.toString());
    }

    @ParameterizedTest
    @ValueSource(strings = {"dataset", "contact-sheet", "simulate", "bench-simulator"})
    void everySubcommandHasHelp(String command) {
        Run r = run(command, "--help");
        assertThat(r.exit()).isZero();
        assertThat(r.out()).contains("Usage: factory " + command);
    }

    @Test
    void rootHelpListsTheSubcommands() {
        Run r = run("--help");
        assertThat(r.exit()).isZero();
        assertThat(r.out()).contains("dataset", "contact-sheet", "simulate", "bench-simulator");
    }

    @Test
    void rejectsAnUnknownProductNamingTheKnownOnes(@TempDir Path dir) {
        Run r = run("dataset", "--out", dir.toString(), "--products", "glass");
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.err()).contains("unknown product 'glass'", "fabric, metal, tiles, wood, pcb");
    }

    @Test
    void optionValuesOutOfRangeAreOneLineNotAStackTrace(@TempDir Path dir) {
        Run r = run("dataset", "--out", dir.toString(), "--size", "100x8", "--no-progress");
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.err()).isEqualTo("error: image size must be 16..4096 per side, got 100x8" + System.lineSeparator());
        r = run("simulate", "--bootstrap-servers", "127.0.0.1:9", "--rate", "-1", "--duration", "1s");
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.err()).startsWith("error: rate must be >= 0").doesNotContain("\tat ");
    }

    @Test
    void datasetCommandWritesTheRequestedCounts(@TempDir Path dir) throws Exception {
        Run r = run("dataset", "--out", dir.toString(), "--products", "metal", "--size", "32", "--train-good", "3",
                "--test-good", "1", "--per-defect", "1", "--defects", "crack,stain", "--no-progress");
        assertThat(r.exit()).isZero();
        try (var files = Files.walk(dir)) {
            assertThat(files.filter(p -> p.toString().endsWith(".png")).count()).isEqualTo(3 + 1 + 2 + 2);
        }
        assertThat(dir.resolve("metal/ground_truth/crack/000_mask.png")).exists();
        assertThat(dir.resolve("dataset.json")).exists();
    }

    @Test
    void contactSheetCommandWritesAPng(@TempDir Path dir) {
        Path out = dir.resolve("sheets/sheet.png");
        Run r = run("contact-sheet", "--out", out.toString(), "--size", "32", "--products", "fabric,pcb");
        assertThat(r.exit()).isZero();
        assertThat(out).exists();
    }

    @Test
    void simulateCommandPublishesAndWritesGroundTruth(@TempDir Path dir) throws Exception {
        KAFKA.broker().createTopic("cli-frames", 2);
        Path truth = dir.resolve("gt.jsonl");
        Run r = run("simulate", "--bootstrap-servers", KAFKA.bootstrapServers(), "--topic", "cli-frames",
                "--cameras", "2", "--rate", "0", "--frames", "24", "--size", "32", "--product", "wood",
                "--content-type", "jpeg", "--defect-rate", "0.5", "--pool-good", "2", "--pool-defective", "2",
                "--ground-truth", truth.toString(), "--no-progress", "--kafka-property", "linger.ms=1");
        assertThat(r.exit()).as(r.err()).isZero();
        List<String> lines = Files.readAllLines(truth);
        assertThat(lines).hasSize(24).allSatisfy(l -> assertThat(l).contains("\"content_type\":\"image/jpeg\""));
        assertThat(lines.stream().filter(l -> l.contains("\"defective\":true"))).isNotEmpty();
        try (var masks = Files.list(dir.resolve("gt-masks"))) {
            assertThat(masks.count()).isEqualTo(4); // 2 cameras x 2 defective pool images
        }
    }

    @Test
    void simulateReplaysAnImageFolderOrSaysWhyItCannot(@TempDir Path dir) throws Exception {
        Path category = io.defectdetector.factory.camera.ImageFolderTest.category(dir);
        KAFKA.broker().createTopic("cli-replay", 1);
        Path truth = dir.resolve("replay.jsonl");
        Run r = run("simulate", "--bootstrap-servers", KAFKA.bootstrapServers(), "--topic", "cli-replay",
                "--images", category.toString(), "--content-type", "png", "--rate", "0", "--frames", "12",
                "--defect-rate", "0.5", "--ground-truth", truth.toString(), "--no-progress");
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(Files.readAllLines(truth)).hasSize(12)
                .allSatisfy(l -> assertThat(l).contains("\"source\":\"" + category.resolve("test")));

        Run bad = run("simulate", "--bootstrap-servers", KAFKA.bootstrapServers(), "--images",
                dir.resolve("nothing").toString(), "--frames", "1");
        assertThat(bad.exit()).isEqualTo(2);
    }
}
