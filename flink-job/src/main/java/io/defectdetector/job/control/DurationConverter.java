package io.defectdetector.job.control;

import java.time.Duration;
import org.apache.flink.util.TimeUtils;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/**
 * A positive duration with its unit ({@code 30s}, {@code 8h}) for the command-line tools. Flink's parser reads a
 * bare number as milliseconds, so {@code --timeout 5} would wait 5 ms: a number without a unit is refused.
 */
public final class DurationConverter implements ITypeConverter<Duration> {
    static final Duration MAX = Duration.ofDays(3650);

    @Override
    public Duration convert(String value) {
        String v = value.trim();
        if (v.isEmpty() || Character.isDigit(v.charAt(v.length() - 1))) {
            throw new TypeConversionException("'" + value + "' has no unit: give one, e.g. " + v + "s or " + v
                    + "min (ms, s, min, h, d)");
        }
        Duration d;
        try {
            d = TimeUtils.parseDuration(v);
        } catch (IllegalArgumentException e) {
            throw new TypeConversionException("'" + value + "' is not a duration such as 30s, 10min or 8h");
        }
        if (d.isZero() || d.isNegative()) {
            throw new TypeConversionException("'" + value + "' must be longer than zero");
        }
        if (d.compareTo(MAX) > 0) { // waits and look-backs beyond this overflow the clock arithmetic
            throw new TypeConversionException("'" + value + "' is longer than " + MAX.toDays() + " days");
        }
        return d;
    }

    /** The duration as the tools print it, e.g. "30 s". */
    public static String format(Duration d) {
        return TimeUtils.formatWithHighestUnit(d);
    }
}
