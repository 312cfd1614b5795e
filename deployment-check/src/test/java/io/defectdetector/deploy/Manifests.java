package io.defectdetector.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/** The rendered k8s/ kustomizations and the CRD schemas they are checked against. */
final class Manifests {
    static final List<String> KUSTOMIZATIONS = List.of("k8s/overlays/cpu", "k8s/overlays/gpu", "k8s/kafka-topics");
    static final String SCHEMAS = "deployment-check/src/test/resources/schemas/";

    /**
     * flinkVersion values added by operator releases after 1.10 (the newest whose CRD is on Maven Central):
     * v2_0 in 1.11, v2_1 in 1.13, v2_2 in 1.15. Everything else is the 1.10.0 CRD as released; the v1beta1
     * API only grows between releases, so a resource it accepts is accepted by 1.15 as well.
     */
    static final List<String> FLINK_VERSIONS_AFTER_OPERATOR_1_10 = List.of("v2_0", "v2_1", "v2_2");

    private static final Map<String, List<ObjectNode>> RENDERED = new ConcurrentHashMap<>();

    private Manifests() {
    }

    static List<ObjectNode> render(String kustomization) {
        return RENDERED.computeIfAbsent(kustomization, k -> Kustomize.build(Repo.path(k)))
                .stream().map(ObjectNode::deepCopy).toList();
    }

    static ObjectNode flinkDeployment(String overlay) {
        List<ObjectNode> fds = render(overlay).stream()
                .filter(r -> r.path("kind").asText().equals("FlinkDeployment")).toList();
        if (fds.size() != 1) {
            throw new IllegalStateException(overlay + " renders " + fds.size() + " FlinkDeployments");
        }
        return fds.get(0);
    }

    static CrdSchema flinkDeploymentSchema() {
        return CrdSchema.load(Repo.path(SCHEMAS + "flink-operator-1.10.0-flinkdeployments-crd.yml"), "v1beta1",
                schema -> {
                    ArrayNode versions = (ArrayNode) schema.path("properties").path("flinkVersion").path("enum");
                    FLINK_VERSIONS_AFTER_OPERATOR_1_10.forEach(versions::add);
                });
    }

    static CrdSchema kafkaTopicSchema() {
        return CrdSchema.load(Repo.path(SCHEMAS + "strimzi-kafkatopic-crd.yaml"), "v1beta2", schema -> {
        });
    }

    static List<String> args(JsonNode flinkDeployment) {
        return java.util.stream.StreamSupport.stream(flinkDeployment.path("spec").path("job").path("args")
                .spliterator(), false).map(JsonNode::asText).toList();
    }

    static Map<String, String> params() {
        Map<String, String> out = new java.util.LinkedHashMap<>();
        for (String line : Repo.read("k8s/params/params.env").lines().toList()) {
            if (!line.isBlank() && !line.startsWith("#")) {
                out.put(line.substring(0, line.indexOf('=')), line.substring(line.indexOf('=') + 1));
            }
        }
        return out;
    }

    static Path root() {
        return Repo.root();
    }
}
