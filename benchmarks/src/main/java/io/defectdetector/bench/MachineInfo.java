package io.defectdetector.bench;

import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/**
 * Where and under what load figures were taken: CPU model, cores, memory, Java, and the load average, which on a
 * shared box says more about a figure than anything else.
 */
public record MachineInfo(String host, String cpuModel, int cores, long memoryMiB, String java, String os,
        double[] loadAverage) {

    public static MachineInfo current() {
        return new MachineInfo(hostName(), readCpuModel(), Runtime.getRuntime().availableProcessors(), readMemoryMiB(),
                System.getProperty("java.vm.name") + " " + System.getProperty("java.version"),
                System.getProperty("os.name") + " " + System.getProperty("os.version") + " "
                        + System.getProperty("os.arch"),
                loadAverageNow());
    }

    /** 1, 5 and 15 minute load averages from /proc/loadavg (as {@code uptime} prints them), or empty. */
    public static double[] loadAverageNow() {
        try {
            String[] parts = Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+");
            return new double[] {Double.parseDouble(parts[0]), Double.parseDouble(parts[1]),
                    Double.parseDouble(parts[2])};
        } catch (IOException | RuntimeException e) {
            return new double[0];
        }
    }

    public static String formatLoad(double[] load) {
        if (load.length < 3) {
            return "n/a";
        }
        return String.format(Locale.ROOT, "%.2f, %.2f, %.2f", load[0], load[1], load[2]);
    }

    private static String readCpuModel() {
        try {
            List<String> lines = Files.readAllLines(Path.of("/proc/cpuinfo"));
            for (String line : lines) {
                if (line.startsWith("model name")) {
                    return line.substring(line.indexOf(':') + 1).trim();
                }
            }
        } catch (IOException e) {
            // not Linux: fall through
        }
        return System.getProperty("os.arch");
    }

    private static long readMemoryMiB() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/meminfo"))) {
                if (line.startsWith("MemTotal:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", "")) / 1024;
                }
            }
        } catch (IOException | RuntimeException e) {
            // not Linux
        }
        return -1;
    }

    private static String hostName() {
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (IOException e) {
            return "unknown";
        }
    }
}
