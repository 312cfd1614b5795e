package io.defectdetector.bench.jmh;

import io.defectdetector.factory.Sample;
import io.defectdetector.factory.surface.Product;
import io.defectdetector.frame.ContentType;
import io.defectdetector.frame.Frame;
import io.defectdetector.frame.FrameDecoder;
import io.defectdetector.frame.FrameEncoder;
import io.defectdetector.frame.FrameRejectedException;
import io.defectdetector.job.frames.RawFrameRecord;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Header;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The job's decode step on one frame, from a record exactly as the Kafka source hands it over: header parsing plus
 * raw copy, or PNG / JPEG decoding (ImageIO). Frames: 256x256 gray as the simulator sends it, and 1024x1024 RGB,
 * the size of an MVTec AD image or a megapixel line camera.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
@State(Scope.Thread)
public class DecodeBenchmark {
    @Param({"raw", "png", "jpeg"})
    public String encoding;

    @Param({"gray-256", "rgb-1024"})
    public String frame;

    private FrameDecoder decoder;
    private RawFrameRecord record;

    @Setup
    public void setUp() {
        Sample s = BenchFrames.image(frame);
        var img = s.image();
        ContentType type;
        byte[] payload;
        switch (encoding) {
            case "raw" -> {
                type = img.channels() == 3 ? ContentType.RAW_RGB8 : ContentType.RAW_GRAY8;
                payload = img.pixels();
            }
            case "png" -> {
                type = ContentType.PNG;
                payload = FrameEncoder.toPng(img.width(), img.height(), img.channels(), img.pixels());
            }
            default -> {
                type = ContentType.JPEG;
                payload = FrameEncoder.toJpeg(img.width(), img.height(), img.channels(), img.pixels(), 0.95f);
            }
        }
        ProducerRecord<byte[], byte[]> r = new FrameEncoder().encode("frames", "cam-01", "r1-1", 1_764_000_000_000L,
                "line-1", type, img.width(), img.height(), payload);
        Header[] headers = r.headers().toArray();
        String[] names = new String[headers.length];
        byte[][] values = new byte[headers.length][];
        for (int i = 0; i < headers.length; i++) {
            names[i] = headers[i].key();
            values[i] = headers[i].value();
        }
        record = new RawFrameRecord("frames", 0, 0, 0, r.key(), r.value(), names, values);
        decoder = new FrameDecoder();
    }

    @Benchmark
    public Frame decode() throws FrameRejectedException {
        return decoder.decode(record.getKey(), record.getValue(), record.kafkaHeaders());
    }
}
