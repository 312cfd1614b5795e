package io.defectdetector.job.testing;

import java.util.Map;
import org.apache.flink.metrics.Metric;
import org.apache.flink.runtime.jobgraph.OperatorID;
import org.apache.flink.runtime.metrics.groups.InternalOperatorMetricGroup;
import org.apache.flink.runtime.metrics.util.InterceptingOperatorMetricGroup;
import org.apache.flink.runtime.metrics.util.InterceptingTaskMetricGroup;
import org.apache.flink.runtime.operators.testutils.MockEnvironment;
import org.apache.flink.runtime.operators.testutils.MockEnvironmentBuilder;

/** A mock task environment whose operator metrics a test can read back by name. */
public final class TestingMetrics {
    private final InterceptingOperatorMetricGroup operatorMetrics = new InterceptingOperatorMetricGroup();
    private final MockEnvironment environment;

    public TestingMetrics() {
        InterceptingTaskMetricGroup taskMetrics = new InterceptingTaskMetricGroup() {
            @Override
            public InternalOperatorMetricGroup getOrAddOperator(OperatorID id, String name,
                    Map<String, String> additionalVariables) {
                return operatorMetrics;
            }
        };
        environment = new MockEnvironmentBuilder().setMetricGroup(taskMetrics).build();
    }

    public MockEnvironment environment() {
        return environment;
    }

    @SuppressWarnings("unchecked")
    public <M extends Metric> M get(String name) {
        M metric = (M) operatorMetrics.get(name);
        if (metric == null) {
            throw new AssertionError("no metric '" + name + "' registered");
        }
        return metric;
    }
}
