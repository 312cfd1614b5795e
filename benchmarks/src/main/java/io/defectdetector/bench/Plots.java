package io.defectdetector.bench;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * PNG plots through matplotlib: the benchmark writes its JSON, copies {@code plot_bench.py} beside it and runs it
 * with a Python that has matplotlib ({@code /usr/bin/python3} by default, {@code --python} to change). Without
 * one, the JSON is still written and the command to plot it later is printed.
 */
final class Plots {
    private Plots() {
    }

    /** Returns the PNG files written, or an empty list with the reason printed. */
    static List<Path> render(Path resultsJson, String python) throws IOException, InterruptedException {
        Path dir = resultsJson.toAbsolutePath().getParent();
        Path script = dir.resolve("plot_bench.py");
        try (InputStream in = Plots.class.getResourceAsStream("/plot_bench.py")) {
            Files.copy(in, script, StandardCopyOption.REPLACE_EXISTING);
        }
        Process p = new ProcessBuilder(python, script.toString(), resultsJson.toString())
                .redirectErrorStream(true).redirectOutput(dir.resolve("plot.log").toFile()).start();
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            System.out.println("Plotting timed out; run: " + python + " " + script + " " + resultsJson);
            return List.of();
        }
        if (p.exitValue() != 0) {
            System.out.println("Plotting failed (see " + dir.resolve("plot.log") + "); needs matplotlib. Run: "
                    + python + " " + script + " " + resultsJson);
            return List.of();
        }
        try (var files = Files.list(dir)) {
            return files.filter(f -> f.toString().endsWith(".png")).sorted().toList();
        }
    }
}
