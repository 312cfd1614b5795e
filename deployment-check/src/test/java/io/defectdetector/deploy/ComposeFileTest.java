package io.defectdetector.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SpecVersion;
import com.networknt.schema.ValidationMessage;
import io.defectdetector.factory.cli.FactoryCli;
import io.defectdetector.job.config.JobOptions;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.common.Uuid;
import org.junit.jupiter.api.Test;

class ComposeFileTest {
    private static final Pattern TOPIC_LINE = Pattern.compile("--topic (\\S+) --partitions (\\d+)(.*)");
    private static final Pattern CONFIG = Pattern.compile("--config ([\\w.]+)=(\\S+)");

    private final JsonNode compose = Yaml.read(Repo.path("docker/compose.yaml"));
    private final Dockerfile dockerfile = Dockerfile.parse(Repo.read("docker/Dockerfile"));

    private JsonNode service(String name) {
        JsonNode s = compose.path("services").path(name);
        assertThat(s.isObject()).as("service " + name).isTrue();
        return s;
    }

    static Set<ValidationMessage> validateAgainstComposeSpec(JsonNode doc) {
        JsonNode schemaNode = Yaml.read(Repo.path("deployment-check/src/test/resources/schemas/compose-spec.json"));
        // The schema declares draft 2019-09 but still names its parts with draft-04 "id" keys, which the
        // validator refuses; they are labels only, so they are dropped before loading.
        removeIdKeys(schemaNode);
        JsonSchema schema = JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V201909).getSchema(schemaNode);
        return schema.validate(doc);
    }

    private static void removeIdKeys(JsonNode node) {
        if (node.isObject()) {
            JsonNode id = node.get("id");
            if (id != null && id.isTextual()) {
                ((ObjectNode) node).remove("id");
            }
            node.forEach(ComposeFileTest::removeIdKeys);
        } else if (node.isArray()) {
            node.forEach(ComposeFileTest::removeIdKeys);
        }
    }

    private static List<String> strings(JsonNode array) {
        List<String> out = new ArrayList<>();
        array.forEach(n -> out.add(n.asText()));
        return out;
    }

    /** Topic name -> its --config settings, from the kafka-topics service's script. */
    private Map<String, Map<String, String>> createdTopics() {
        Map<String, Map<String, String>> topics = new LinkedHashMap<>();
        String script = service("kafka-topics").path("command").get(0).asText();
        for (String line : script.lines().toList()) {
            Matcher m = TOPIC_LINE.matcher(line);
            if (m.find()) {
                Map<String, String> config = new LinkedHashMap<>();
                Matcher c = CONFIG.matcher(m.group(3));
                while (c.find()) {
                    config.put(c.group(1), c.group(2));
                }
                topics.put(m.group(1), config);
            }
        }
        return topics;
    }

    @Test
    void followsTheComposeSpecification() {
        assertThat(validateAgainstComposeSpec(compose)).isEmpty();
    }

    @Test
    void schemaRejectsAnInventedServiceField() {
        ObjectNode broken = compose.deepCopy();
        ((ObjectNode) broken.path("services").path("jobmanager")).put("gpu_count", 1);
        assertThat(validateAgainstComposeSpec(broken)).isNotEmpty();
    }

    @Test
    void buildsTheFlinkServicesAndCamerasFromTargetsOfTheDockerfile() {
        for (String name : List.of("jobmanager", "taskmanager", "cameras")) {
            JsonNode build = service(name).path("build");
            assertThat(build.path("dockerfile").asText()).isEqualTo("docker/Dockerfile");
            assertThat(build.path("context").asText()).isEqualTo("..");
            assertThat(dockerfile.isStage(build.path("target").asText())).as(name).isTrue();
        }
        assertThat(service("jobmanager").path("build")).isEqualTo(service("taskmanager").path("build"));
        assertThat(service("jobmanager").path("image")).isEqualTo(service("taskmanager").path("image"));
    }

    @Test
    void givesJobManagerAndTaskManagerTheSameValidFlink22Settings() {
        String jm = service("jobmanager").path("environment").path("FLINK_PROPERTIES").asText();
        String tm = service("taskmanager").path("environment").path("FLINK_PROPERTIES").asText();
        assertThat(tm).isEqualTo(jm);
        Map<String, String> conf = FlinkOptions.parseProperties(jm);
        assertThat(FlinkOptions.load().problems(conf)).isEmpty();
        assertThat(conf).containsEntry("classloader.parent-first-patterns.additional", "ai.onnxruntime.");
        assertThat(conf.get("execution.checkpointing.dir")).startsWith("file:///opt/flink/state/");
        assertThat(conf.get("execution.checkpointing.savepoint-dir")).startsWith("file:///opt/flink/state/");
        // The state folder exists in the image (flink-owned) and is a volume shared by both processes.
        assertThat(Repo.read("docker/Dockerfile")).contains("mkdir -p /opt/flink/state");
        for (String name : List.of("jobmanager", "taskmanager")) {
            assertThat(strings(service(name).path("volumes"))).contains("flink-state:/opt/flink/state");
        }
        assertThat(strings(service("taskmanager").path("ports")))
                .contains(conf.get("metrics.reporter.prom.port") + ":" + conf.get("metrics.reporter.prom.port"));
    }

    @Test
    void startsTheJobWithArgumentsTheJobAccepts() {
        List<String> command = strings(service("jobmanager").path("command"));
        assertThat(command.subList(0, 3))
                .containsExactly("standalone-job", "--job-classname", "io.defectdetector.job.DefectDetectionJob");
        List<String> jobArgs = command.subList(3, command.size());
        var conf = JobArgsCheck.prepare(jobArgs,
                Map.of("/opt/defect-detector/models/default/", Repo.path("models/default")));
        assertThat(conf.get(JobOptions.KAFKA_BOOTSTRAP_SERVERS)).isEqualTo("kafka:19092");
        assertThat(compose.path("services").path("kafka").path("environment").path("KAFKA_ADVERTISED_LISTENERS")
                .asText()).contains("PLAINTEXT://kafka:19092");
    }

    @Test
    void createsExactlyTheTopicsTheJobUsesWithRoomForTheLargestFrame() {
        Map<String, Map<String, String>> topics = createdTopics();
        Set<String> expected = new TreeSet<>();
        for (var option : List.of(JobOptions.KAFKA_FRAMES_TOPIC, JobOptions.KAFKA_ALERTS_TOPIC,
                JobOptions.KAFKA_DEAD_LETTER_TOPIC, JobOptions.KAFKA_CONTROL_TOPIC, JobOptions.KAFKA_SCORES_TOPIC,
                JobOptions.KAFKA_AUDIT_TOPIC)) {
            expected.add(option.defaultValue());
        }
        assertThat(new TreeSet<>(topics.keySet())).isEqualTo(expected);
        long frameMax = JobOptions.FRAME_MAX_BYTES.defaultValue().getBytes();
        for (String t : List.of("frames", "dead-letter")) {
            assertThat(Long.parseLong(topics.get(t).get("max.message.bytes"))).as(t).isGreaterThan(frameMax);
        }
        long brokerMax = service("kafka").path("environment").path("KAFKA_MESSAGE_MAX_BYTES").asLong();
        assertThat(brokerMax).isGreaterThanOrEqualTo(Long.parseLong(topics.get("frames").get("max.message.bytes")));
        assertThat(service("kafka").path("environment").path("KAFKA_AUTO_CREATE_TOPICS_ENABLE").asText())
                .isEqualTo("false");
    }

    @Test
    void usesAValidKafkaClusterId() {
        String id = service("kafka").path("environment").path("CLUSTER_ID").asText();
        assertThat(Uuid.fromString(id).toString()).isEqualTo(id);
    }

    @Test
    void runsTheCamerasWithACommandTheSimulatorAccepts() {
        List<String> command = strings(service("cameras").path("command"));
        var parsed = FactoryCli.commandLine().parseArgs(command.toArray(String[]::new));
        assertThat(parsed.subcommand()).isNotNull();
        assertThat(parsed.subcommand().commandSpec().name()).isEqualTo(command.get(0));
        assertThat(command).containsSubsequence("--topic", JobOptions.KAFKA_FRAMES_TOPIC.defaultValue());
    }

    @Test
    void reservesNoGpuUnlessAskedTo() {
        // The GPU reservation stays a comment: a plain `docker compose up` must work on hosts without a GPU.
        assertThat(service("taskmanager").has("deploy")).isFalse();
        assertThat(Repo.read("docker/compose.yaml")).contains("#           capabilities: [gpu]");
    }
}
