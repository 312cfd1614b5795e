package io.defectdetector.deploy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class KustomizeRendererTest {

    /** kubectl's embedded kustomize, when this machine has a kubectl new enough (kustomize v5). */
    private static String kubectlKustomize(Path dir) throws IOException, InterruptedException {
        Process p;
        try {
            p = new ProcessBuilder("kubectl", "kustomize", dir.toString()).redirectErrorStream(false).start();
        } catch (IOException e) {
            return null;
        }
        byte[] out = p.getInputStream().readAllBytes();
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IllegalStateException("kubectl kustomize " + dir + " failed: " + err);
        }
        return new String(out, StandardCharsets.UTF_8);
    }

    private static boolean hasKustomizeV5() {
        try {
            Process p = new ProcessBuilder("kubectl", "version", "--client").redirectErrorStream(true).start();
            String text = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            return p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0 && text.contains("Kustomize Version: v5");
        } catch (IOException | InterruptedException e) {
            return false;
        }
    }

    private static Map<String, String> byId(List<? extends JsonNode> resources) {
        Map<String, String> out = new TreeMap<>();
        resources.forEach(r -> out.put(Kustomize.id(r), Yaml.canonical(r)));
        return out;
    }

    @Test
    void rendersEveryKustomizationExactlyAsKubectlKustomize() throws Exception {
        assumeTrue(hasKustomizeV5(), "kubectl with kustomize v5 is not on the PATH: nothing to compare with");
        for (String k : Manifests.KUSTOMIZATIONS) {
            String real = kubectlKustomize(Repo.path(k));
            assertThat(byId(Kustomize.build(Repo.path(k)))).as(k).isEqualTo(byId(Yaml.parseAll(real)));
        }
    }

    @Test
    void rendersTheSiteParametersIntoEveryOverlay() {
        Map<String, String> params = Manifests.params();
        for (String overlay : List.of("k8s/overlays/cpu", "k8s/overlays/gpu")) {
            ObjectNode fd = Manifests.flinkDeployment(overlay);
            List<String> args = Manifests.args(fd);
            assertThat(args.get(args.indexOf("--kafka-bootstrap-servers") + 1))
                    .isEqualTo(params.get("kafka-bootstrap-servers"));
            JsonNode conf = fd.path("spec").path("flinkConfiguration");
            for (String key : List.of("execution.checkpointing.dir", "execution.checkpointing.savepoint-dir",
                    "high-availability.storageDir")) {
                assertThat(conf.path(key).asText()).startsWith("s3://" + params.get("state-bucket") + "/");
            }
            assertThat(conf.path("s3.endpoint").asText()).isEqualTo(params.get("s3-endpoint"));
            String variant = overlay.substring(overlay.lastIndexOf('/') + 1);
            assertThat(fd.path("spec").path("image").asText()).isEqualTo(params.get("job-image-" + variant));
        }
        for (ObjectNode topic : Manifests.render("k8s/kafka-topics")) {
            assertThat(topic.path("metadata").path("labels").path("strimzi.io/cluster").asText())
                    .isEqualTo(params.get("kafka-cluster"));
        }
    }

    @Test
    void followsAChangedParameterFile(@TempDir Path tmp) throws IOException {
        copy(Repo.path("k8s"), tmp.resolve("k8s"));
        Files.writeString(tmp.resolve("k8s/params/params.env"), Repo.read("k8s/params/params.env")
                .replace("state-bucket=defect-detector-state", "state-bucket=other-bucket"));
        ObjectNode fd = Kustomize.build(tmp.resolve("k8s/overlays/gpu")).stream()
                .filter(r -> r.path("kind").asText().equals("FlinkDeployment")).findFirst().orElseThrow();
        assertThat(fd.path("spec").path("flinkConfiguration").path("execution.checkpointing.dir").asText())
                .isEqualTo("s3://other-bucket/defect-detector/checkpoints");
    }

    @Test
    void strategicMergeMergesMapsReplacesListsAndDeletesNulls() {
        JsonNode original = Yaml.parseAll("""
                a: {x: 1, y: 2}
                list: [1, 2]
                containers: [{name: c, image: i}]
                """).get(0);
        JsonNode patch = Yaml.parseAll("""
                a: {y: 3, z: 4}
                list: [5]
                containers: [{name: c, env: []}]
                gone: null
                a2: {n: null, m: 1}
                """).get(0);
        JsonNode merged = Kustomize.strategicMerge(original, patch);
        assertThat(Yaml.canonical(merged)).isEqualTo(Yaml.canonical(Yaml.parseAll("""
                a: {x: 1, y: 3, z: 4}
                list: [5]
                containers: [{name: c, env: []}]
                a2: {m: 1}
                """).get(0)));
    }

    @Test
    void jsonPatchAppendsInsertsReplacesAndRemoves() {
        ObjectNode doc = (ObjectNode) Yaml.parseAll("spec: {args: [a, b], m: {k/x: 1}}").get(0);
        ArrayNode ops = (ArrayNode) Yaml.parseAll("""
                - {op: add, path: /spec/args/-, value: c}
                - {op: add, path: /spec/args/0, value: z}
                - {op: replace, path: /spec/m/k~1x, value: 2}
                - {op: remove, path: /spec/args/1}
                """).get(0);
        Kustomize.jsonPatch(doc, ops, Path.of("test"));
        assertThat(Yaml.canonical(doc)).isEqualTo(Yaml.canonical(Yaml.parseAll(
                "spec: {args: [z, b, c], m: {k/x: 2}}").get(0)));
        ArrayNode missing = (ArrayNode) Yaml.parseAll("- {op: replace, path: /spec/nope, value: 1}").get(0);
        assertThatThrownBy(() -> Kustomize.jsonPatch(doc, missing, Path.of("test")))
                .hasMessageContaining("replace of a missing");
    }

    @Test
    void splitsFieldPathsOutsideBrackets() {
        assertThat(Kustomize.segments("spec.flinkConfiguration.[execution.checkpointing.dir]"))
                .containsExactly("spec", "flinkConfiguration", "[execution.checkpointing.dir]");
        assertThat(Kustomize.segments("spec.job.args.1")).containsExactly("spec", "job", "args", "1");
    }

    @Test
    void refusesKustomizeFeaturesItDoesNotImplement(@TempDir Path tmp) throws IOException {
        Files.writeString(tmp.resolve("kustomization.yaml"), """
                resources: []
                namePrefix: prod-
                """);
        assertThatThrownBy(() -> Kustomize.build(tmp)).isInstanceOf(UnsupportedOperationException.class)
                .hasMessageContaining("namePrefix");
    }

    @Test
    void failsWhenAReplacementTargetFieldIsMissing(@TempDir Path tmp) throws IOException {
        Files.writeString(tmp.resolve("r.yaml"), """
                apiVersion: v1
                kind: ConfigMap
                metadata: {name: target}
                data: {a: "1"}
                """);
        Files.writeString(tmp.resolve("kustomization.yaml"), """
                resources: [r.yaml]
                configMapGenerator:
                  - name: src
                    literals: [v=2]
                    options: {disableNameSuffixHash: true}
                replacements:
                  - source: {kind: ConfigMap, name: src, fieldPath: data.v}
                    targets:
                      - select: {kind: ConfigMap, name: target}
                        fieldPaths: [data.b]
                """);
        assertThatThrownBy(() -> Kustomize.build(tmp)).hasMessageContaining("has no data.b");
    }

    private static void copy(Path from, Path to) throws IOException {
        try (var files = Files.walk(from)) {
            for (Path p : files.toList()) {
                Path target = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(p, target);
                }
            }
        }
    }
}
