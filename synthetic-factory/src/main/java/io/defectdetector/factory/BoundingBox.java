package io.defectdetector.factory;

/** An axis-aligned pixel rectangle: top-left corner and size. */
public record BoundingBox(int x, int y, int width, int height) {
}
