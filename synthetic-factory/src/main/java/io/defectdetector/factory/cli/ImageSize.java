package io.defectdetector.factory.cli;

import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/** {@code 256} (square) or {@code 320x240} (width x height). */
record ImageSize(int width, int height) {
    static final class Converter implements ITypeConverter<ImageSize> {
        @Override
        public ImageSize convert(String value) {
            String[] parts = value.trim().toLowerCase(java.util.Locale.ROOT).split("x");
            try {
                if (parts.length == 1) {
                    int n = Integer.parseInt(parts[0]);
                    return new ImageSize(n, n);
                }
                if (parts.length == 2) {
                    return new ImageSize(Integer.parseInt(parts[0]), Integer.parseInt(parts[1]));
                }
            } catch (NumberFormatException e) {
                // fall through
            }
            throw new TypeConversionException("expected N or WxH (e.g. 256 or 320x240), got '" + value + "'");
        }
    }
}
