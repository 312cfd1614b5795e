package io.defectdetector.job.alerts;

import static org.assertj.core.api.Assertions.assertThat;

import io.defectdetector.job.control.AuditRecord;
import io.defectdetector.job.control.ControlCommand;
import io.defectdetector.job.deadletter.DeadLetterRecord;
import io.defectdetector.job.frames.RawFrameRecord;
import io.defectdetector.job.scoring.ScoredFrame;
import io.defectdetector.job.thresholds.ThresholdOverride;
import io.defectdetector.job.thresholds.Verdict;
import java.util.ArrayList;
import java.util.List;
import org.apache.flink.api.common.serialization.SerializerConfigImpl;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeutils.CompositeType;
import org.apache.flink.api.common.typeutils.TypeSerializer;
import org.apache.flink.api.java.typeutils.GenericTypeInfo;
import org.apache.flink.api.java.typeutils.ListTypeInfo;
import org.apache.flink.api.java.typeutils.PojoTypeInfo;
import org.apache.flink.core.memory.DataInputDeserializer;
import org.apache.flink.core.memory.DataOutputSerializer;
import org.junit.jupiter.api.Test;

/** The records between operators and in state are Flink POJOs all the way down: no Kryo fallback anywhere. */
class FlinkTypesTest {

    @Test
    void recordsArePojosWithoutGenericFields() {
        // Also the state's types: a field Flink cannot analyse (an Instant, a List) would put the thresholds or the
        // pending audit into Kryo, whose savepoints do not survive a class change.
        for (Class<?> type : List.of(DefectAlert.class, ScoreRecord.class, ScoredFrame.class, RawFrameRecord.class,
                Verdict.class, DeadLetterRecord.class, ControlCommand.class, ThresholdOverride.class,
                AuditRecord.class)) {
            TypeInformation<?> info = TypeInformation.of(type);
            assertThat(info).as(type.getSimpleName()).isInstanceOf(PojoTypeInfo.class);
            assertThat(genericParts(info)).as(type.getSimpleName()).isEmpty();
        }
    }

    @Test
    void alertSurvivesFlinkSerialization() throws Exception {
        DefectAlert alert = AlertJsonTest.alert();
        alert.setHeatmapPng("AAAA");
        assertRoundTrip(alert, DefectAlert.class);
        DefectAlert frameFault = AlertJsonTest.alert();
        frameFault.setCause(DefectAlert.CAUSE_FRAME);
        frameFault.setInputLevel(1.0);
        frameFault.setInputSpread(-13.8);
        assertRoundTrip(frameFault, DefectAlert.class);
    }

    @Test
    void aScoredFrameOutsideTheInputRangeSurvivesFlinkSerialization() throws Exception {
        ScoredFrame f = new ScoredFrame();
        f.setCameraId("cam-1");
        f.setFrameId("f1");
        f.setErrorMap(new float[] {1f, 2f});
        f.setInputLevel(0.25);
        f.setInputSpread(-13.8);
        f.setInputOutOfRange(true);
        assertRoundTrip(f, ScoredFrame.class);
        assertRoundTrip(new ScoredFrame(), ScoredFrame.class);  // unmeasured: null statistics
    }

    private static <T> void assertRoundTrip(T value, Class<T> type) throws Exception {
        TypeSerializer<T> serializer = TypeInformation.of(type).createSerializer(new SerializerConfigImpl());
        DataOutputSerializer out = new DataOutputSerializer(256);
        serializer.serialize(value, out);
        T copy = serializer.deserialize(new DataInputDeserializer(out.getCopyOfBuffer()));
        assertThat(copy).isEqualTo(value);
        assertThat(serializer.copy(value)).isEqualTo(value);
    }

    private static List<String> genericParts(TypeInformation<?> info) {
        List<String> found = new ArrayList<>();
        collect(info, found);
        return found;
    }

    private static void collect(TypeInformation<?> info, List<String> found) {
        if (info instanceof GenericTypeInfo<?>) {
            found.add(info.toString());
        }
        if (info instanceof CompositeType<?> composite) {
            for (int i = 0; i < composite.getArity(); i++) {
                collect(composite.getTypeAt(i), found);
            }
        }
        if (info instanceof ListTypeInfo<?> list) {
            collect(list.getElementTypeInfo(), found);
        }
    }
}
