package io.defectdetector.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.results.format.ResultFormatType;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.options.ChainedOptionsBuilder;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** Runs the JMH micro-benchmarks of io.defectdetector.bench.jmh and writes JMH's JSON beside a summary. */
@Command(name = "jmh", mixinStandardHelpOptions = true,
        description = "JMH micro-benchmarks: decode, preprocessing, error map to regions, alert JSON.")
public final class JmhCommand implements Callable<Integer> {
    @Parameters(arity = "0..*", description = "Benchmark name patterns (regex). Default: all.")
    List<String> patterns;

    @Option(names = "--quick", description = "2 warm-up and 3 measured iterations of 1 s (default 3 and 5).")
    boolean quick;

    @Option(names = "--output", defaultValue = "bench-output", description = "Default: ${DEFAULT-VALUE}.")
    Path output;

    @Override
    public Integer call() throws Exception {
        Files.createDirectories(output);
        Path json = output.resolve("jmh-" + LocalDateTime.now(ZoneOffset.UTC)
                .format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")) + ".json");
        ChainedOptionsBuilder options = new OptionsBuilder()
                .resultFormat(ResultFormatType.JSON)
                .result(json.toString())
                .shouldFailOnError(true)
                // Not the benchmark JVM's pre-touched 2 GiB heap: these need little, and start faster without.
                .jvmArgs("-Xms256m", "-Xmx512m");
        for (String p : patterns == null || patterns.isEmpty() ? List.of("io.defectdetector.bench.jmh.") : patterns) {
            options.include(p);
        }
        if (quick) {
            options.warmupIterations(2).measurementIterations(3).warmupTime(TimeValue.seconds(1))
                    .measurementTime(TimeValue.seconds(1));
        }
        BenchMain.say("JMH, load average %s", MachineInfo.formatLoad(MachineInfo.loadAverageNow()));
        Collection<RunResult> results = new Runner(options.build()).run();
        // On a shared machine the neighbours' load inflates some iterations; the best iteration is the figure
        // least disturbed by it, the mean +- error shows how disturbed the run was.
        System.out.printf(Locale.ROOT, "%n%-56s %10s %10s %10s  %s%n", "benchmark (params)", "mean", "+- error",
                "best iter", "unit");
        for (RunResult r : results) {
            var primary = r.getPrimaryResult();
            String name = r.getParams().getBenchmark().replace("io.defectdetector.bench.jmh.", "");
            StringBuilder params = new StringBuilder();
            for (String key : r.getParams().getParamsKeys()) {
                params.append(params.length() == 0 ? " (" : ", ").append(key).append('=')
                        .append(r.getParams().getParam(key));
            }
            if (params.length() > 0) {
                params.append(')');
            }
            double best = Double.MAX_VALUE;
            for (var iteration : r.getBenchmarkResults()) {
                for (var it : iteration.getIterationResults()) {
                    best = Math.min(best, it.getPrimaryResult().getScore());
                }
            }
            System.out.printf(Locale.ROOT, "%-56s %10.2f %10.2f %10.2f  %s%n", name + params, primary.getScore(),
                    primary.getScoreError(), best, primary.getScoreUnit());
        }
        BenchMain.say("load average %s; JMH JSON: %s", MachineInfo.formatLoad(MachineInfo.loadAverageNow()), json);
        return 0;
    }
}
