package io.defectdetector.job.frames;

import static org.assertj.core.api.Assertions.assertThat;

import io.defectdetector.frame.Frame;
import io.defectdetector.frame.FrameLimits;
import io.defectdetector.frame.RejectReason;
import io.defectdetector.job.deadletter.DeadLetterRecord;
import io.defectdetector.job.testing.MalformedFrames;
import io.defectdetector.job.testing.TestRecords;
import io.defectdetector.job.testing.TestingMetrics;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.flink.metrics.Counter;
import org.apache.flink.streaming.api.operators.ProcessOperator;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.OneInputStreamOperatorTestHarness;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class FrameDecodeFunctionTest {
    private final TestingMetrics metrics = new TestingMetrics();
    private OneInputStreamOperatorTestHarness<RawFrameRecord, Frame> harness;

    @BeforeEach
    void openHarness() throws Exception {
        FrameDecodeFunction function = new FrameDecodeFunction(
                new FrameLimits(MalformedFrames.MAX_BYTES, FrameLimits.DEFAULT_MAX_SIDE,
                        FrameLimits.DEFAULT_MAX_SAMPLES),
                new FrameShapeCheck(1, 128, 128, 0.25));
        harness = new OneInputStreamOperatorTestHarness<>(new ProcessOperator<>(function), metrics.environment());
        harness.open();
    }

    @AfterEach
    void closeHarness() throws Exception {
        harness.close();
    }

    @Test
    void emitsDecodedFrameForValidRecord() throws Exception {
        harness.processElement(TestRecords.raw(MalformedFrames.good("frames", "cam-1", "f-1", 256, 256), 7), 0);

        List<Frame> frames = harness.extractOutputValues();
        assertThat(frames).singleElement().satisfies(f -> {
            assertThat(f.getCameraId()).isEqualTo("cam-1");
            assertThat(f.getFrameId()).isEqualTo("f-1");
            assertThat(f.getLine()).isEqualTo("line-1");
            assertThat(f.getWidth()).isEqualTo(256);
            assertThat(f.getChannels()).isEqualTo(1);
        });
        assertThat(harness.getSideOutput(FrameDecodeFunction.DEAD_LETTERS)).isNull();
        assertThat(counter("framesIn")).isEqualTo(1);
        assertThat(counter("framesRejected")).isZero();
    }

    @Test
    void sendsEveryMalformedRecordToDeadLettersWithItsReasonAndOriginalBytes() throws Exception {
        Map<RejectReason, ProducerRecord<byte[], byte[]>> bad = MalformedFrames.oneOfEach("frames", "cam-1");
        long offset = 0;
        Map<Long, RejectReason> sentAt = new HashMap<>();
        Map<Long, RawFrameRecord> originals = new HashMap<>();
        for (Map.Entry<RejectReason, ProducerRecord<byte[], byte[]>> e : bad.entrySet()) {
            RawFrameRecord raw = TestRecords.raw(e.getValue(), offset);
            sentAt.put(offset, e.getKey());
            originals.put(offset, TestRecords.raw(e.getValue(), offset));
            harness.processElement(raw, offset++);
        }

        assertThat(harness.extractOutputValues()).isEmpty();
        List<DeadLetterRecord> dead = harness.getSideOutput(FrameDecodeFunction.DEAD_LETTERS).stream()
                .map(StreamRecord::getValue).toList();
        assertThat(dead).hasSize(RejectReason.values().length);
        for (DeadLetterRecord letter : dead) {
            long at = letter.getOriginal().getOffset();
            assertThat(letter.getReason()).as("record at offset %d", at).isEqualTo(sentAt.get(at));
            assertThat(letter.getDetail()).isNotBlank();
            assertThat(letter.getOriginal()).isEqualTo(originals.get(at));
            assertThat(letter.getRejectedAtMs()).isPositive();
        }
        assertThat(counter("framesIn")).isEqualTo(RejectReason.values().length);
        assertThat(counter("framesRejected")).isEqualTo(RejectReason.values().length);
        for (RejectReason reason : RejectReason.values()) {
            assertThat(counter("reason." + reason.name() + ".framesRejectedByReason")).as(reason.name())
                    .isEqualTo(1);
        }
    }

    @Test
    void keepsProcessingGoodFramesAfterBadOnes() throws Exception {
        harness.processElement(TestRecords.raw(
                MalformedFrames.oneOfEach("frames", "cam-1").get(RejectReason.UNDECODABLE_IMAGE), 0), 0);
        harness.processElement(TestRecords.raw(MalformedFrames.good("frames", "cam-1", "f-2", 128, 128), 1), 1);

        assertThat(harness.extractOutputValues()).extracting(Frame::getFrameId).containsExactly("f-2");
        assertThat(counter("framesRejected")).isEqualTo(1);
        assertThat(counter("reason.UNDECODABLE_IMAGE.framesRejectedByReason")).isEqualTo(1);
        assertThat(counter("reason.EMPTY.framesRejectedByReason")).isZero();
    }

    @Test
    void acceptsColourFrameForGrayModelAndAspectWithinTolerance() throws Exception {
        // 160x128 is 1.25x the square model's aspect: exactly at the 0.25 tolerance.
        byte[] rgb = new byte[160 * 128 * 3];
        harness.processElement(TestRecords.raw(new io.defectdetector.frame.FrameEncoder().encode("frames",
                "cam-1", "rgb", 1L, null, io.defectdetector.frame.ContentType.RAW_RGB8, 160, 128, rgb), 0), 0);

        assertThat(harness.extractOutputValues()).extracting(Frame::getChannels).containsExactly(3);
    }

    private long counter(String identifierSuffix) {
        return metrics.<Counter>get(identifierSuffix).getCount();
    }
}
