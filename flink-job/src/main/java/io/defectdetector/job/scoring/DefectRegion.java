package io.defectdetector.job.scoring;

import java.io.Serializable;

/**
 * One connected group of error-map pixels at or above the pixel threshold.
 *
 * <p>Two coordinate systems (docs/alerts.md): {@code x, y, width, height, area} are in <b>original frame
 * pixels</b> (the bounding box of the region's map pixels scaled back through the resize windows, so it covers
 * every frame pixel that contributed to them; {@code area} is the map pixel count times the frame pixels per map
 * pixel, rounded). {@code mapX, mapY, mapWidth, mapHeight, mapArea} are exact, in <b>error-map pixels</b> (model
 * resolution). Errors are in the error map's units.
 */
public record DefectRegion(int x, int y, int width, int height, int area, float maxError, float meanError,
        int mapX, int mapY, int mapWidth, int mapHeight, int mapArea) implements Serializable {
}
