package io.defectdetector.job;

import io.defectdetector.frame.Frame;
import io.defectdetector.job.alerts.DefectAlert;
import io.defectdetector.job.alerts.ScoreRecord;
import io.defectdetector.job.config.JobConfig;
import io.defectdetector.job.config.JobOptions;
import io.defectdetector.job.deadletter.DeadLetterRecord;
import io.defectdetector.job.frames.FrameDecodeFunction;
import io.defectdetector.job.frames.FrameShapeCheck;
import io.defectdetector.job.frames.RawFrameRecord;
import io.defectdetector.job.inference.BatchInferenceOperator;
import io.defectdetector.job.inference.InferenceEngineFactory;
import io.defectdetector.job.inference.OnnxInferenceEngine;
import io.defectdetector.job.kafka.KafkaFrameSource;
import io.defectdetector.job.kafka.KafkaOutputSinks;
import io.defectdetector.job.model.ModelBundle;
import io.defectdetector.job.model.ModelCard;
import io.defectdetector.job.scoring.ScoredFrame;
import io.defectdetector.job.thresholds.DetectionFunction;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.configuration.CheckpointingOptions;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.PipelineOptions;
import org.apache.flink.configuration.RestartStrategyOptions;
import org.apache.flink.core.execution.CheckpointingMode;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

/**
 * Assembles the detection job in one place. The frames come in as a stream and the results go out as streams, so
 * the job's {@code main} attaches Kafka while tests and the demo attach what they need:
 *
 * <pre>
 * frames-source -> decode-frames -> batch-inference -> detect-defects -> alerts-sink
 *                     `-> dead letters -> dead-letter-sink      `-> scores -> scores-sink (optional)
 * </pre>
 *
 * Every operator keeps the forward (chained) connection to the one before it, so frames and error maps never
 * cross the network and each camera's frames (one Kafka partition) stay in order. Operator uids are fixed
 * forever: savepoints map state to operators by uid.
 */
public final class DetectionPipeline {
    public static final String SOURCE_UID = "frames-source";
    public static final String DECODE_UID = "decode-frames";
    public static final String INFERENCE_UID = "batch-inference";
    public static final String DETECT_UID = "detect-defects";
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
        env.configure(conf);
        Integer parallelism = cfg.get(JobOptions.PARALLELISM);
        if (parallelism != null) {
            env.setParallelism(parallelism);
        }
    }

    /** The frames topic as a stream of undecoded records. */
    public static DataStream<RawFrameRecord> kafkaFrames(StreamExecutionEnvironment env, JobConfig cfg) {
        return env.fromSource(KafkaFrameSource.create(cfg), WatermarkStrategy.noWatermarks(), SOURCE_UID)
                .uid(SOURCE_UID)
                .name(SOURCE_UID);
    }

    /** Locates the model of {@code model-path} and builds with the ONNX Runtime engine. */
    public static DetectionOutputs build(DataStream<RawFrameRecord> frames, JobConfig cfg) {
        return build(frames, cfg, ModelBundle.locate(cfg.modelPath()), OnnxInferenceEngine.factory());
    }

    public static DetectionOutputs build(DataStream<RawFrameRecord> frames, JobConfig cfg, ModelBundle model,
            InferenceEngineFactory engines) {
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
                        new BatchInferenceOperator(model, cfg.inferenceSettings(model.onnxPath().toString()),
                                engines))
                .uid(INFERENCE_UID)
                .name(INFERENCE_UID);

        SingleOutputStreamOperator<DefectAlert> alerts = scored
                .process(new DetectionFunction(card.defaultThresholds(), cfg.get(JobOptions.SCORES_ENABLED),
                        cfg.get(JobOptions.ALERTS_THUMBNAILS_ENABLED)))
                .uid(DETECT_UID)
                .name(DETECT_UID);
        DataStream<ScoreRecord> scores = alerts.getSideOutput(DetectionFunction.SCORES);

        return new DetectionOutputs(alerts, deadLetters, scores);
    }

    /** Writes alerts and dead letters (and scores when enabled) to their Kafka topics. */
    public static void sinkToKafka(DetectionOutputs outputs, JobConfig cfg) {
        outputs.alerts().sinkTo(KafkaOutputSinks.alerts(cfg)).uid(ALERTS_SINK_UID).name(ALERTS_SINK_UID);
        outputs.deadLetters().sinkTo(KafkaOutputSinks.deadLetters(cfg))
                .uid(DEAD_LETTER_SINK_UID).name(DEAD_LETTER_SINK_UID);
        if (cfg.get(JobOptions.SCORES_ENABLED)) {
            outputs.scores().sinkTo(KafkaOutputSinks.scores(cfg)).uid(SCORES_SINK_UID).name(SCORES_SINK_UID);
        }
    }

    /** The whole Kafka-to-Kafka job on {@code env}, as {@code DefectDetectionJob} runs it. */
    public static DetectionOutputs buildKafkaJob(StreamExecutionEnvironment env, JobConfig cfg, ModelBundle model) {
        configureEnvironment(env, cfg);
        DetectionOutputs outputs = build(kafkaFrames(env, cfg), cfg, model, OnnxInferenceEngine.factory());
        sinkToKafka(outputs, cfg);
        return outputs;
    }
}
