package io.defectdetector.factory.defects;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/** The defect types; their lower-case names are the MVTec folder names. */
public enum DefectKind {
    SCRATCH(new Scratch()),
    STAIN(new Stain()),
    CRACK(new Crack()),
    HOLE(new Hole()),
    CONTAMINATION(new Contamination()),
    MISPRINT(new Misprint());

    private final DefectPainter painter;

    DefectKind(DefectPainter painter) {
        this.painter = painter;
    }

    public String id() {
        return name().toLowerCase(Locale.ROOT);
    }

    DefectPainter painter() {
        return painter;
    }

    public static DefectKind fromId(String id) {
        for (DefectKind k : values()) {
            if (k.id().equalsIgnoreCase(id.trim())) {
                return k;
            }
        }
        throw new IllegalArgumentException("unknown defect '" + id + "'; known: "
                + Arrays.stream(values()).map(DefectKind::id).collect(Collectors.joining(", ")));
    }

    @Override
    public String toString() {
        return id();
    }
}
