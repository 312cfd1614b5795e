package io.defectdetector.job.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import io.defectdetector.frame.RejectReason;
import io.defectdetector.job.frames.RawFrameRecord;
import io.defectdetector.job.testing.MalformedFrames;
import io.defectdetector.job.testing.TestRecords;
import java.util.ArrayList;
import java.util.List;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeutils.TypeSerializer;
import org.apache.flink.api.java.typeutils.PojoTypeInfo;
import org.apache.flink.api.common.serialization.SerializerConfigImpl;
import org.apache.flink.core.memory.DataInputDeserializer;
import org.apache.flink.core.memory.DataOutputSerializer;
import org.apache.flink.util.Collector;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;

class RawFrameDeserializerTest {

    @Test
    void keepsKeyValueHeadersAndPositionWithoutDecoding() throws Exception {
        // A record the decoder would reject must still come through whole.
        ProducerRecord<byte[], byte[]> sent = MalformedFrames.oneOfEach("frames", "cam-3")
                .get(RejectReason.UNDECODABLE_IMAGE);
        sent.headers().add("frame-id", "duplicate-wins".getBytes());
        sent.headers().add("custom", null);
        ConsumerRecord<byte[], byte[]> consumed = TestRecords.consumed(sent, 2, 99);

        List<RawFrameRecord> out = new ArrayList<>();
        new RawFrameDeserializer().deserialize(consumed, collector(out));

        RawFrameRecord raw = out.get(0);
        assertThat(raw.getTopic()).isEqualTo("frames");
        assertThat(raw.getPartition()).isEqualTo(2);
        assertThat(raw.getOffset()).isEqualTo(99);
        assertThat(raw.getTimestamp()).isEqualTo(consumed.timestamp());
        assertThat(raw.getKey()).isEqualTo(sent.key());
        assertThat(raw.getValue()).isEqualTo(sent.value());
        assertThat(raw.kafkaHeaders().toArray()).containsExactly(sent.headers().toArray());
        assertThat(raw.lastHeaderText("frame-id")).isEqualTo("duplicate-wins");
    }

    @Test
    void rawRecordIsAFlinkPojoThatSurvivesSerializationWithNulls() throws Exception {
        TypeInformation<RawFrameRecord> type = new RawFrameDeserializer().getProducedType();
        assertThat(type).isInstanceOf(PojoTypeInfo.class);
        TypeSerializer<RawFrameRecord> serializer = type.createSerializer(new SerializerConfigImpl());
        ProducerRecord<byte[], byte[]> sent = MalformedFrames.oneOfEach("frames", "cam")
                .get(RejectReason.MISSING_KEY);
        sent.headers().add("empty-header", null);
        RawFrameRecord raw = TestRecords.raw(sent, 1);

        DataOutputSerializer bytes = new DataOutputSerializer(256);
        serializer.serialize(raw, bytes);
        RawFrameRecord back = serializer.deserialize(new DataInputDeserializer(bytes.getCopyOfBuffer()));

        assertThat(back).isEqualTo(raw);
        assertThat(back.getKey()).isNull();
    }

    private static <T> Collector<T> collector(List<T> sink) {
        return new Collector<>() {
            @Override
            public void collect(T record) {
                sink.add(record);
            }

            @Override
            public void close() {
            }
        };
    }
}
