package io.defectdetector.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class DockerIgnoreTest {
    private final DockerIgnore projectRules = DockerIgnore.parse(Repo.read("docker/Dockerfile.dockerignore"));

    @Test
    void keepsPomsMainSourcesAndTheDefaultModelAndNothingElse() {
        assertThat(projectRules.isIgnored("pom.xml")).isFalse();
        assertThat(projectRules.isIgnored("flink-job/pom.xml")).isFalse();
        assertThat(projectRules.isIgnored("flink-job/src/main/java/io/defectdetector/job/DefectDetectionJob.java"))
                .isFalse();
        assertThat(projectRules.isIgnored("models/default/cae.onnx")).isFalse();
        assertThat(projectRules.isIgnored("docker/scripts/split-onnxruntime.sh")).isFalse();

        assertThat(projectRules.isIgnored("flink-job/src/test/java/Foo.java")).isTrue();
        assertThat(projectRules.isIgnored("flink-job/target/defect-detector-job.jar")).isTrue();
        assertThat(projectRules.isIgnored("data/frames/1.png")).isTrue();
        assertThat(projectRules.isIgnored(".git/config")).isTrue();
        assertThat(projectRules.isIgnored("kafka-client.properties")).isTrue();
        assertThat(projectRules.isIgnored("docker/compose.yaml")).isTrue();
    }

    @Test
    void appliesTheLastMatchingRuleToPathsAndTheirParents() {
        DockerIgnore rules = DockerIgnore.parse("""
                # comment
                **/target/
                docs
                !docs/keep.md
                *.tmp
                """);
        assertThat(rules.isIgnored("a/b/target/x.jar")).isTrue();
        assertThat(rules.isIgnored("target/x.jar")).isTrue();
        assertThat(rules.isIgnored("targets/x.jar")).isFalse();
        assertThat(rules.isIgnored("docs/other.md")).isTrue();
        assertThat(rules.isIgnored("docs/keep.md")).isFalse();
        assertThat(rules.isIgnored("x.tmp")).isTrue();
        assertThat(rules.isIgnored("a/x.tmp")).isFalse();
    }
}
