package io.defectdetector.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.function.Consumer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The rendered manifests against the real CRD schemas (sources and versions: resources/schemas/SOURCES.md). */
class ManifestSchemaTest {
    private static CrdSchema flinkDeployment;
    private static CrdSchema kafkaTopic;

    @BeforeAll
    static void loadSchemas() {
        flinkDeployment = Manifests.flinkDeploymentSchema();
        kafkaTopic = Manifests.kafkaTopicSchema();
    }

    private static List<String> validate(JsonNode resource) {
        for (CrdSchema s : List.of(flinkDeployment, kafkaTopic)) {
            if (s.handles(resource)) {
                return s.validate(resource);
            }
        }
        return List.of(Kustomize.id(resource) + ": no schema for this kind");
    }

    private static List<String> validateChanged(Consumer<ObjectNode> change) {
        ObjectNode fd = Manifests.flinkDeployment("k8s/overlays/gpu");
        change.accept(fd);
        return validate(fd);
    }

    @Test
    void everyRenderedResourceMatchesItsCrdSchema() {
        List<String> problems = new ArrayList<>();
        for (String k : Manifests.KUSTOMIZATIONS) {
            for (ObjectNode r : Manifests.render(k)) {
                validate(r).forEach(p -> problems.add(k + ": " + p));
            }
        }
        assertThat(problems).isEmpty();
    }

    @Test
    void rendersOnlyOperatorResourcesAndNeverASecret() {
        for (String k : Manifests.KUSTOMIZATIONS) {
            for (ObjectNode r : Manifests.render(k)) {
                assertThat(Set.of("FlinkDeployment", "KafkaTopic")).as(k).contains(r.path("kind").asText());
            }
        }
    }

    @Test
    void usesTheCommittedCrdsUnchanged() throws Exception {
        // Checksums of the files as fetched (SOURCES.md); an edit to a schema must be a conscious one.
        assertThat(sha256(Manifests.SCHEMAS + "flink-operator-1.10.0-flinkdeployments-crd.yml"))
                .isEqualTo("5f2b489140be56a972195971b8331f22f2c46d7f0de68cbd11ddf919cbc073a9");
        assertThat(sha256(Manifests.SCHEMAS + "strimzi-kafkatopic-crd.yaml"))
                .isEqualTo("b6ef3c460eb018c63a37c662ef4251ccd03d321ba3a6ae27c7e0e6a94eb63395");
        assertThat(sha256(Manifests.SCHEMAS + "compose-spec.json"))
                .isEqualTo("56bab44c85c0ce8affb74474950293f37d510673283a243bcd7eeadb900fa35c");
    }

    @Test
    void rejectsAnInventedFlinkDeploymentField() {
        assertThat(validateChanged(fd -> ((ObjectNode) fd.path("spec").path("job")).put("upgradeStrategy", "x")))
                .anySatisfy(p -> assertThat(p).contains("upgradeStrategy"));
        assertThat(validateChanged(fd -> ((ObjectNode) fd.path("spec")).put("gpus", 1)))
                .anySatisfy(p -> assertThat(p).contains("gpus"));
    }

    @Test
    void rejectsAnInventedFieldInsideThePodTemplate() {
        List<String> problems = validateChanged(fd -> {
            ObjectNode container = (ObjectNode) fd.path("spec").path("taskManager").path("podTemplate")
                    .path("spec").path("containers").get(0);
            container.set("resource", container.remove("resources"));
        });
        assertThat(problems).anySatisfy(p -> assertThat(p).contains("resource"));
    }

    @Test
    void rejectsWrongTypesAndEnumValues() {
        assertThat(validateChanged(fd -> ((ObjectNode) fd.path("spec")).put("flinkVersion", "v2_3")))
                .anySatisfy(p -> assertThat(p).contains("flinkVersion"));
        assertThat(validateChanged(fd -> ((ObjectNode) fd.path("spec").path("job")).put("upgradeMode", "restart")))
                .anySatisfy(p -> assertThat(p).contains("upgradeMode"));
        assertThat(validateChanged(fd -> ((ObjectNode) fd.path("spec").path("job")).put("parallelism", "two")))
                .anySatisfy(p -> assertThat(p).contains("parallelism"));
        assertThat(validateChanged(fd -> ((ObjectNode) fd.path("spec").path("flinkConfiguration"))
                .put("taskmanager.numberOfTaskSlots", 2)))
                .anySatisfy(p -> assertThat(p).contains("taskmanager.numberOfTaskSlots"));
    }

    @Test
    void rejectsInvalidKafkaTopics() {
        ObjectNode topic = Manifests.render("k8s/kafka-topics").get(0);
        ((ObjectNode) topic.path("spec")).put("retentionMs", 1000);
        assertThat(validate(topic)).anySatisfy(p -> assertThat(p).contains("retentionMs"));

        ObjectNode zero = Manifests.render("k8s/kafka-topics").get(0);
        ((ObjectNode) zero.path("spec")).put("partitions", 0);
        assertThat(validate(zero)).anySatisfy(p -> assertThat(p).contains("partitions"));

        ObjectNode v1 = Manifests.render("k8s/kafka-topics").get(0);
        v1.put("apiVersion", "kafka.strimzi.io/v1alpha9");
        assertThat(validate(v1)).anySatisfy(p -> assertThat(p).contains("apiVersion"));
    }

    @Test
    void rejectsInvalidMetadata() {
        assertThat(validateChanged(fd -> ((ObjectNode) fd.path("metadata")).put("name", "Defect_Detector")))
                .anySatisfy(p -> assertThat(p).contains("DNS-1123"));
        assertThat(validateChanged(fd -> ((ObjectNode) fd.path("metadata").path("labels")).put("app", "a b")))
                .anySatisfy(p -> assertThat(p).contains("label value"));
        assertThat(validateChanged(fd -> ((ObjectNode) fd.path("metadata")).put("uid", "1")))
                .anySatisfy(p -> assertThat(p).contains("metadata.uid"));
    }

    @Test
    void extendsOnlyTheFlinkVersionEnumOfTheReleasedCrd() {
        JsonNode crd = Yaml.read(Repo.path(Manifests.SCHEMAS + "flink-operator-1.10.0-flinkdeployments-crd.yml"));
        ArrayNode released = (ArrayNode) crd.path("spec").path("versions").get(0).path("schema")
                .path("openAPIV3Schema").path("properties").path("spec").path("properties").path("flinkVersion")
                .path("enum");
        assertThat(released.get(released.size() - 1).asText()).isEqualTo("v1_20");
        assertThat(released.toString()).doesNotContain("v2_");
        // Without the extension, the real 1.10 CRD refuses v2_2: the extension is what makes it pass.
        CrdSchema unextended = CrdSchema.load(
                Repo.path(Manifests.SCHEMAS + "flink-operator-1.10.0-flinkdeployments-crd.yml"), "v1beta1", s -> {
                });
        assertThat(unextended.validate(Manifests.flinkDeployment("k8s/overlays/cpu")))
                .singleElement().satisfies(p -> assertThat(p).contains("flinkVersion"));
    }

    private static String sha256(String relative) throws IOException, java.security.NoSuchAlgorithmException {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                .digest(Files.readAllBytes(Repo.path(relative))));
    }
}
