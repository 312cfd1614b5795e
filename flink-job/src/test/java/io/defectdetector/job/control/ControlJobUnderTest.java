package io.defectdetector.job.control;

import io.defectdetector.frame.Frame;
import io.defectdetector.job.DetectionPipeline;
import io.defectdetector.job.config.JobConfig;
import io.defectdetector.job.config.JobOptions;
import io.defectdetector.job.frames.FrameDecodeFunction;
import io.defectdetector.job.frames.FrameShapeCheck;
import io.defectdetector.job.frames.RawFrameRecord;
import io.defectdetector.job.inference.BatchInferenceOperator;
import io.defectdetector.job.inference.OnnxInferenceEngine;
import io.defectdetector.job.model.ModelBundle;
import io.defectdetector.job.model.ModelCard;
import io.defectdetector.job.scoring.ScoredFrame;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.connector.kafka.source.enumerator.initializer.OffsetsInitializer;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

/** The Kafka-to-Kafka job with the control path (until DetectionPipeline wires it in). */
final class ControlJobUnderTest {
    private ControlJobUnderTest() {
    }

    static void build(StreamExecutionEnvironment env, JobConfig cfg, ModelBundle model) {
        DetectionPipeline.configureEnvironment(env, cfg);
        ModelCard card = model.card();
        DataStream<RawFrameRecord> frames = DetectionPipeline.kafkaFrames(env, cfg);
        FrameShapeCheck shapeCheck = new FrameShapeCheck(card.channels(), card.width(), card.height(),
                cfg.get(JobOptions.FRAME_ASPECT_TOLERANCE));
        SingleOutputStreamOperator<Frame> decoded = frames
                .process(new FrameDecodeFunction(cfg.frameLimits(), shapeCheck))
                .uid(DetectionPipeline.DECODE_UID).name(DetectionPipeline.DECODE_UID);
        SingleOutputStreamOperator<ScoredFrame> scored = decoded
                .transform(DetectionPipeline.INFERENCE_UID, TypeInformation.of(ScoredFrame.class),
                        new BatchInferenceOperator(model, cfg.inferenceSettings(model.onnxPath().toString()),
                                OnnxInferenceEngine.factory()))
                .uid(DetectionPipeline.INFERENCE_UID).name(DetectionPipeline.INFERENCE_UID);
        DataStream<RawFrameRecord> control = env
                .fromSource(ControlKafka.source(cfg, OffsetsInitializer.earliest()), WatermarkStrategy.noWatermarks(),
                        "control-source")
                .setParallelism(1).uid("control-source").name("control-source");
        ThresholdStage.Outputs out = ThresholdStage.apply(scored, control, card,
                cfg.get(JobOptions.SCORES_ENABLED), cfg.get(JobOptions.ALERTS_THUMBNAILS_ENABLED));

        out.alerts().sinkTo(io.defectdetector.job.kafka.KafkaOutputSinks.alerts(cfg))
                .uid(DetectionPipeline.ALERTS_SINK_UID).name(DetectionPipeline.ALERTS_SINK_UID);
        decoded.getSideOutput(FrameDecodeFunction.DEAD_LETTERS)
                .sinkTo(io.defectdetector.job.kafka.KafkaOutputSinks.deadLetters(cfg))
                .uid(DetectionPipeline.DEAD_LETTER_SINK_UID).name(DetectionPipeline.DEAD_LETTER_SINK_UID);
        out.scores().sinkTo(io.defectdetector.job.kafka.KafkaOutputSinks.scores(cfg))
                .uid(DetectionPipeline.SCORES_SINK_UID).name(DetectionPipeline.SCORES_SINK_UID);
        out.audit().sinkTo(ControlKafka.auditSink(cfg)).uid("audit-sink").name("audit-sink");
        out.controlRejects().sinkTo(ControlKafka.rejectSink(cfg)).setParallelism(1)
                .uid("control-dead-letter-sink").name("control-dead-letter-sink");
    }
}
