package io.defectdetector.job;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.jar.JarFile;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.CoreOptions;
import org.apache.flink.util.FlinkUserCodeClassLoaders;
import org.junit.jupiter.api.Test;

/** The shaded job jar for {@code flink run}: what it contains, what it leaves to the cluster, and that it runs. */
class JobJarITCase {
    private static final Path JOB_JAR = Path.of("target", "defect-detector-job.jar");

    @Test
    void containsTheJobConnectorAndLinuxNativesOnlyAndNotFlinkItself() throws Exception {
        assertThat(JOB_JAR).as("build it with mvn -pl flink-job package (mvn verify does)").isRegularFile();
        long megabytes = Files.size(JOB_JAR) / (1024 * 1024);
        System.out.println("defect-detector-job.jar: " + megabytes + " MB");
        assertThat(megabytes).isLessThan(30);
        try (JarFile jar = new JarFile(JOB_JAR.toFile())) {
            assertThat(jar.getManifest().getMainAttributes().getValue("Main-Class"))
                    .isEqualTo(DefectDetectionJob.class.getName());
            List<String> entries = jar.stream().map(e -> e.getName()).toList();
            assertThat(entries).contains("io/defectdetector/job/DefectDetectionJob.class",
                    "io/defectdetector/frame/FrameDecoder.class",
                    "org/apache/flink/connector/kafka/sink/KafkaSink.class",
                    "org/apache/kafka/clients/producer/KafkaProducer.class");
            assertThat(entries).as("Flink is provided by the cluster")
                    .doesNotContain("org/apache/flink/streaming/api/environment/StreamExecutionEnvironment.class",
                            "org/apache/flink/configuration/Configuration.class")
                    .noneMatch(e -> e.startsWith("org/slf4j/") || e.startsWith("org/apache/logging/log4j/"));
            List<String> natives = entries.stream()
                    .filter(e -> e.endsWith(".so") || e.endsWith(".dylib") || e.endsWith(".dll") || e.endsWith(".a"))
                    .toList();
            assertThat(natives).isNotEmpty().allMatch(e -> e.contains("linux-x64") || e.contains("linux/amd64")
                    || e.contains("Linux/x86_64"), "a Linux x86-64 library");
            if (entries.contains("ai/onnxruntime/OrtEnvironment.class")) {
                assertThat(entries).contains("ai/onnxruntime/native/linux-x64/libonnxruntime.so");
            }
        }
    }

    @Test
    void mainRunsFromTheJarInAChildFirstClassLoaderAsFlinkRunDoes() throws Exception {
        Configuration flink = new Configuration();
        String[] parentFirst = CoreOptions.getParentFirstLoaderPatterns(flink);
        ClassLoader loader = FlinkUserCodeClassLoaders.childFirst(new URL[] {JOB_JAR.toUri().toURL()},
                getClass().getClassLoader(), parentFirst, t -> { }, true);
        Class<?> main = loader.loadClass(DefectDetectionJob.class.getName());
        assertThat(main.getClassLoader()).as("the job class comes from the jar")
                .isNotSameAs(DefectDetectionJob.class.getClassLoader());

        PrintStream out = System.out;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
        try {
            main.getMethod("main", String[].class).invoke(null, (Object) new String[] {"--help"});
        } finally {
            System.setOut(out);
        }
        assertThat(captured.toString(StandardCharsets.UTF_8)).contains("--kafka-bootstrap-servers");
    }
}
