package io.defectdetector.job;

import io.defectdetector.job.alerts.DefectAlert;
import io.defectdetector.job.alerts.ScoreRecord;
import io.defectdetector.job.deadletter.DeadLetterRecord;
import org.apache.flink.streaming.api.datastream.DataStream;

/**
 * The three result streams of the detection pipeline, before any sink is attached.
 *
 * @param scores one record per inferred frame; empty unless scores are enabled
 */
public record DetectionOutputs(DataStream<DefectAlert> alerts, DataStream<DeadLetterRecord> deadLetters,
        DataStream<ScoreRecord> scores) {
}
