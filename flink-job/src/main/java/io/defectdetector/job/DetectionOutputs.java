package io.defectdetector.job;

import io.defectdetector.job.alerts.DefectAlert;
import io.defectdetector.job.alerts.ScoreRecord;
import io.defectdetector.job.control.AuditRecord;
import io.defectdetector.job.control.ControlReject;
import io.defectdetector.job.deadletter.DeadLetterRecord;
import org.apache.flink.streaming.api.datastream.DataStream;

/**
 * The result streams of the detection pipeline, before any sink is attached.
 *
 * @param scores         one record per decided frame; empty unless scores are enabled
 * @param controlRejects refused control commands (for the dead-letter topic); null when built without control
 * @param audit          one record per applied control command; null when built without control
 */
public record DetectionOutputs(DataStream<DefectAlert> alerts, DataStream<DeadLetterRecord> deadLetters,
        DataStream<ScoreRecord> scores, DataStream<ControlReject> controlRejects, DataStream<AuditRecord> audit) {
}
