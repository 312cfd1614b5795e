package io.defectdetector.deploy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.defectdetector.job.config.JobArguments;
import io.defectdetector.job.config.JobOptions;
import io.defectdetector.job.inference.DirectMemoryBudget;
import io.defectdetector.job.model.ModelBundle;
import io.defectdetector.job.model.ModelCard;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.regex.Pattern;
import org.apache.flink.configuration.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What k8s/ names (job options, Flink settings, paths, topics, ports) against the job and Flink 2.2 themselves. */
class DeploymentConsistencyTest {
    private static final List<String> OVERLAYS = List.of("k8s/overlays/cpu", "k8s/overlays/gpu");
    private static final String MAIN_CONTAINER = "flink-main-container";

    private static Map<String, String> flinkConfiguration(JsonNode fd) {
        Map<String, String> conf = new LinkedHashMap<>();
        fd.path("spec").path("flinkConfiguration").fields().forEachRemaining(e -> conf.put(e.getKey(),
                e.getValue().asText()));
        return conf;
    }

    private static JsonNode mainContainer(JsonNode podTemplate) {
        for (JsonNode c : podTemplate.path("spec").path("containers")) {
            if (c.path("name").asText().equals(MAIN_CONTAINER)) {
                return c;
            }
        }
        return null;
    }

    /** The mount of a Secret volume in the common pod template whose folder holds the given container path. */
    private static String secretMountFor(JsonNode fd, String path) {
        JsonNode pod = fd.path("spec").path("podTemplate");
        for (JsonNode m : mainContainer(pod).path("volumeMounts")) {
            if (path.startsWith(m.path("mountPath").asText() + "/")) {
                for (JsonNode v : pod.path("spec").path("volumes")) {
                    if (v.path("name").asText().equals(m.path("name").asText()) && v.has("secret")) {
                        return m.path("mountPath").asText();
                    }
                }
            }
        }
        return null;
    }

    @Test
    void passesEachOverlaysJobArgumentsThroughTheJobsOwnChecks(@TempDir Path tmp) {
        for (String overlay : OVERLAYS) {
            ObjectNode fd = Manifests.flinkDeployment(overlay);
            List<String> args = Manifests.args(fd);
            String kafkaConfig = args.get(args.indexOf("--" + JobOptions.KAFKA_CONFIG.key()) + 1);
            String mount = secretMountFor(fd, kafkaConfig);
            assertThat(mount).as(overlay + ": " + kafkaConfig + " lies in a mounted Secret").isNotNull();
            JobArgsCheck.standInProperties(tmp);
            Configuration conf = JobArgsCheck.prepare(args, Map.of(
                    "/opt/defect-detector/models/default/", Repo.path("models/default"),
                    mount + "/", tmp));
            // Topics keep their defaults: the KafkaTopic resources are named after them.
            for (String key : JobArgsCheck.topicOptionKeys()) {
                assertThat(conf.toMap()).as(overlay).doesNotContainKey(key);
            }
        }
    }

    @Test
    void jobArgumentCheckRefusesAnInventedOption() {
        List<String> args = new ArrayList<>(Manifests.args(Manifests.flinkDeployment("k8s/overlays/cpu")));
        args.add("--inference-devices");
        args.add("cpu");
        assertThatThrownBy(() -> JobArgsCheck.prepare(args, Map.of()))
                .hasMessageContaining("unknown option --inference-devices");
    }

    @Test
    void namesTheModelThatTheImageCarries() {
        for (String overlay : OVERLAYS) {
            List<String> args = Manifests.args(Manifests.flinkDeployment(overlay));
            String model = args.get(args.indexOf("--" + JobOptions.MODEL_PATH.key()) + 1);
            assertThat(model).startsWith("/opt/defect-detector/models/default/");
            assertThat(Repo.read("docker/Dockerfile")).contains("COPY models/default/ /opt/defect-detector/models/default/");
            assertThat(Repo.path("models/default").resolve(model.substring(model.lastIndexOf('/') + 1))).isRegularFile();
        }
    }

    @Test
    void startsTheJobJarAndMainClassOfTheImage() throws Exception {
        for (String overlay : OVERLAYS) {
            JsonNode job = Manifests.flinkDeployment(overlay).path("spec").path("job");
            assertThat(job.path("jarURI").asText()).isEqualTo("local:///opt/flink/usrlib/defect-detector-job.jar");
            String entry = job.path("entryClass").asText();
            Method main = Class.forName(entry).getMethod("main", String[].class);
            assertThat(Modifier.isStatic(main.getModifiers())).isTrue();
            assertThat(Repo.read("flink-job/pom.xml")).contains("<mainClass>" + entry + "</mainClass>");
        }
    }

    @Test
    void configuresFlinkWithCurrentFlink22OptionsOnly() {
        FlinkOptions flink = FlinkOptions.load();
        assertThat(flink.size()).as("options found in flink-core").isGreaterThan(300);
        for (String overlay : OVERLAYS) {
            assertThat(flink.problems(flinkConfiguration(Manifests.flinkDeployment(overlay)))).as(overlay).isEmpty();
        }
    }

    @Test
    void flinkOptionCheckRefusesInventedDeprecatedAndUnparsableSettings() {
        Map<String, String> conf = new LinkedHashMap<>(flinkConfiguration(Manifests.flinkDeployment("k8s/overlays/cpu")));
        conf.put("taskmanager.numberOfTaskSlot", "2");
        conf.put("state.checkpoints.dir", "s3://b/c");
        conf.put("execution.checkpointing.num-retained", "three");
        conf.put("metrics.reporter.prom.factory.class", "org.apache.flink.metrics.prometheus.NoSuchFactory");
        conf.put("metrics.reporter.prom.prot", "9249");
        conf.put("s3.secret-key", "do-not");
        String problems = String.join("\n", FlinkOptions.load().problems(conf));
        assertThat(problems)
                .contains("taskmanager.numberOfTaskSlot is not a Flink 2.2 configuration option")
                .contains("state.checkpoints.dir is deprecated in Flink 2.2; use execution.checkpointing.dir")
                .contains("execution.checkpointing.num-retained: Flink cannot parse 'three'")
                .contains("NoSuchFactory does not exist")
                .contains("metrics.reporter.prom.prot is neither")
                .contains("s3.secret-key is not a Flink 2.2 configuration option");
    }

    @Test
    void keepsStateInTheParameterisedBucketAndUpgradesThroughSavepoints() {
        String bucket = Manifests.params().get("state-bucket");
        for (String overlay : OVERLAYS) {
            JsonNode spec = Manifests.flinkDeployment(overlay).path("spec");
            Map<String, String> conf = flinkConfiguration(Manifests.flinkDeployment(overlay));
            assertThat(spec.path("job").path("upgradeMode").asText()).isEqualTo("savepoint");
            assertThat(conf).containsEntry("high-availability.type", "kubernetes")
                    .containsEntry("execution.checkpointing.dir", "s3://" + bucket + "/defect-detector/checkpoints")
                    .containsEntry("execution.checkpointing.savepoint-dir", "s3://" + bucket + "/defect-detector/savepoints")
                    .containsEntry("high-availability.storageDir", "s3://" + bucket + "/defect-detector/ha")
                    // a cancelled job's checkpoints stay, to restart from (docs/operations.md)
                    .containsEntry("execution.checkpointing.externalized-checkpoint-retention",
                            "RETAIN_ON_CANCELLATION");
            // The S3 filesystem the s3:// scheme needs is enabled as a plugin in the image.
            assertThat(Repo.read("docker/Dockerfile")).contains("cp opt/flink-s3-fs-hadoop-*.jar plugins/s3-fs-hadoop/");
        }
    }

    /** What the job checks at start (DirectMemoryBudget) must not even warn for the shipped overlays. */
    @Test
    void reservesTaskOffHeapMemoryForEachOverlaysBatchBuffers() {
        ModelCard card = ModelBundle.locate(Repo.path("models/default").toString()).card();
        for (String overlay : OVERLAYS) {
            ObjectNode fd = Manifests.flinkDeployment(overlay);
            Configuration cluster = Configuration.fromMap(flinkConfiguration(fd));
            // The operator sets a TaskManager's process size from its resource.
            cluster.setString("taskmanager.memory.process.size",
                    fd.path("spec").path("taskManager").path("resource").path("memory").asText());
            int batch = JobArguments.toConfiguration(Manifests.args(fd).toArray(String[]::new))
                    .get(JobOptions.BATCH_MAX_SIZE);
            assertThat(DirectMemoryBudget.check(card, batch, cluster)).as(overlay + ", batch " + batch).isEmpty();
        }
    }

    @Test
    void loadsOnnxRuntimeParentFirstEverywhere() {
        for (String overlay : OVERLAYS) {
            assertThat(flinkConfiguration(Manifests.flinkDeployment(overlay)))
                    .containsEntry("classloader.parent-first-patterns.additional", "ai.onnxruntime.");
        }
    }

    @Test
    void namesTheKafkaTopicsAfterTheJobsTopicOptions() {
        List<ObjectNode> topics = Manifests.render("k8s/kafka-topics");
        TreeSet<String> names = new TreeSet<>();
        for (ObjectNode t : topics) {
            names.add(t.path("spec").path("topicName").asText(t.path("metadata").path("name").asText()));
        }
        TreeSet<String> expected = new TreeSet<>();
        for (String key : JobArgsCheck.topicOptionKeys()) {
            expected.add(String.valueOf(JobOptions.byKey(key).defaultValue()));
        }
        assertThat(names).isEqualTo(expected);
        long frameMax = JobOptions.FRAME_MAX_BYTES.defaultValue().getBytes();
        for (ObjectNode t : topics) {
            String name = t.path("metadata").path("name").asText();
            JsonNode config = t.path("spec").path("config");
            if (name.equals("frames") || name.equals("dead-letter")) {
                assertThat(config.path("max.message.bytes").asLong()).as(name).isGreaterThan(frameMax);
            }
            // Exactly-once sinks: a write is acknowledged by at least two replicas.
            assertThat(config.path("min.insync.replicas").asInt()).as(name).isLessThan(t.path("spec").path("replicas").asInt());
        }
    }

    @Test
    void givesGpuTaskManagersAGpuAndTheCudaProviderAndCpuOnesNeither() {
        JsonNode gpu = Manifests.flinkDeployment("k8s/overlays/gpu").path("spec");
        JsonNode tmContainer = mainContainer(gpu.path("taskManager").path("podTemplate"));
        assertThat(tmContainer).isNotNull();
        assertThat(tmContainer.path("resources").path("limits").path("nvidia.com/gpu").asInt()).isEqualTo(1);
        assertThat(tmContainer.path("resources").path("requests").path("nvidia.com/gpu").asInt()).isEqualTo(1);
        assertThat(Manifests.args(Manifests.flinkDeployment("k8s/overlays/gpu")))
                .containsSubsequence("--inference-device", "cuda")
                // two slots share the pod's GPU: each session's arena is capped (docs/configuration.md)
                .containsSubsequence("--inference-gpu-memory-limit", "4gb");
        assertThat(gpu.path("image").asText()).contains("gpu");
        assertThat(gpu.path("jobManager").path("podTemplate").isMissingNode()).isTrue();

        JsonNode cpu = Manifests.flinkDeployment("k8s/overlays/cpu").path("spec");
        assertThat(cpu.toString()).doesNotContain("nvidia.com/gpu");
        assertThat(Manifests.args(Manifests.flinkDeployment("k8s/overlays/cpu")))
                .containsSubsequence("--inference-device", "cpu");
    }

    @Test
    void keepsTheMainContainerNameInEveryPodTemplate() {
        for (String overlay : OVERLAYS) {
            JsonNode spec = Manifests.flinkDeployment(overlay).path("spec");
            for (JsonNode template : List.of(spec.path("podTemplate"), spec.path("jobManager").path("podTemplate"),
                    spec.path("taskManager").path("podTemplate"))) {
                for (JsonNode c : template.path("spec").path("containers")) {
                    assertThat(c.path("name").asText()).as(overlay).isEqualTo(MAIN_CONTAINER);
                }
            }
        }
    }

    @Test
    void exposesThePrometheusReporterPortItConfigures() {
        for (String overlay : OVERLAYS) {
            ObjectNode fd = Manifests.flinkDeployment(overlay);
            String port = flinkConfiguration(fd).get("metrics.reporter.prom.port");
            JsonNode pod = fd.path("spec").path("podTemplate");
            assertThat(pod.path("metadata").path("annotations").path("prometheus.io/port").asText()).isEqualTo(port);
            assertThat(mainContainer(pod).path("ports")).anySatisfy(p -> {
                assertThat(p.path("name").asText()).isEqualTo("metrics");
                assertThat(p.path("containerPort").asText()).isEqualTo(port);
            });
        }
    }

    @Test
    void referencesSecretsWithoutInliningThem() {
        Pattern secretish = Pattern.compile("(?i).*(password|secret|token|key|jaas|credential).*");
        for (String k : Manifests.KUSTOMIZATIONS) {
            for (ObjectNode r : Manifests.render(k)) {
                List<String> found = new ArrayList<>();
                walk(r, "", (path, node) -> {
                    String field = path.substring(path.lastIndexOf('.') + 1);
                    if (node.isValueNode() && secretish.matcher(field).matches()
                            && !path.contains("secretKeyRef") && !path.endsWith(".key")
                            && !field.equals("secretName")) {
                        found.add(path);
                    }
                    if (path.endsWith(".env") && node.isArray()) {
                        for (JsonNode e : node) {
                            if (secretish.matcher(e.path("name").asText()).matches() && e.has("value")) {
                                found.add(path + "." + e.path("name").asText() + " has a literal value");
                            }
                        }
                    }
                });
                assertThat(found).as(k + " " + Kustomize.id(r)).isEmpty();
            }
        }
    }

    @Test
    void documentsEveryJobOptionTheDeploymentsUse() {
        String docs = Repo.read("docs/configuration.md");
        List<List<String>> argLists = new ArrayList<>();
        OVERLAYS.forEach(o -> argLists.add(Manifests.args(Manifests.flinkDeployment(o))));
        List<String> compose = new ArrayList<>();
        Yaml.read(Repo.path("docker/compose.yaml")).path("services").path("jobmanager").path("command")
                .forEach(n -> compose.add(n.asText()));
        argLists.add(compose.subList(3, compose.size())); // after standalone-job --job-classname <class>
        for (List<String> args : argLists) {
            for (String a : args) {
                if (a.startsWith("--")) {
                    String key = a.substring(2);
                    assertThat(JobOptions.byKey(key)).as(key).isNotNull();
                    assertThat(docs).as("docs/configuration.md documents " + key).contains("`" + key + "`");
                }
            }
        }
    }

    private interface Visitor {
        void visit(String path, JsonNode node);
    }

    private static void walk(JsonNode node, String path, Visitor v) {
        v.visit(path, node);
        if (node.isObject()) {
            for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                walk(e.getValue(), path + "." + e.getKey(), v);
            }
        } else if (node.isArray()) {
            for (int i = 0; i < node.size(); i++) {
                walk(node.get(i), path + "[" + i + "]", v);
            }
        }
    }
}
