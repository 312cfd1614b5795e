package io.defectdetector.deploy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The alerting rules and the Grafana dashboard of k8s/monitoring through Prometheus's own promtool: their PromQL
 * parses, and the unit tests beside the rules (input series, expected alerts with their labels and annotations)
 * pass. The metric names are checked against a running job by flink-job's PrometheusMetricsITCase.
 */
class PrometheusRulesTest {
    private static final String RULE = "k8s/monitoring/prometheus-rule.yaml";
    private static final String UNIT_TESTS = "k8s/monitoring/prometheus-rule.test.yaml";
    private static final String DASHBOARD = "k8s/monitoring/grafana-dashboard.json";

    @Test
    void isAPrometheusRuleWhoseAlertsEachSaySeverityWhatAndWhatToDo() {
        JsonNode rule = Yaml.read(Repo.path(RULE));
        assertThat(rule.path("apiVersion").asText()).isEqualTo("monitoring.coreos.com/v1");
        assertThat(rule.path("kind").asText()).isEqualTo("PrometheusRule");
        Set<String> names = new HashSet<>();
        for (JsonNode alert : alerts(rule)) {
            String name = alert.path("alert").asText();
            assertThat(names.add(name)).as("alert names are unique: %s", name).isTrue();
            assertThat(alert.path("labels").path("severity").asText()).as(name).isIn("critical", "warning", "info");
            assertThat(alert.path("annotations").path("summary").asText()).as(name).isNotBlank();
            assertThat(alert.path("annotations").path("description").asText()).as(name).isNotBlank();
            assertThat(alert.path("expr").asText()).as(name).contains("job_name=\"defect_detector\"");
        }
        assertThat(names).hasSizeGreaterThanOrEqualTo(8);
    }

    @Test
    void promtoolParsesTheRulesAndTheirUnitTestsPass(@TempDir Path dir) throws Exception {
        JsonNode rule = Yaml.read(Repo.path(RULE));
        // promtool reads plain rule files: the PrometheusRule's spec.groups is one.
        Files.writeString(dir.resolve("defect-detector.rules.yaml"),
                Yaml.YAML.writeValueAsString(Map.of("groups", rule.path("spec").path("groups"))));
        Files.copy(Repo.path(UNIT_TESTS), dir.resolve("prometheus-rule.test.yaml"));

        Result check = promtool(dir, "check", "rules", "defect-detector.rules.yaml");
        assertThat(check.exitCode()).as(check.output()).isZero();
        assertThat(check.output()).contains("SUCCESS: " + alerts(rule).size() + " rules found");

        Result unit = promtool(dir, "test", "rules", "prometheus-rule.test.yaml");
        assertThat(unit.exitCode()).as(unit.output()).isZero();
        assertThat(unit.output()).contains("SUCCESS");
    }

    @Test
    void everyDashboardQueryParsesAndTheDashboardIsDeployedForGrafanasSidecar(@TempDir Path dir) throws Exception {
        JsonNode dashboard = Yaml.JSON.readTree(Repo.path(DASHBOARD).toFile());
        // Each panel query as a recording rule, so promtool parses it; Grafana's $__rate_interval as 5m.
        List<Map<String, String>> records = new ArrayList<>();
        for (JsonNode panel : dashboard.path("panels")) {
            assertThat(panel.path("datasource").path("uid").asText()).as(panel.path("title").asText())
                    .isEqualTo("${datasource}");
            for (JsonNode target : panel.path("targets")) {
                String expr = target.path("expr").asText();
                assertThat(expr).as(panel.path("title").asText())
                        .contains("job_name=\"defect_detector\",namespace=~\"$namespace\"");
                records.add(Map.of("record", "defect_detector:panel_" + panel.path("id").asInt() + "_"
                        + target.path("refId").asText(), "expr", expr.replace("$__rate_interval", "5m")));
            }
        }
        assertThat(records).hasSizeGreaterThanOrEqualTo(10);
        assertThat(dashboard.path("templating").path("list").findValuesAsText("name")).contains("namespace");
        Files.writeString(dir.resolve("panels.rules.yaml"), Yaml.YAML.writeValueAsString(
                Map.of("groups", List.of(Map.of("name", "panels", "rules", records)))));

        Result check = promtool(dir, "check", "rules", "panels.rules.yaml");
        assertThat(check.exitCode()).as(check.output()).isZero();
        assertThat(check.output()).contains("SUCCESS: " + records.size() + " rules found");

        // kubectl apply -k k8s/monitoring: the rule, and the dashboard in a ConfigMap Grafana's sidecar picks up.
        List<ObjectNode> rendered = Manifests.render("k8s/monitoring");
        assertThat(rendered).extracting(r -> r.path("kind").asText())
                .containsExactlyInAnyOrder("PodMonitor", "PrometheusRule", "ConfigMap");
        JsonNode configMap = rendered.stream().filter(r -> r.path("kind").asText().equals("ConfigMap")).findFirst()
                .orElseThrow();
        assertThat(configMap.path("metadata").path("labels").path("grafana_dashboard").asText()).isEqualTo("1");
        assertThat(Yaml.JSON.readTree(configMap.path("data").path("grafana-dashboard.json").asText()))
                .isEqualTo(dashboard);
    }

    /**
     * A panel in milliseconds may show a count beside them (batch size, frames buffered) only through an override
     * that gives that series its own unit: otherwise Grafana labels 8 frames "8 ms". Overrides name series that
     * exist, so renaming a legend cannot silently drop one.
     */
    @Test
    void countsInADurationPanelHaveTheirOwnUnit() throws Exception {
        JsonNode dashboard = Yaml.JSON.readTree(Repo.path(DASHBOARD).toFile());
        int checked = 0;
        for (JsonNode panel : dashboard.path("panels")) {
            String title = panel.path("title").asText();
            Map<String, String> unitByLegend = new java.util.HashMap<>();
            List<String> legends = panel.path("targets").findValuesAsText("legendFormat");
            for (JsonNode override : panel.path("fieldConfig").path("overrides")) {
                String series = override.path("matcher").path("options").asText();
                assertThat(legends).as("%s: override for a series the panel does not have", title).contains(series);
                for (JsonNode property : override.path("properties")) {
                    if (property.path("id").asText().equals("unit")) {
                        unitByLegend.put(series, property.path("value").asText());
                    }
                }
            }
            String panelUnit = panel.path("fieldConfig").path("defaults").path("unit").asText();
            for (JsonNode target : panel.path("targets")) {
                String expr = target.path("expr").asText();
                String metric = expr.replaceAll("(?s).*flink_\\w+_operator_(\\w+)\\{.*", "$1");
                boolean duration = metric.endsWith("Ms") || metric.endsWith("Us");
                if (metric.endsWith("Us") && panelUnit.equals("ms")) {
                    assertThat(expr).as("%s: %s (microseconds) shown in ms", title, metric).endsWith("/ 1000");
                }
                String unit = unitByLegend.getOrDefault(target.path("legendFormat").asText(), panelUnit);
                if (panelUnit.equals("ms")) {
                    checked++;
                    assertThat(unit).as("%s: series of %s", title, metric).isEqualTo(duration ? "ms" : "short");
                }
            }
        }
        assertThat(checked).as("series in millisecond panels").isGreaterThanOrEqualTo(5);
    }

    /**
     * The Prometheus Operator scrapes only what a PodMonitor selects: it must match the labels Flink gives the
     * pods of this FlinkDeployment (app=its name, type=flink-native-kubernetes) in every overlay, and name a
     * container port the pod template declares, on the reporter's port.
     */
    @Test
    void thePodMonitorSelectsTheJobsPodsOnTheReportersPort() {
        JsonNode monitor = Manifests.render("k8s/monitoring").stream()
                .filter(r -> r.path("kind").asText().equals("PodMonitor")).findFirst().orElseThrow();
        JsonNode rule = Manifests.render("k8s/monitoring").stream()
                .filter(r -> r.path("kind").asText().equals("PrometheusRule")).findFirst().orElseThrow();
        assertThat(monitor.path("metadata").path("labels").path("release").asText())
                .as("the rules and the monitor are selected alike")
                .isEqualTo(rule.path("metadata").path("labels").path("release").asText()).isNotBlank();
        JsonNode matchLabels = monitor.path("spec").path("selector").path("matchLabels");
        String portName = monitor.path("spec").path("podMetricsEndpoints").path(0).path("port").asText();
        for (String overlay : List.of("k8s/overlays/cpu", "k8s/overlays/gpu")) {
            JsonNode fd = Manifests.flinkDeployment(overlay);
            assertThat(matchLabels.path("app").asText()).as(overlay)
                    .isEqualTo(fd.path("metadata").path("name").asText());
            assertThat(matchLabels.path("type").asText()).isEqualTo("flink-native-kubernetes");
            assertThat(matchLabels.size()).as("no label Flink does not set").isEqualTo(2);
            String reporterPort = fd.path("spec").path("flinkConfiguration").path("metrics.reporter.prom.port")
                    .asText();
            List<JsonNode> ports = new ArrayList<>();
            fd.path("spec").path("podTemplate").path("spec").path("containers").forEach(c -> {
                if (c.path("name").asText().equals("flink-main-container")) {
                    c.path("ports").forEach(ports::add);
                }
            });
            assertThat(ports).as(overlay).filteredOn(p -> p.path("name").asText().equals(portName))
                    .singleElement().satisfies(p -> assertThat(p.path("containerPort").asText())
                            .isEqualTo(reporterPort));
        }
    }

    private static List<JsonNode> alerts(JsonNode rule) {
        List<JsonNode> out = new ArrayList<>();
        rule.path("spec").path("groups").forEach(group -> group.path("rules").forEach(out::add));
        return out;
    }

    private record Result(int exitCode, String output) {
    }

    private static Result promtool(Path dir, String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of(promtoolPath()));
        command.addAll(List.of(args));
        Process process = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!process.waitFor(60, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            fail(command + " did not finish in 60 s");
        }
        return new Result(process.exitValue(), output);
    }

    /** -Dpromtool=..., else what scripts/ensure-promtool.sh unpacked, else promtool on PATH. */
    private static String promtoolPath() {
        String configured = System.getProperty("promtool");
        if (configured != null) {
            return configured;
        }
        Path unpacked = Repo.path(".tools/prometheus/usr/bin/promtool");
        if (Files.isExecutable(unpacked)) {
            return unpacked.toString();
        }
        for (String dir : System.getenv().getOrDefault("PATH", "").split(":")) {
            if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, "promtool"))) {
                return Path.of(dir, "promtool").toString();
            }
        }
        return fail("no promtool: run scripts/ensure-promtool.sh (./run-tests.sh does), or pass -Dpromtool=PATH");
    }
}
