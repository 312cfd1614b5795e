package io.defectdetector.job;

import io.defectdetector.frame.Frame;
import io.defectdetector.job.config.JobConfig;
import io.defectdetector.job.config.JobOptions;
import io.defectdetector.job.control.ControlKafka;
import io.defectdetector.job.control.DurationConverter;
import io.defectdetector.job.deadletter.DeadLetterRecord;
import io.defectdetector.job.frames.FrameDecodeFunction;
import io.defectdetector.job.frames.FrameShapeCheck;
import io.defectdetector.job.frames.RawFrameRecord;
import io.defectdetector.job.inference.BatchInferenceOperator;
import io.defectdetector.job.inference.InferenceEngineFactory;
import io.defectdetector.job.inference.OnnxInferenceEngine;
import io.defectdetector.job.kafka.KafkaFrameSource;
import io.defectdetector.job.kafka.KafkaOutputSinks;
import io.defectdetector.job.model.InputRange;
import io.defectdetector.job.model.ModelBundle;
import io.defectdetector.job.model.ModelCard;
import io.defectdetector.job.scoring.ScoredFrame;
import io.defectdetector.job.thresholds.ThresholdStage;
import java.util.List;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.configuration.CheckpointingOptions;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.ExecutionOptions;
import org.apache.flink.configuration.PipelineOptions;
import org.apache.flink.configuration.RestartStrategyOptions;
import org.apache.flink.core.execution.CheckpointingMode;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Assembles the detection job in one place. The frames come in as a stream and the results go out as streams, so
 * the job's {@code main} attaches Kafka while tests and the demo attach what they need:
 *
 * <pre>
 * frames-source -> decode-frames -> batch-inference -> thresholds -> keyBy(camera) -> debounce-alerts -> alerts-sink
 *                     `-> dead letters -> dead-letter-sink  ^ broadcast              `-> scores -> scores-sink (optional)
 * control-source -> parse-control ----------------------------'  `-> control-audit -> audit-sink
 *                     `-> refused commands -> control-dead-letter-sink
 * </pre>
 *
 * Source, decoding and inference are chained, so frames never leave their slot and each camera's frames (one
 * Kafka partition) stay in order. {@code thresholds} (a two-input operator, which Flink does not chain to its
 * upstream) receives the scored frames through a forward connection at the same parallelism: a local channel in
 * the same slot, never the network; the error maps end there, and only small verdicts are keyed by camera
 * (ThresholdStage). Operator uids are fixed forever: savepoints map state to operators by uid.
 */
public final class DetectionPipeline {
    private static final Logger LOG = LoggerFactory.getLogger(DetectionPipeline.class);
    public static final String SOURCE_UID = "frames-source";
    public static final String DECODE_UID = "decode-frames";
    public static final String INFERENCE_UID = "batch-inference";
    public static final String THRESHOLDS_UID = ThresholdStage.THRESHOLDS_UID;
    public static final String DEBOUNCE_UID = ThresholdStage.DEBOUNCE_UID;
    public static final String PARSE_CONTROL_UID = ThresholdStage.PARSE_CONTROL_UID;
    public static final String AUDIT_UID = ThresholdStage.AUDIT_UID;
    public static final String CONTROL_SOURCE_UID = "control-source";
    public static final String AUDIT_SINK_UID = "audit-sink";
    public static final String CONTROL_DEAD_LETTER_SINK_UID = "control-dead-letter-sink";
    public static final String ALERTS_SINK_UID = "alerts-sink";
    public static final String DEAD_LETTER_SINK_UID = "dead-letter-sink";
    public static final String SCORES_SINK_UID = "scores-sink";

    private DetectionPipeline() {
    }

    /**
     * Exactly-once checkpoints at checkpoint-interval, exponential-delay restarts, object reuse, parallelism.
     *
     * <p>Object reuse is safe here because no operator keeps a reference to an input after emitting: each
     * operator emits new objects (decode: a new Frame per record; inference: a new ScoredFrame per frame,
     * buffered frames are new objects that nothing upstream touches again; detection: new alerts/scores), and
     * no record is mutated after it is emitted. Without it, every chained hand-over deep-copies the pixels and
     * error maps.
     */
    public static void configureEnvironment(StreamExecutionEnvironment env, JobConfig cfg) {
        Configuration conf = new Configuration();
        conf.set(CheckpointingOptions.CHECKPOINTING_INTERVAL, cfg.get(JobOptions.CHECKPOINT_INTERVAL));
        conf.set(CheckpointingOptions.CHECKPOINTING_CONSISTENCY_MODE, CheckpointingMode.EXACTLY_ONCE);
        conf.set(CheckpointingOptions.CHECKPOINTING_TIMEOUT, cfg.get(JobOptions.CHECKPOINT_TIMEOUT));
        conf.set(RestartStrategyOptions.RESTART_STRATEGY, "exponential-delay");
        conf.set(RestartStrategyOptions.RESTART_STRATEGY_EXPONENTIAL_DELAY_INITIAL_BACKOFF,
                cfg.get(JobOptions.RESTART_INITIAL_DELAY));
        conf.set(RestartStrategyOptions.RESTART_STRATEGY_EXPONENTIAL_DELAY_MAX_BACKOFF,
                cfg.get(JobOptions.RESTART_MAX_DELAY));
        conf.set(PipelineOptions.OBJECT_REUSE, true);
        conf.set(ExecutionOptions.BUFFER_TIMEOUT, cfg.get(JobOptions.NETWORK_BUFFER_TIMEOUT));
        env.configure(conf);
        Integer parallelism = cfg.get(JobOptions.PARALLELISM);
        if (parallelism != null) {
            env.setParallelism(parallelism);
        }
        // Explicit: the keyed state's rescaling ceiling must not depend on the first deployment's parallelism.
        env.setMaxParallelism(cfg.get(JobOptions.MAX_PARALLELISM));
    }

    /** The frames topic as a stream of undecoded records. */
    public static DataStream<RawFrameRecord> kafkaFrames(StreamExecutionEnvironment env, JobConfig cfg) {
        return env.fromSource(KafkaFrameSource.create(cfg), WatermarkStrategy.noWatermarks(), SOURCE_UID)
                .uid(SOURCE_UID)
                .name(SOURCE_UID);
    }

    /**
     * The control topic as a stream of undecoded records, read by one subtask so commands keep their order.
     * Offsets are checkpointed with the thresholds they produced.
     */
    public static DataStream<RawFrameRecord> kafkaControl(StreamExecutionEnvironment env, JobConfig cfg) {
        return env.fromSource(ControlKafka.source(cfg, cfg.get(JobOptions.KAFKA_CONTROL_STARTING_OFFSETS)
                                .initializer()), WatermarkStrategy.noWatermarks(), CONTROL_SOURCE_UID)
                .setParallelism(1)
                .uid(CONTROL_SOURCE_UID)
                .name(CONTROL_SOURCE_UID);
    }

    /** Locates the model of {@code model-path} and builds with the ONNX Runtime engine, without a control topic. */
    public static DetectionOutputs build(DataStream<RawFrameRecord> frames, JobConfig cfg) {
        return build(frames, cfg, ModelBundle.locate(cfg.modelPath()).releaseLocalCopy(),
                OnnxInferenceEngine.factory());
    }

    /** Without a control topic: the thresholds stay the model card's (as restored from a savepoint, if any). */
    public static DetectionOutputs build(DataStream<RawFrameRecord> frames, JobConfig cfg, ModelBundle model,
            InferenceEngineFactory engines) {
        return build(frames, null, cfg, model, engines);
    }

    /**
     * @param control the control records (threshold commands), or null for none; then the outputs have no
     *                audit and control dead-letter streams
     */
    public static DetectionOutputs build(DataStream<RawFrameRecord> frames, DataStream<RawFrameRecord> control,
            JobConfig cfg, ModelBundle model, InferenceEngineFactory engines) {
        ModelCard card = model.card();
        FrameShapeCheck shapeCheck = new FrameShapeCheck(card.channels(), card.width(), card.height(),
                cfg.get(JobOptions.FRAME_ASPECT_TOLERANCE));

        SingleOutputStreamOperator<Frame> decoded = frames
                .process(new FrameDecodeFunction(cfg.frameLimits(), shapeCheck))
                .uid(DECODE_UID)
                .name(DECODE_UID);
        DataStream<DeadLetterRecord> deadLetters = decoded.getSideOutput(FrameDecodeFunction.DEAD_LETTERS);

        SingleOutputStreamOperator<ScoredFrame> scored = decoded
                .transform(INFERENCE_UID, TypeInformation.of(ScoredFrame.class),
                        new BatchInferenceOperator(model, cfg.inferenceSettings(), engines, inputRange(cfg, card)))
                .uid(INFERENCE_UID)
                .name(INFERENCE_UID);

        DataStream<RawFrameRecord> commands = control != null ? control : noControl(frames);
        ThresholdStage.Outputs decided = ThresholdStage.apply(scored, commands, card,
                cfg.get(JobOptions.SCORES_ENABLED), cfg.get(JobOptions.ALERTS_THUMBNAILS_ENABLED),
                cfg.get(JobOptions.INPUT_RANGE_ALERT_INTERVAL));
        return new DetectionOutputs(decided.alerts(), deadLetters, decided.scores(),
                control == null ? null : decided.controlRejects(), control == null ? null : decided.audit());
    }

    /** The card's input range unless switched off, said once in the log either way. */
    private static InputRange inputRange(JobConfig cfg, ModelCard card) {
        if (card.inputRange() == null) {
            LOG.info("Input range: none in the model card, so frames are not checked (model-export's input-range "
                    + "command adds one to the card)");
            return null;
        }
        if (!cfg.get(JobOptions.INPUT_RANGE_CHECK)) {
            LOG.info("Input range: not checked (input-range-check is false)");
            return null;
        }
        LOG.info("Input range: a frame outside the card's {} alerts with cause 'frame', each camera at most once "
                + "per {} (input-range-alert-interval)", card.inputRange(),
                DurationConverter.format(cfg.get(JobOptions.INPUT_RANGE_ALERT_INTERVAL)));
        return card.inputRange();
    }

    /** An empty control stream (a bounded source that emits nothing and finishes). */
    private static DataStream<RawFrameRecord> noControl(DataStream<RawFrameRecord> frames) {
        return frames.getExecutionEnvironment()
                .fromData(List.of(new RawFrameRecord()), TypeInformation.of(RawFrameRecord.class))
                .uid("no-control").name("no-control")
                .filter(r -> false)
                .uid("no-control-filter").name("no-control-filter");
    }

    /** Writes alerts and dead letters (and scores when enabled, audit and refused commands with control) to Kafka. */
    public static void sinkToKafka(DetectionOutputs outputs, JobConfig cfg) {
        outputs.alerts().sinkTo(KafkaOutputSinks.alerts(cfg)).uid(ALERTS_SINK_UID).name(ALERTS_SINK_UID);
        outputs.deadLetters().sinkTo(KafkaOutputSinks.deadLetters(cfg))
                .uid(DEAD_LETTER_SINK_UID).name(DEAD_LETTER_SINK_UID);
        if (cfg.get(JobOptions.SCORES_ENABLED)) {
            outputs.scores().sinkTo(KafkaOutputSinks.scores(cfg)).uid(SCORES_SINK_UID).name(SCORES_SINK_UID);
        }
        if (outputs.audit() != null) {
            // One writer, as for refused commands: a few records a minute need no more, and each writer holds its
            // own producers and pooled transactional ids.
            outputs.audit().sinkTo(ControlKafka.auditSink(cfg)).setParallelism(1)
                    .uid(AUDIT_SINK_UID).name(AUDIT_SINK_UID);
        }
        if (outputs.controlRejects() != null) {
            outputs.controlRejects().sinkTo(ControlKafka.rejectSink(cfg)).setParallelism(1)
                    .uid(CONTROL_DEAD_LETTER_SINK_UID).name(CONTROL_DEAD_LETTER_SINK_UID);
        }
    }

    /** The whole Kafka-to-Kafka job on {@code env}, as {@code DefectDetectionJob} runs it. */
    public static DetectionOutputs buildKafkaJob(StreamExecutionEnvironment env, JobConfig cfg, ModelBundle model) {
        configureEnvironment(env, cfg);
        DetectionOutputs outputs = build(kafkaFrames(env, cfg), kafkaControl(env, cfg), cfg, model,
                OnnxInferenceEngine.factory());
        sinkToKafka(outputs, cfg);
        return outputs;
    }
}
