package io.defectdetector.demo;

import static org.assertj.core.api.Assertions.assertThat;

import io.defectdetector.factory.cli.FactoryCli;
import io.defectdetector.job.config.DeliveryMode;
import io.defectdetector.job.config.JobConfig;
import io.defectdetector.job.config.JobOptions;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** Wrong arguments stop the demo with one line that says what to fix, before a broker or cluster starts. */
class DemoArgumentsTest {

    private static String stderrOf(int[] code, String... args) {
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        PrintStream console = System.err;
        System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
        try {
            code[0] = new CommandLine(new DemoMain()).execute(args);
        } finally {
            System.setErr(console);
        }
        return captured.toString(StandardCharsets.UTF_8);
    }

    @Test
    void aMissingModelIsOneLineNotAStackTrace(@TempDir Path dir) {
        int[] code = new int[1];
        String err = stderrOf(code, "--model", dir.resolve("none.onnx").toString(), "--output",
                dir.resolve("out").toString());
        assertThat(code[0]).isEqualTo(2);
        assertThat(err).startsWith("error: --model: model file " + dir.resolve("none.onnx") + " does not exist")
                .doesNotContain("\tat ");
        assertThat(dir.resolve("out/ground-truth.jsonl")).doesNotExist();
    }

    @Test
    void aNegativeAspectToleranceIsRefused(@TempDir Path dir) {
        int[] code = new int[1];
        String err = stderrOf(code, "--frame-aspect-tolerance", "-1", "--model",
                Path.of("..", "models", "default", "cae.onnx").toString(), "--output", dir.resolve("out").toString());
        assertThat(code[0]).isEqualTo(2);
        assertThat(err).contains("error: --frame-aspect-tolerance: aspect tolerance must be finite and >= 0");
    }

    @Test
    void cameraSettingsOutOfRangeAreOneLine(@TempDir Path dir) {
        int[] code = new int[1];
        String err = stderrOf(code, "--defect-rate", "2", "--output", dir.resolve("out").toString(), "--model",
                Path.of("..", "models", "default", "cae.onnx").toString());
        assertThat(code[0]).isEqualTo(2);
        assertThat(err).startsWith("error: defect rate must be in 0..1, got 2.0").doesNotContain("\tat ");
    }

    @Test
    void imagesOfAShapeTheModelRefusesStopTheDemoBeforeAnythingStarts(@TempDir Path dir) {
        Path data = dir.resolve("data");
        assertThat(FactoryCli.commandLine().execute("dataset", "--out", data.toString(), "--products", "tiles",
                "--size", "192x128", "--train-good", "1", "--test-good", "2", "--per-defect", "1",
                "--defects", "hole", "--no-progress")).isZero();
        int[] code = new int[1];
        String err = stderrOf(code, "--images", data.resolve("tiles").toString(), "--model",
                Path.of("..", "models", "default", "cae.onnx").toString(), "--output", dir.resolve("out").toString());

        // 3:2 frames for the square default model: every one would go to the dead letters as WRONG_SHAPE.
        assertThat(code[0]).isEqualTo(2);
        assertThat(err).startsWith("error: --images: " + data.resolve("tiles/test/good/000.png"))
                .contains("WRONG_SHAPE: frame 192x128 has aspect ratio 1.500")
                .contains("--size WxH").contains("--frame-aspect-tolerance");
        assertThat(dir.resolve("out/ground-truth.jsonl")).as("no broker or cluster started").doesNotExist();
    }

    @Test
    void jobOptionsAreCheckedAsTheJobChecksThemBeforeAnythingStarts(@TempDir Path dir) {
        String model = Path.of("..", "models", "default", "cae.onnx").toString();
        String out = dir.resolve("out").toString();
        int[] code = new int[1];

        String typo = stderrOf(code, "--model", model, "--output", out, "--job-option", "batch-max-sise=16");
        assertThat(code[0]).isEqualTo(2);
        assertThat(typo).startsWith("error: --job-option: unknown option --batch-max-sise")
                .contains("did you mean --batch-max-size?").contains("docs/configuration.md").doesNotContain("\tat ");

        String badValue = stderrOf(code, "--model", model, "--output", out, "--job-option", "batch-max-size=0");
        assertThat(code[0]).isEqualTo(2);
        assertThat(badValue).startsWith("error: --job-option: ").contains("batch-max-size");

        String own = stderrOf(code, "--model", model, "--output", out, "--job-option", "delivery-guarantee=NONE");
        assertThat(code[0]).isEqualTo(2);
        assertThat(own).startsWith("error: --job-option: delivery-guarantee is set by the demo itself: use its "
                + "--delivery option");

        String broker = stderrOf(code, "--model", model, "--output", out, "--job-option",
                "kafka.security.protocol=SSL");
        assertThat(code[0]).isEqualTo(2);
        assertThat(broker).startsWith("error: --job-option: kafka.security.protocol is set by the demo itself");

        // refused by the job for the options together (the demo's parallelism is 2), before anything starts
        String together = stderrOf(code, "--model", model, "--output", out, "--job-option", "max-parallelism=1");
        assertThat(code[0]).isEqualTo(2);
        assertThat(together).startsWith("error: --job-option: ").contains("max-parallelism").doesNotContain("\tat ");

        String twice = stderrOf(code, "--model", model, "--output", out, "--job-option", "batch-max-size=4",
                "--job-option", "batch-max-size=8");
        assertThat(code[0]).isEqualTo(2);
        assertThat(twice).startsWith("error: --job-option: batch-max-size is given more than once");

        String noValue = stderrOf(code, "--model", model, "--output", out, "--job-option", "batch-max-size");
        assertThat(code[0]).isEqualTo(2);
        assertThat(noValue).startsWith("error: --job-option: 'batch-max-size' is not KEY=VALUE");
        assertThat(dir.resolve("out/ground-truth.jsonl")).as("no broker or cluster started").doesNotExist();
    }

    @Test
    void jobOptionsReachTheJobBesideTheDemosOwn() {
        DemoMain demo = new DemoMain();
        new CommandLine(demo).setCaseInsensitiveEnumValuesAllowed(true).parseArgs("--delivery", "at-least-once",
                "--job-option", "batch-max-size=16", "--job-option", "input-range-check=false",
                "--job-option", "kafka-transaction-timeout=20min");

        JobConfig job = demo.jobConfig("127.0.0.1:9092");

        assertThat(job.get(JobOptions.BATCH_MAX_SIZE)).isEqualTo(16);
        assertThat(job.get(JobOptions.INPUT_RANGE_CHECK)).isFalse();
        assertThat(job.get(JobOptions.KAFKA_TRANSACTION_TIMEOUT)).hasMinutes(20);
        assertThat(job.delivery()).isEqualTo(DeliveryMode.AT_LEAST_ONCE);
        assertThat(job.bootstrapServers()).isEqualTo("127.0.0.1:9092");
    }

    @Test
    void replayedImagesOutsideTheInputRangeEachAlertUnlessAJobOptionSaysOtherwise() {
        // Independent files, as model-export's evaluate counts them; a live camera keeps the job's flood guard.
        DemoMain simulated = new DemoMain();
        new CommandLine(simulated).parseArgs();
        assertThat(simulated.jobConfig("127.0.0.1:9092").get(JobOptions.INPUT_RANGE_ALERT_INTERVAL))
                .isEqualTo(JobOptions.INPUT_RANGE_ALERT_INTERVAL.defaultValue());

        DemoMain replay = new DemoMain();
        new CommandLine(replay).parseArgs("--images", "/data/bottle");
        assertThat(replay.jobConfig("127.0.0.1:9092").get(JobOptions.INPUT_RANGE_ALERT_INTERVAL)).isZero();

        DemoMain chosen = new DemoMain();
        new CommandLine(chosen).parseArgs("--images", "/data/bottle", "--job-option",
                "input-range-alert-interval=30 s");
        assertThat(chosen.jobConfig("127.0.0.1:9092").get(JobOptions.INPUT_RANGE_ALERT_INTERVAL)).hasSeconds(30);
    }
}
