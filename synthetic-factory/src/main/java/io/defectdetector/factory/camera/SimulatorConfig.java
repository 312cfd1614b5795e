package io.defectdetector.factory.camera;

import io.defectdetector.factory.defects.DefectKind;
import io.defectdetector.factory.surface.Product;
import io.defectdetector.frame.FrameDecoder;
import java.time.Duration;
import java.util.List;

/**
 * What the simulated cameras produce.
 *
 * @param ratePerSecond total frames per second over all cameras; 0 = as fast as the producer takes them
 * @param maxFrames     stop after this many frames in total; 0 = no limit
 * @param duration      stop after this long; null = no limit (at least one limit, or call stop())
 * @param poolGood      good images pre-rendered per camera and cycled
 * @param poolDefective defective images pre-rendered per camera (the defect kinds take turns)
 * @param runId         prefix of frame ids, so frames of separate runs never share an id
 */
public record SimulatorConfig(String topic, int cameras, String line, Product product, FrameEncoding encoding,
        int width, int height, double ratePerSecond, double defectRate, long maxFrames, Duration duration,
        long seed, int poolGood, int poolDefective, List<DefectKind> defects, float jpegQuality, String runId) {

    public SimulatorConfig {
        defects = List.copyOf(defects);
        if (topic == null || topic.isBlank()) {
            throw new IllegalArgumentException("topic must not be empty");
        }
        if (cameras < 1 || cameras > 999) {
            throw new IllegalArgumentException("cameras must be 1..999, got " + cameras);
        }
        if (line != null && !FrameDecoder.isValidId(line)) {
            throw new IllegalArgumentException("line '" + line + "' breaks the id syntax [A-Za-z0-9._:-]");
        }
        if (ratePerSecond < 0) {
            throw new IllegalArgumentException("rate must be >= 0 (0 = as fast as possible), got " + ratePerSecond);
        }
        if (defectRate < 0 || defectRate > 1) {
            throw new IllegalArgumentException("defect rate must be in 0..1, got " + defectRate);
        }
        if (defectRate > 0 && (poolDefective < 1 || defects.isEmpty())) {
            throw new IllegalArgumentException("a defect rate above 0 needs defective pool images and defect kinds");
        }
        if (poolGood < 1) {
            throw new IllegalArgumentException("the good pool needs at least one image, got " + poolGood);
        }
        if (maxFrames < 0) {
            throw new IllegalArgumentException("frame count must be >= 0, got " + maxFrames);
        }
        if (runId == null || !FrameDecoder.isValidId(runId) || runId.length() > 64) {
            throw new IllegalArgumentException("run id '" + runId + "' must be 1-64 characters of [A-Za-z0-9._:-]");
        }
    }

    /** A small, fast configuration: raw frames, 4 cameras, no rate limit. Adjust with the with-methods. */
    public static SimulatorConfig defaults(String topic, Product product) {
        return new SimulatorConfig(topic, 4, "line-1", product, FrameEncoding.RAW, 256, 256, 0, 0.05, 0, null,
                42, 16, 12, List.of(DefectKind.values()), 0.95f, newRunId());
    }

    public SimulatorConfig withCameras(int n) {
        return new SimulatorConfig(topic, n, line, product, encoding, width, height, ratePerSecond, defectRate,
                maxFrames, duration, seed, poolGood, poolDefective, defects, jpegQuality, runId);
    }

    public SimulatorConfig withEncoding(FrameEncoding e) {
        return new SimulatorConfig(topic, cameras, line, product, e, width, height, ratePerSecond, defectRate,
                maxFrames, duration, seed, poolGood, poolDefective, defects, jpegQuality, runId);
    }

    public SimulatorConfig withRate(double framesPerSecond) {
        return new SimulatorConfig(topic, cameras, line, product, encoding, width, height, framesPerSecond,
                defectRate, maxFrames, duration, seed, poolGood, poolDefective, defects, jpegQuality, runId);
    }

    public SimulatorConfig withDefectRate(double rate) {
        return new SimulatorConfig(topic, cameras, line, product, encoding, width, height, ratePerSecond, rate,
                maxFrames, duration, seed, poolGood, poolDefective, defects, jpegQuality, runId);
    }

    public SimulatorConfig withLimits(long frames, Duration d) {
        return new SimulatorConfig(topic, cameras, line, product, encoding, width, height, ratePerSecond,
                defectRate, frames, d, seed, poolGood, poolDefective, defects, jpegQuality, runId);
    }

    public SimulatorConfig withPools(int good, int defective) {
        return new SimulatorConfig(topic, cameras, line, product, encoding, width, height, ratePerSecond,
                defectRate, maxFrames, duration, seed, good, defective, defects, jpegQuality, runId);
    }

    public SimulatorConfig withSize(int w, int h) {
        return new SimulatorConfig(topic, cameras, line, product, encoding, w, h, ratePerSecond, defectRate,
                maxFrames, duration, seed, poolGood, poolDefective, defects, jpegQuality, runId);
    }

    public SimulatorConfig withSeed(long s) {
        return new SimulatorConfig(topic, cameras, line, product, encoding, width, height, ratePerSecond,
                defectRate, maxFrames, duration, s, poolGood, poolDefective, defects, jpegQuality, runId);
    }

    public SimulatorConfig withRunId(String id) {
        return new SimulatorConfig(topic, cameras, line, product, encoding, width, height, ratePerSecond,
                defectRate, maxFrames, duration, seed, poolGood, poolDefective, defects, jpegQuality, id);
    }

    /** Camera ids {@code cam-01} .. {@code cam-NN} (three digits beyond 99 cameras). */
    public String cameraId(int index) {
        return String.format(cameras > 99 ? "cam-%03d" : "cam-%02d", index + 1);
    }

    /** Base-36 milliseconds: short, unique per run on one machine, sortable. */
    public static String newRunId() {
        return "r" + Long.toString(System.currentTimeMillis(), 36);
    }
}
