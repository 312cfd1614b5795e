package io.defectdetector.factory.cli;

import java.time.Duration;
import java.util.Locale;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/** {@code 500ms}, {@code 30s}, {@code 2m}, {@code 1h}, a bare number of seconds, or ISO-8601 ({@code PT30S}). */
final class DurationConverter implements ITypeConverter<Duration> {
    @Override
    public Duration convert(String value) {
        String v = value.trim().toLowerCase(Locale.ROOT);
        try {
            if (v.startsWith("pt") || v.startsWith("p")) {
                return Duration.parse(value.trim().toUpperCase(Locale.ROOT));
            }
            if (v.endsWith("ms")) {
                return Duration.ofMillis(Long.parseLong(v.substring(0, v.length() - 2).trim()));
            }
            char unit = v.charAt(v.length() - 1);
            if (Character.isDigit(unit)) {
                return Duration.ofMillis(Math.round(Double.parseDouble(v) * 1000));
            }
            double n = Double.parseDouble(v.substring(0, v.length() - 1).trim());
            return switch (unit) {
                case 's' -> Duration.ofMillis(Math.round(n * 1000));
                case 'm' -> Duration.ofMillis(Math.round(n * 60_000));
                case 'h' -> Duration.ofMillis(Math.round(n * 3_600_000));
                default -> throw new NumberFormatException();
            };
        } catch (RuntimeException e) {
            throw new TypeConversionException("expected a duration like 500ms, 30s, 2m, 1h or PT30S, got '"
                    + value + "'");
        }
    }
}
