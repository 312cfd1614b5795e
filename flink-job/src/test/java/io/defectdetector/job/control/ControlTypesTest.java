package io.defectdetector.job.control;

import static org.assertj.core.api.Assertions.assertThat;

import io.defectdetector.job.alerts.DefectAlert;
import io.defectdetector.job.scoring.DefectRegion;
import io.defectdetector.job.thresholds.ThresholdOverride;
import io.defectdetector.job.thresholds.Verdict;
import java.util.List;
import org.apache.flink.api.common.serialization.SerializerConfigImpl;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeutils.TypeSerializer;
import org.apache.flink.api.java.typeutils.PojoTypeInfo;
import org.apache.flink.core.memory.DataInputDeserializer;
import org.apache.flink.core.memory.DataOutputSerializer;
import org.junit.jupiter.api.Test;

/** The records and state of the control path use Flink's POJO serializer, never Kryo. */
class ControlTypesTest {

    @Test
    void stateAndRecordsArePojos() {
        for (Class<?> type : List.of(ThresholdOverride.class, ControlCommand.class, Verdict.class, AuditRecord.class,
                ControlReject.class)) {
            assertThat(TypeInformation.of(type)).as(type.getSimpleName()).isInstanceOf(PojoTypeInfo.class);
        }
    }

    @Test
    void verdictWithCandidateAlertSurvivesSerialization() throws Exception {
        Verdict v = new Verdict();
        v.setCameraId("cam-01");
        v.setFrameId("f1");
        v.setOver(true);
        v.setScore(1.5f);
        DefectAlert a = new DefectAlert();
        a.setCameraId("cam-01");
        a.setRegions(List.of(new DefectRegion(1, 2, 3, 4, 12, 2f, 1.5f, 1, 2, 3, 4, 12)));
        a.setRegionCount(1);
        a.setHeatmapPng("iVBOR");
        v.setCandidate(a);

        TypeSerializer<Verdict> serializer = TypeInformation.of(Verdict.class)
                .createSerializer(new SerializerConfigImpl());
        DataOutputSerializer out = new DataOutputSerializer(256);
        serializer.serialize(v, out);
        Verdict back = serializer.deserialize(new DataInputDeserializer(out.getCopyOfBuffer()));
        assertThat(back).isEqualTo(v);
    }
}
