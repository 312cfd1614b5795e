package io.defectdetector.bench;

import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import javax.management.ObjectName;

/**
 * The live-object class histogram ({@code jcmd <pid> GC.class_histogram}, which runs a full GC first), read
 * through the DiagnosticCommand MBean, and the classes that grew most between two of them: a leak names itself.
 */
final class ClassHistogram {
    private final Map<String, long[]> byClass;

    private ClassHistogram(Map<String, long[]> byClass) {
        this.byClass = byClass;
    }

    static ClassHistogram take() {
        try {
            Object text = ManagementFactory.getPlatformMBeanServer().invoke(
                    new ObjectName("com.sun.management:type=DiagnosticCommand"), "gcClassHistogram",
                    new Object[] {new String[0]}, new String[] {String[].class.getName()});
            Map<String, long[]> map = new HashMap<>();
            for (String line : text.toString().split("\n")) {
                String[] f = line.trim().split("\\s+");
                if (f.length >= 4 && f[0].endsWith(":")) {
                    map.put(f[3], new long[] {Long.parseLong(f[1]), Long.parseLong(f[2])});
                }
            }
            return new ClassHistogram(map);
        } catch (Exception e) {
            return new ClassHistogram(Map.of());
        }
    }

    /** The {@code limit} classes whose live bytes grew most from {@code earlier} to this one. */
    List<String> topGrowthSince(ClassHistogram earlier, int limit) {
        List<Map.Entry<String, long[]>> growth = new ArrayList<>();
        for (Map.Entry<String, long[]> e : byClass.entrySet()) {
            long[] before = earlier.byClass.getOrDefault(e.getKey(), new long[2]);
            growth.add(Map.entry(e.getKey(), new long[] {e.getValue()[0] - before[0], e.getValue()[1] - before[1]}));
        }
        growth.sort((a, b) -> Long.compare(b.getValue()[1], a.getValue()[1]));
        List<String> out = new ArrayList<>();
        for (Map.Entry<String, long[]> e : growth.subList(0, Math.min(limit, growth.size()))) {
            out.add(String.format(Locale.ROOT, "%+,d bytes, %+,d instances: %s", e.getValue()[1], e.getValue()[0],
                    e.getKey()));
        }
        return out;
    }
}
