package io.defectdetector.factory.surface;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/** The product kinds the factory makes. Gray products give 1-channel images, coloured ones RGB. */
public enum Product {
    FABRIC(new FabricSurface()),
    METAL(new MetalSurface()),
    TILES(new TilesSurface()),
    WOOD(new WoodSurface()),
    PCB(new PcbSurface());

    private final Surface surface;

    Product(Surface surface) {
        this.surface = surface;
    }

    public String id() {
        return name().toLowerCase(Locale.ROOT);
    }

    public Surface surface() {
        return surface;
    }

    public int channels() {
        return surface.channels();
    }

    public static Product fromId(String id) {
        for (Product p : values()) {
            if (p.id().equalsIgnoreCase(id.trim())) {
                return p;
            }
        }
        throw new IllegalArgumentException("unknown product '" + id + "'; known: "
                + Arrays.stream(values()).map(Product::id).collect(Collectors.joining(", ")));
    }

    @Override
    public String toString() {
        return id();
    }
}
