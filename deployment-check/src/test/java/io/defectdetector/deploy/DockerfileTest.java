package io.defectdetector.deploy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.defectdetector.deploy.Dockerfile.Instruction;
import io.defectdetector.deploy.Dockerfile.Stage;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DockerfileTest {
    static final List<String> TARGETS = List.of("job-cpu", "job-gpu", "simulator");

    private final Dockerfile dockerfile = Dockerfile.parse(Repo.read("docker/Dockerfile"));
    private final DockerIgnore ignore = DockerIgnore.parse(Repo.read("docker/Dockerfile.dockerignore"));

    static String pomProperty(String pom, String name) {
        Matcher m = Pattern.compile("<" + Pattern.quote(name) + ">([^<]+)</" + Pattern.quote(name) + ">")
                .matcher(Repo.read(pom));
        assertThat(m.find()).as(name + " in " + pom).isTrue();
        return m.group(1).strip();
    }

    private List<Instruction> instructions(String stage, String keyword) {
        return dockerfile.stage(stage).instructions().stream().filter(i -> i.keyword().equals(keyword)).toList();
    }

    @Test
    void passesTheLintRules() {
        assertThat(DockerfileLint.problems(dockerfile, TARGETS, Repo.root(), ignore)).isEmpty();
    }

    @Test
    void buildsTheCpuJobImageByDefault() {
        assertThat(dockerfile.stages.get(dockerfile.stages.size() - 1).name()).isEqualTo("job-cpu");
    }

    @Test
    void pinsTheFlinkImageAndOnnxRuntimeToTheVersionsTheProjectBuildsWith() {
        assertThat(dockerfile.globalArgs.get("FLINK_IMAGE"))
                .isEqualTo("flink:" + pomProperty("pom.xml", "flink.version") + "-scala_2.12-java17");
        assertThat(dockerfile.globalArgs.get("ONNXRUNTIME_VERSION"))
                .isEqualTo(pomProperty("pom.xml", "onnxruntime.version"));
        // The CUDA image must carry CUDA 12 and cuDNN 9: what the ORT GPU build links against.
        assertThat(dockerfile.globalArgs.get("CUDA_IMAGE")).matches("nvidia/cuda:12\\.\\d+\\.\\d+-cudnn-runtime-ubuntu\\d+\\.\\d+");
    }

    @Test
    void putsTheShadedJobJarAtTheStablePathFromWhichTheJobIsStarted() {
        String shadeOutput = pomProperty("flink-job/pom.xml", "outputFile");
        assertThat(shadeOutput).isEqualTo("${project.build.directory}/defect-detector-job.jar");
        assertThat(instructions("build", "RUN").get(0).args().get(0))
                .contains("cp flink-job/target/defect-detector-job.jar");
        assertThat(instructions("job-base", "COPY")).anySatisfy(c -> {
            assertThat(c.flag("from")).isEqualTo("build");
            assertThat(c.args()).containsExactly("/out/defect-detector-job.jar",
                    "/opt/flink/usrlib/defect-detector-job.jar");
        });
    }

    @Test
    void buildsTheJobJarWithoutOnnxRuntimeAndPutsOnnxRuntimeInFlinksLib() {
        assertThat(instructions("build", "RUN").get(0).args().get(0)).contains("-Port-provided");
        String jobPom = Repo.read("flink-job/pom.xml");
        Matcher profile = Pattern.compile("(?s)<profile>\\s*<id>ort-provided</id>(.*?)</profile>").matcher(jobPom);
        assertThat(profile.find()).as("profile ort-provided in flink-job/pom.xml").isTrue();
        assertThat(profile.group(1)).contains("<artifactId>${onnxruntime.artifact}</artifactId>")
                .contains("<scope>provided</scope>");
        for (String[] variant : new String[][] {{"job-cpu", "ort-cpu"}, {"job-gpu", "ort-gpu"}}) {
            assertThat(instructions(variant[0], "COPY")).anySatisfy(c -> {
                assertThat(c.flag("from")).isEqualTo(variant[1]);
                assertThat(c.args()).containsExactly("/ort/lib/", "/opt/flink/lib/");
            });
            assertThat(instructions(variant[0], "ENV")).anySatisfy(
                    e -> assertThat(e.raw()).contains("LD_LIBRARY_PATH=/opt/onnxruntime/native"));
        }
        // ORT's Java API finds its CUDA provider library only through this property, not LD_LIBRARY_PATH.
        assertThat(instructions("job-gpu", "ENV")).anySatisfy(e -> assertThat(e.raw())
                .contains("JAVA_TOOL_OPTIONS=-Donnxruntime.native.path=/opt/onnxruntime/native"));
    }

    @Test
    void checksOnnxRuntimeAndItsNativeLibrariesWhileBuildingEachJobImage() {
        assertThat(instructions("job-cpu", "RUN")).anySatisfy(r -> assertThat(r.args().get(0).replaceAll("\\s+", " "))
                .contains("check-native-libs.sh /opt/onnxruntime/native")
                .contains("OrtCheck /opt/defect-detector/models/default/cae.onnx CPU"));
        assertThat(instructions("job-gpu", "RUN")).anySatisfy(r -> assertThat(r.args().get(0).replaceAll("\\s+", " "))
                .contains("check-native-libs.sh /opt/onnxruntime/native /opt/cuda/lib")
                .contains("OrtCheck /opt/defect-detector/models/default/cae.onnx CPU CUDA"));
    }

    /** The build-time check program itself, run against the real ONNX Runtime and the default model. */
    @Test
    void ortCheckOpensTheDefaultModelAndRejectsAMissingProvider(@TempDir Path classes) throws Exception {
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        int rc = javac.run(null, null, null, "-d", classes.toString(), "-cp", System.getProperty("java.class.path"),
                Repo.path("docker/ort-check/OrtCheck.java").toString());
        assertThat(rc).isZero();
        try (URLClassLoader loader = new URLClassLoader(new URL[] {classes.toUri().toURL()},
                getClass().getClassLoader())) {
            Method main = loader.loadClass("OrtCheck").getMethod("main", String[].class);
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            PrintStream original = System.out;
            System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
            try {
                main.invoke(null, (Object) new String[] {Repo.path("models/default/cae.onnx").toString(), "CPU"});
            } finally {
                System.setOut(original);
            }
            assertThat(out.toString(StandardCharsets.UTF_8)).contains("execution providers: [CPU")
                    .contains("opened on CPU");
            assertThatThrownBy(() -> main.invoke(null, (Object) new String[] {"", "CUDA"}))
                    .isInstanceOf(InvocationTargetException.class)
                    .cause().hasMessageContaining("execution provider CUDA is missing");
        }
    }

    @Test
    void lintReportsEachRuleOnABadDockerfile() {
        Dockerfile bad = Dockerfile.parse("""
                ARG BASE=ubuntu:latest
                FROM ${BASE} AS one
                FROM eclipse-temurin AS two
                ADD app.jar /app.jar
                ENV DB_PASSWORD=hunter2
                RUN curl -s https://example.org/install.sh | sh
                COPY --from=nowhere /x /y
                COPY app.jar /opt/flink/usrlib/app.jar
                COPY client.properties /etc/kafka/
                WORKDIR app
                USER root
                CMD java -jar /app.jar
                FROM eclipse-temurin:17-jre AS three
                """);
        List<String> problems = DockerfileLint.problems(bad, List.of("two", "three", "four"), null, null);
        assertThat(String.join("\n", problems))
                .contains("DL3007").contains("DL3006").contains("DL3020").contains("looks like a secret")
                .contains("DL4006").contains("DL3022").contains("must be owned by flink")
                .contains("copies key material").contains("DL3000").contains("DL3025")
                .contains("DL3002 stage two runs as root").contains("DL3002 stage three never sets USER")
                .contains("target stage four does not exist");
    }

    @Test
    void lintReportsMissingAndIgnoredBuildContextSources() {
        Dockerfile bad = Dockerfile.parse("""
                FROM flink:2.2.1-scala_2.12-java17 AS x
                COPY flink-job/src/test/ /tmp/tests/
                COPY no/such/folder/ /tmp/none/
                USER flink
                """);
        List<String> problems = DockerfileLint.problems(bad, List.of("x"), Repo.root(), ignore);
        assertThat(String.join("\n", problems))
                .contains("flink-job/src/test/ is excluded by the ignore file")
                .contains("no/such/folder/ does not exist");
    }

    @Test
    void everyTargetRunsAsTheFlinkUser() {
        for (String target : TARGETS) {
            Stage stage = dockerfile.stage(target);
            assertThat(DockerfileLint.effectiveUser(dockerfile, stage)).as(target).isEqualTo("flink");
        }
    }
}
