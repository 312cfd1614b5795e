package io.defectdetector.job.testing;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.flink.api.common.JobID;
import org.apache.flink.metrics.Metric;
import org.apache.flink.runtime.clusterframework.types.ResourceID;
import org.apache.flink.runtime.executiongraph.ExecutionAttemptID;
import org.apache.flink.runtime.metrics.groups.TaskManagerMetricGroup;
import org.apache.flink.runtime.metrics.groups.TaskMetricGroup;
import org.apache.flink.runtime.metrics.util.TestingMetricRegistry;
import org.apache.flink.runtime.operators.testutils.MockEnvironment;
import org.apache.flink.runtime.operators.testutils.MockEnvironmentBuilder;

/**
 * A mock task environment over a real metric group hierarchy, whose registry records every metric by its full
 * identifier, so a test reads back metrics by name, those of key-value groups too ("reason.EMPTY.name").
 */
public final class TestingMetrics {
    private final Map<String, Metric> metrics = new ConcurrentHashMap<>();
    private final MockEnvironment environment;

    public TestingMetrics() {
        TestingMetricRegistry registry = TestingMetricRegistry.builder()
                .setRegisterConsumer((metric, name, group) -> metrics.put(group.getMetricIdentifier(name), metric))
                .build();
        TaskManagerMetricGroup tm = TaskManagerMetricGroup.createTaskManagerMetricGroup(registry, "host",
                ResourceID.generate());
        TaskMetricGroup task = tm.addJob(new JobID(), "job").addTask(ExecutionAttemptID.randomId(), "task");
        environment = new MockEnvironmentBuilder().setMetricGroup(task).build();
    }

    public MockEnvironment environment() {
        return environment;
    }

    /** The one metric whose identifier ends with "." + name. */
    @SuppressWarnings("unchecked")
    public <M extends Metric> M get(String name) {
        List<Metric> found = metrics.entrySet().stream().filter(e -> e.getKey().endsWith("." + name))
                .map(Map.Entry::getValue).toList();
        if (found.size() != 1) {
            throw new AssertionError(found.size() + " metrics '*." + name + "' among " + metrics.keySet());
        }
        return (M) found.get(0);
    }
}
