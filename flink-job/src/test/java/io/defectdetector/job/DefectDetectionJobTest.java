package io.defectdetector.job;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.defectdetector.job.config.JobOptions;
import io.defectdetector.job.inference.OnnxInferenceEngine;
import io.defectdetector.job.testing.PipelineTestSupport;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import org.apache.flink.configuration.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Start-up checks run before anything is submitted: options, then the model and its card against the graph. */
class DefectDetectionJobTest {
    private static final String MODEL = PipelineTestSupport.DEFAULT_MODEL.toString();

    @Test
    void failsFastOnInvalidOptionsNamingThem() {
        assertThatThrownBy(() -> DefectDetectionJob.prepare(new String[] {
            "--kafka-bootstrap-servers", "broker:9092", "--batch-max-size", "0", "--delivery-guarantee", "maybe"}))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("batch-max-size must be between 1 and 4096, got 0")
                .hasMessageContaining("delivery-guarantee: cannot parse 'maybe'");
    }

    @Test
    void mainReportsTheProblemBeforeSubmittingAnything() {
        assertThat(refusedByMain("--kafka-bootstrap-servers", "b:1", "--model-path", "no/such/model.onnx"))
                .startsWith("defect-detector: model file ").contains("no/such/model.onnx").contains("does not exist");
    }

    /**
     * What main prints on stderr when it refuses to start (it throws IllegalArgumentException too, without a stack
     * trace to print after the message).
     */
    private static String refusedByMain(String... args) {
        PrintStream err = System.err;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
        try {
            assertThatThrownBy(() -> DefectDetectionJob.main(args)).isInstanceOf(IllegalArgumentException.class)
                    .satisfies(e -> assertThat(e.getStackTrace()).isEmpty());
        } finally {
            System.setErr(err);
        }
        return captured.toString(StandardCharsets.UTF_8);
    }

    @Test
    void refusesAModelCardThatDoesNotMatchItsGraph(@TempDir Path dir) throws Exception {
        Path onnx = Files.copy(PipelineTestSupport.DEFAULT_MODEL, dir.resolve("cae.onnx"));
        String card = Files.readString(PipelineTestSupport.DEFAULT_MODEL.resolveSibling("cae.card.json"));
        Files.writeString(dir.resolve("cae.card.json"), card.replaceFirst("\"name\": \"image\"", "\"name\": \"pixels\""));

        assertThatThrownBy(() -> DefectDetectionJob.prepare(new String[] {
            "--kafka-bootstrap-servers", "b:1", "--model-path", onnx.toString()}))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("pixels");
    }

    @Test
    void refusesAFrameAspectToleranceBelowWhatASquashTrainedModelNeeds(@TempDir Path dir) throws Exception {
        Path onnx = Files.copy(PipelineTestSupport.DEFAULT_MODEL, dir.resolve("cae.onnx"));
        String card = Files.readString(PipelineTestSupport.DEFAULT_MODEL.resolveSibling("cae.card.json"));
        Files.writeString(dir.resolve("cae.card.json"), card.replaceFirst("\"layout\": \"NCHW\"",
                "\"layout\": \"NCHW\", \"min_frame_aspect_tolerance\": 0.5"));
        String[] args = {"--kafka-bootstrap-servers", "b:1", "--model-path", onnx.toString(),
            "--model-verify-golden", "false"};
        assertThatThrownBy(() -> DefectDetectionJob.prepare(args))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("set frame-aspect-tolerance to at least 0.5");
        String[] tolerant = Arrays.copyOf(args, args.length + 2);
        tolerant[args.length] = "--frame-aspect-tolerance";
        tolerant[args.length + 1] = "0.5";
        assertThat(DefectDetectionJob.prepare(tolerant).model().card().minFrameAspectTolerance()).isEqualTo(0.5);
    }

    @Test
    void refusesAModelWhoseGoldenVectorsItDoesNotReproduceUnlessTold(@TempDir Path dir) throws Exception {
        Path model = PipelineTestSupport.DEFAULT_MODEL.getParent();
        Files.copy(model.resolve("cae.onnx"), dir.resolve("cae.onnx"));
        Files.copy(model.resolve("cae.card.json"), dir.resolve("cae.card.json"));
        Path golden = Files.createDirectories(dir.resolve("golden"));
        try (var files = Files.list(model.resolve("golden"))) {
            for (Path file : (Iterable<Path>) files::iterator) {
                Files.copy(file, golden.resolve(file.getFileName().toString()));
            }
        }
        // Golden vectors of another export: a good image that Python scored as defective.
        Path json = golden.resolve("golden.json");
        Files.writeString(json, Files.readString(json).replace("\"score\": 0.69", "\"score\": 1.69"));
        String[] args = {"--kafka-bootstrap-servers", "b:1", "--model-path", dir.resolve("cae.onnx").toString()};

        assertThatThrownBy(() -> DefectDetectionJob.prepare(args))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("golden image gray_good.png: score")
                .hasMessageContaining("model-verify-golden=false");
        String[] unchecked = {args[0], args[1], args[2], args[3], "--model-verify-golden", "false"};
        assertThat(DefectDetectionJob.prepare(unchecked).model().card().name()).isEqualTo("cae-tiles");
    }

    @Test
    void refusesCudaDemandedFromABuildWithoutItAndLetsAutoFallBack() {
        // This project's tests run the CPU build of ONNX Runtime (the GPU build is the Maven profile -Pgpu).
        assertThat(OnnxInferenceEngine.missingCudaProvider()).as("a CPU build").isNotNull();
        String[] args = {"--kafka-bootstrap-servers", "b:1", "--model-path", MODEL, "--inference-device", "cuda:1"};
        // The arguments and the model are fine (a deployment check of a GPU overlay runs prepare() on any build).
        DefectDetectionJob.Prepared cuda = DefectDetectionJob.prepare(args);

        assertThatThrownBy(() -> DefectDetectionJob.checkInferenceDevice(cuda.config()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("inference-device cuda:1: this ONNX Runtime build has no CUDA execution "
                        + "provider")
                .hasMessageContaining("-Pgpu")
                .hasMessageContaining("or set inference-device to auto");
        args[5] = "auto";
        DefectDetectionJob.checkInferenceDevice(DefectDetectionJob.prepare(args).config());
    }

    @Test
    void mainRefusesCudaFromACpuBuildBeforeSubmittingAnything() {
        assertThat(refusedByMain("--kafka-bootstrap-servers", "b:1", "--model-path", MODEL, "--inference-device",
                "cuda", "--kafka-topic-check-enabled", "false")).startsWith("defect-detector: inference-device cuda:");
    }

    @Test
    void acceptsTheDefaultModelAndTakesClusterOptionsUnderTheArguments() {
        Configuration cluster = Configuration.fromMap(Map.of("kafka-group-id", "from-cluster",
                "batch-max-size", "4", "kafka.client.rack", "r1", "taskmanager.numberOfTaskSlots", "2"));

        DefectDetectionJob.Prepared prepared = DefectDetectionJob.prepare(new String[] {
            "--kafka-bootstrap-servers", "b:1", "--model-path", MODEL, "--batch-max-size", "2"}, cluster);

        assertThat(prepared.model().card().inputName()).isEqualTo("image");
        assertThat(prepared.config().get(JobOptions.KAFKA_GROUP_ID)).isEqualTo("from-cluster");
        assertThat(prepared.config().get(JobOptions.BATCH_MAX_SIZE)).isEqualTo(2);
        assertThat(prepared.config().kafkaSettings().asMap()).containsEntry("client.rack", "r1");
    }

    @Test
    void aModelGivenAsAUriIsCheckedOnALocalCopyThatIsGoneOnceTheChecksAreDone() {
        Path model = PipelineTestSupport.DEFAULT_MODEL.toAbsolutePath().normalize();
        DefectDetectionJob.Prepared prepared = DefectDetectionJob.prepare(new String[] {
            "--kafka-bootstrap-servers", "b:1", "--model-path", model.toUri().toString()});

        assertThat(prepared.model().toString()).contains(model + " (checked on a local copy)");
        assertThat(prepared.model().onnxPath()).isNotEqualTo(model);
        assertThat(prepared.model().onnxPath().getParent()).as("the golden check ran on the copy, then it went")
                .doesNotExist();
        assertThat(prepared.model().readVerifiedModel()).as("the TaskManagers read the URI").isNotEmpty();
    }

    @Test
    void helpListsTheOptions() throws Exception {
        PrintStream out = System.out;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
        try {
            DefectDetectionJob.main(new String[] {"--help"});
        } finally {
            System.setOut(out);
        }
        assertThat(captured.toString(StandardCharsets.UTF_8)).contains("--kafka-transaction-timeout (default 10 min)");
    }

    @Test
    void aJarWithoutOnnxRuntimeOnAClusterWithoutItNamesTheJarToPutInLib() throws Exception {
        DefectDetectionJob.checkOnnxRuntimePresent(getClass().getClassLoader()); // here it is on the classpath
        try (URLClassLoader bare = new URLClassLoader(new URL[0], null)) { // as a cluster without it in lib/
            assertThatThrownBy(() -> DefectDetectionJob.checkOnnxRuntimePresent(bare))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("-Port-provided")
                    .hasMessageContaining("onnxruntime-" + ai.onnxruntime.OrtEnvironment.class.getPackage()
                            .getImplementationVersion() + ".jar")
                    .hasMessageContaining("Flink's lib/");
        }
    }

    @Test
    void aModelThatLoadsButCannotRunIsRefusedAtStart() {
        // Its card matches its graph; only running it shows the broken operator (the subtasks' warm-up would fail
        // and the job restart forever).
        String broken = io.defectdetector.job.testing.TestModels.failsWhenRun().toString();
        assertThat(refusedByMain("--kafka-bootstrap-servers", "b:1", "--model-path", broken))
                .startsWith("defect-detector: ONNX Runtime loads model ").contains("cannot run it on 1 grey frame")
                .contains("export the model again");
    }

    @Test
    void helpIsAskedForOnlyWhereAnOptionIsExpected() {
        assertThat(io.defectdetector.job.config.JobArguments.wantsHelp(new String[] {"-h"})).isTrue();
        assertThat(io.defectdetector.job.config.JobArguments.wantsHelp(
                new String[] {"--kafka-bootstrap-servers", "b:1", "--help"})).isTrue();
        // "-h" as a value is that value, as the parser reads it
        assertThat(io.defectdetector.job.config.JobArguments.wantsHelp(
                new String[] {"--kafka-group-id", "-h", "--kafka-bootstrap-servers", "b:1"})).isFalse();
    }
}
