package io.defectdetector.factory.camera;

import java.time.Duration;

/**
 * What a run did. {@code elapsed} runs from the first send until every frame was acknowledged (the final
 * flush), so {@link #framesPerSecond()} is a sustained, delivered rate.
 */
public record SimulationReport(long sent, long acknowledged, long failed, long defective, long payloadBytes,
        Duration elapsed) {

    public double framesPerSecond() {
        double s = elapsed.toNanos() / 1e9;
        return s <= 0 ? 0 : acknowledged / s;
    }

    public double megabytesPerSecond() {
        double s = elapsed.toNanos() / 1e9;
        return s <= 0 || sent == 0 ? 0 : payloadBytes * ((double) acknowledged / sent) / s / 1e6;
    }
}
