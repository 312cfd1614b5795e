package io.defectdetector.job.inference;

/**
 * What one inference call produced for a batch of {@code size()} images, in batch order.
 *
 * @param scores    per-image anomaly score
 * @param errorMaps per-image error map, {@code mapHeight*mapWidth} floats row-major; each array is owned by the
 *                  caller (it travels on in a ScoredFrame), never reused by the engine
 */
public record BatchResult(float[] scores, float[][] errorMaps, int mapWidth, int mapHeight) {

    public BatchResult {
        if (scores.length != errorMaps.length) {
            throw new IllegalArgumentException(scores.length + " scores but " + errorMaps.length + " error maps");
        }
    }

    public int size() {
        return scores.length;
    }
}
