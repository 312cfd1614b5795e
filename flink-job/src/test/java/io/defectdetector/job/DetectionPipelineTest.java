package io.defectdetector.job;

import static org.assertj.core.api.Assertions.assertThat;

import io.defectdetector.job.config.JobConfig;
import io.defectdetector.job.inference.BatchInferenceOperator;
import io.defectdetector.job.model.InputRange;
import io.defectdetector.job.model.ModelBundle;
import io.defectdetector.job.testing.PipelineTestSupport;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.apache.flink.configuration.CheckpointingOptions;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.PipelineOptions;
import org.apache.flink.configuration.RestartStrategyOptions;
import org.apache.flink.core.execution.CheckpointingMode;
import org.apache.flink.runtime.jobgraph.DistributionPattern;
import org.apache.flink.runtime.jobgraph.JobEdge;
import org.apache.flink.runtime.jobgraph.JobGraph;
import org.apache.flink.runtime.jobgraph.JobVertex;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.graph.StreamGraph;
import org.apache.flink.streaming.api.graph.StreamNode;
import org.apache.flink.streaming.api.operators.SimpleOperatorFactory;
import org.junit.jupiter.api.Test;

/** The assembled job graph, without running it: uids, names, one operator chain, checkpoint settings. */
class DetectionPipelineTest {

    private static JobConfig config(String... extra) {
        Map<String, String> options = new java.util.HashMap<>(Map.of("kafka-bootstrap-servers", "broker:9092",
                "model-path", PipelineTestSupport.DEFAULT_MODEL.toString(), "scores-enabled", "true",
                "checkpoint-interval", "750 ms", "parallelism", "3"));
        for (int i = 0; i < extra.length; i += 2) {
            options.put(extra[i], extra[i + 1]);
        }
        return JobConfig.from(Configuration.fromMap(options));
    }

    private static StreamGraph kafkaJob(JobConfig cfg) {
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        DetectionPipeline.buildKafkaJob(env, cfg, ModelBundle.locate(cfg.modelPath()));
        return env.getStreamGraph();
    }

    @Test
    void everyOperatorHasItsFixedUidAndName() {
        StreamGraph graph = kafkaJob(config());

        List<String> uids = graph.getStreamNodes().stream().map(StreamNode::getTransformationUID).toList();
        assertThat(uids).doesNotContainNull().contains(DetectionPipeline.SOURCE_UID, DetectionPipeline.DECODE_UID,
                DetectionPipeline.INFERENCE_UID, DetectionPipeline.THRESHOLDS_UID, DetectionPipeline.DEBOUNCE_UID,
                DetectionPipeline.CONTROL_SOURCE_UID, DetectionPipeline.PARSE_CONTROL_UID, DetectionPipeline.AUDIT_UID);
        for (String sink : List.of(DetectionPipeline.ALERTS_SINK_UID, DetectionPipeline.DEAD_LETTER_SINK_UID,
                DetectionPipeline.SCORES_SINK_UID, DetectionPipeline.AUDIT_SINK_UID,
                DetectionPipeline.CONTROL_DEAD_LETTER_SINK_UID)) {
            assertThat(uids).as(sink).anyMatch(uid -> uid.startsWith(sink));
        }
        assertThat(graph.getStreamNodes()).extracting(StreamNode::getOperatorName)
                .contains(DetectionPipeline.DECODE_UID, DetectionPipeline.INFERENCE_UID, DetectionPipeline.THRESHOLDS_UID,
                        DetectionPipeline.DEBOUNCE_UID);
    }

    @Test
    void theControlStageSinksRunAsOneWriterWhateverTheJobsParallelism() {
        // A few records a minute: one writer keeps the control stage to one producer and id pool per sink.
        StreamGraph graph = kafkaJob(config());
        for (String sink : List.of(DetectionPipeline.AUDIT_SINK_UID, DetectionPipeline.CONTROL_DEAD_LETTER_SINK_UID)) {
            assertThat(graph.getStreamNodes()).as(sink)
                    .filteredOn(n -> n.getTransformationUID() != null && n.getTransformationUID().startsWith(sink))
                    .isNotEmpty().allMatch(n -> n.getParallelism() == 1);
        }
        assertThat(graph.getStreamNodes()).filteredOn(n -> n.getTransformationUID() != null
                && n.getTransformationUID().startsWith(DetectionPipeline.ALERTS_SINK_UID))
                .isNotEmpty().allMatch(n -> n.getParallelism() == 3);
    }

    @Test
    void theKeyedStatesRescalingCeilingIsSetExplicitly() {
        // Not derived from the first parallelism: a savepoint restores only into the same max parallelism.
        assertThat(kafkaJob(config()).getJobGraph().getVertices()).allSatisfy(v -> assertThat(v.getMaxParallelism())
                .as(v.getName()).isIn(128, 1));
        JobVertex debounce = vertex(List.of(kafkaJob(config("max-parallelism", "512")).getJobGraph()
                .getVerticesAsArray()), DetectionPipeline.DEBOUNCE_UID);
        assertThat(debounce.getMaxParallelism()).isEqualTo(512);
    }

    @Test
    void scoresSinkExistsOnlyWhenEnabled() {
        StreamGraph graph = kafkaJob(config("scores-enabled", "false"));
        assertThat(graph.getStreamNodes()).extracting(StreamNode::getTransformationUID)
                .noneMatch(uid -> uid.startsWith(DetectionPipeline.SCORES_SINK_UID));
    }

    @Test
    void theInferenceOperatorChecksTheCardsInputRangeUnlessSwitchedOff() {
        InputRange cards = ModelBundle.locate(PipelineTestSupport.DEFAULT_MODEL.toString()).card().inputRange();
        assertThat(cards).as("the default model's card has one").isNotNull();
        assertThat(inference(kafkaJob(config())).inputRange()).isEqualTo(cards);
        assertThat(inference(kafkaJob(config("input-range-check", "false"))).inputRange()).isNull();
    }

    private static BatchInferenceOperator inference(StreamGraph graph) {
        StreamNode node = graph.getStreamNodes().stream()
                .filter(n -> DetectionPipeline.INFERENCE_UID.equals(n.getTransformationUID())).findFirst().orElseThrow();
        return (BatchInferenceOperator) ((SimpleOperatorFactory<?>) node.getOperatorFactory()).getOperator();
    }

    @Test
    void framesAndErrorMapsNeverLeaveTheirSlot() {
        JobGraph job = kafkaJob(config()).getJobGraph();
        List<JobVertex> vertices = List.of(job.getVerticesAsArray());

        JobVertex frames = vertex(vertices, DetectionPipeline.SOURCE_UID);
        assertThat(frames.getName()).as("source, decoding and inference in one chain")
                .contains(DetectionPipeline.DECODE_UID).contains(DetectionPipeline.INFERENCE_UID);
        assertThat(frames.getParallelism()).isEqualTo(3);
        JobVertex thresholds = vertex(vertices, DetectionPipeline.THRESHOLDS_UID);
        assertThat(thresholds.getParallelism()).isEqualTo(3);
        // Scored frames (with their error maps) reach the thresholds operator one-to-one: subtask i to subtask i,
        // in the same slot; only the small verdicts are keyed by camera.
        JobEdge scored = thresholds.getInputs().stream()
                .filter(e -> e.getSource().getProducer().equals(frames)).findFirst().orElseThrow();
        assertThat(scored.getDistributionPattern()).isEqualTo(DistributionPattern.POINTWISE);
        assertThat(scored.getShipStrategyName()).isEqualTo("FORWARD");
        JobVertex debounce = vertex(vertices, DetectionPipeline.DEBOUNCE_UID);
        assertThat(debounce.getInputs()).singleElement()
                .satisfies(e -> assertThat(e.getSource().getProducer()).isEqualTo(thresholds));
        assertThat(vertex(vertices, DetectionPipeline.CONTROL_SOURCE_UID).getParallelism()).isEqualTo(1);
    }

    private static JobVertex vertex(List<JobVertex> vertices, String uid) {
        return vertices.stream().filter(v -> v.getName().contains(uid)).findFirst()
                .orElseThrow(() -> new AssertionError(uid + " in " + vertices.stream().map(JobVertex::getName).toList()));
    }

    @Test
    void configuresExactlyOnceCheckpointsRestartsAndObjectReuse() {
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        DetectionPipeline.configureEnvironment(env, config("restart-max-delay", "30 s"));

        var conf = env.getConfiguration();
        assertThat(conf.get(CheckpointingOptions.CHECKPOINTING_INTERVAL)).isEqualTo(Duration.ofMillis(750));
        assertThat(conf.get(CheckpointingOptions.CHECKPOINTING_CONSISTENCY_MODE))
                .isEqualTo(CheckpointingMode.EXACTLY_ONCE);
        assertThat(conf.get(RestartStrategyOptions.RESTART_STRATEGY)).isEqualTo("exponential-delay");
        assertThat(conf.get(RestartStrategyOptions.RESTART_STRATEGY_EXPONENTIAL_DELAY_MAX_BACKOFF))
                .isEqualTo(Duration.ofSeconds(30));
        assertThat(conf.get(PipelineOptions.OBJECT_REUSE)).isTrue();
        assertThat(env.getConfig().isObjectReuseEnabled()).isTrue();
        assertThat(env.getCheckpointInterval()).isEqualTo(750);
        assertThat(env.getParallelism()).isEqualTo(3);
        // Flink's own 100 ms would add up to 100 ms per network hop to every frame's latency.
        assertThat(env.getBufferTimeout()).isEqualTo(5);
    }

    @Test
    void networkBufferTimeoutIsConfigurable() {
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        DetectionPipeline.configureEnvironment(env, config("network-buffer-timeout", "0 ms"));
        assertThat(env.getBufferTimeout()).isZero();
    }
}
