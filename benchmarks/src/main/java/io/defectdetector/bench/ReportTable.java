package io.defectdetector.bench;

import java.util.Locale;
import java.util.Map;

/** The plain-text table the benchmark prints (and saves as table.txt). */
final class ReportTable {
    private ReportTable() {
    }

    static String render(Results r, BenchSetup setup) {
        StringBuilder s = new StringBuilder();
        MachineInfo m = (MachineInfo) r.machine.get("info");
        f(s, "Pipeline benchmark, %s UTC, %s", r.startedUtc.substring(0, 16).replace('T', ' '), r.command);
        f(s, "Machine: %s (%s, %d cores, %d MiB, %s); load average at start %s, at end %s", r.machine.get("label"),
                m.cpuModel(), m.cores(), m.memoryMiB(), m.java(), r.loadAtStart, r.loadAtEnd);
        f(s, "Model %s (%s); frames %s", r.config.get("model"), r.config.get("modelInput"), r.config.get("frames"));
        f(s, "Job: %s sessions x intra-op threads, batch <= %s / wait %s ms, checkpoints every %s ms, scores on",
                r.config.get("layout"), r.config.get("batchMaxSize"), r.config.get("batchMaxWaitMs"),
                r.config.get("checkpointIntervalMs"));
        s.append('\n');

        f(s, "a. Ceiling: ONNX Runtime alone, in-process, preprocessed tensors (layout = sessions x threads)");
        f(s, "   %-6s %5s %10s %11s %11s %13s", "layout", "batch", "frames/s", "call p50 ms", "call p95 ms",
                "ORT cpu us/fr");
        for (OrtCeiling.Point p : r.ceiling) {
            f(s, "   %-6s %5d %10.1f %11.2f %11.2f %13.0f", p.layout(), p.batchSize(), p.framesPerSecond(),
                    p.callP50Ms(), p.callP95Ms(), p.ortCpuMicrosPerFrame());
        }
        s.append('\n');

        if (!r.sideBySide.isEmpty()) {
            f(s, "b. End to end: a backlog in Kafka drained by the job (steady part), side by side with the ceiling "
                    + "at batch %s", r.config.get("batchMaxSize"));
            f(s, "   %-13s %10s %9s %10s %6s %9s %13s %11s", "delivery", "a before/s", "b /s", "a after/s", "b / a",
                    "window s", "cpu us/frame", "idle cpu %");
            for (Results.SideBySide x : r.sideBySide) {
                JobRun.DrainResult d = x.endToEnd();
                f(s, "   %-13s %10.1f %9.1f %10.1f %6.2f %9.1f %13.0f %11.1f%s", mode(x.delivery()),
                        x.ceilingBefore().framesPerSecond(), d.framesPerSecond(), x.ceilingAfter().framesPerSecond(),
                        x.ratio(), d.windowSeconds(), d.cpuMicrosPerFrame().getOrDefault("total", Double.NaN),
                        x.idle().cpuPercentOfOneCore(),
                        d.duplicates() > 0 || d.decided() < d.frames() ? String.format(Locale.ROOT,
                                "  (%d of %d decided, %d duplicates)", d.decided(), d.frames(), d.duplicates()) : "");
            }
            for (Results.SideBySide x : r.sideBySide) {
                StringBuilder groups = new StringBuilder();
                for (Map.Entry<String, Double> e : x.endToEnd().cpuMicrosPerFrame().entrySet()) {
                    if (e.getValue() >= 0.5) {
                        groups.append(String.format(Locale.ROOT, "%s %.0f, ", e.getKey(), e.getValue()));
                    }
                }
                f(s, "   cpu us/frame by thread group, %s: %s; GC pauses %.0f ms/s, JIT %.0f ms/s",
                        mode(x.delivery()), groups.toString().replaceAll(", $", ""),
                        x.endToEnd().gcPauseMsPerSecond(), x.endToEnd().jitMsPerSecond());
            }
            s.append('\n');
        }

        if (!r.latency.isEmpty()) {
            f(s, "c. Latency, capture -> readable by a read_committed consumer (every frame's score record; alerts "
                    + "ride the same transactions)");
            f(s, "   %-13s %4s %9s %7s %6s %6s %6s %6s %13s %16s", "delivery", "load", "offered/s", "frames", "p50",
                    "p95", "p99", "max", "in-job p50/99", "alerts n p50/p99");
            for (JobRun.LoadResult l : r.latency) {
                f(s, "   %-13s %4s %9.1f %7d %6.0f %6.0f %6.0f %6.0f %6.0f/%-6.0f %4d %5.0f/%-5.0f%s",
                        mode(l.delivery()), l.label().replace("pct", "%"), l.offeredPerSecond(), l.measured(),
                        l.p50(), l.p95(), l.p99(), l.max(), l.decisionP50(), l.decisionP99(), l.alerts(),
                        l.alertP50(), l.alertP99(), l.missing() > 0 || l.duplicates() > 0
                                ? String.format(Locale.ROOT, "  (%d missing, %d duplicates)", l.missing(),
                                l.duplicates()) : "");
            }
            f(s, "   (ms; in-job = capture -> decision inside the job, before the sink)");
            s.append('\n');
        }
        if (!r.sweep.isEmpty()) {
            f(s, "   Batching sweep (at-least-once), like perf_analyzer: throughput on a backlog, latency at %.1f "
                    + "frames/s offered", r.sweep.stream().mapToDouble(SweepPoint::offeredPerSecond)
                    .filter(v -> !Double.isNaN(v)).findFirst().orElse(Double.NaN));
            f(s, "   %10s %8s %10s %7s %7s %7s", "batch-max", "wait ms", "frames/s", "p50", "p95", "p99");
            r.sweep.stream().sorted((x, y) -> Integer.compare(x.batchMaxSize(), y.batchMaxSize())).forEach(p ->
                    f(s, "   %10d %8d %10.1f %7.0f %7.0f %7.0f", p.batchMaxSize(), p.batchMaxWaitMs(),
                            p.framesPerSecond(), p.p50(), p.p95(), p.p99()));
            s.append('\n');
        }
        if (r.ratio != null) {
            Results.Ratio q = r.ratio;
            f(s, "d. Ratio b / a (exactly-once) = %.1f / %.1f = %.2f", q.endToEndPerSecond(), q.ceilingPerSecond(),
                    q.wall());
            f(s, "   against the ceiling's best batch size (%d, %.2fx batch %s in table a): %.2f",
                    q.bestCeilingBatch(), q.bestOverJobBatchInSweep(), r.config.get("batchMaxSize"), q.wallVsBest());
            f(s, "   CPU time per frame: ceiling %.0f us (ONNX Runtime threads), job %.0f us (without the in-process "
                            + "broker %.0f, JIT %.0f, harness)", q.ceilingCpuMicrosPerFrame(), q.jobCpuMicrosPerFrame(),
                    q.brokerMicrosPerFrame(), q.jitMicrosPerFrame());
            f(s, "   CPU efficiency ceiling / job = %.2f; with JIT %.2f; with JIT and broker %.2f  (= b / a on idle "
                    + "cores)", q.cpuEfficiency(), q.cpuEfficiencyWithJit(), q.cpuEfficiencyWithJitAndBroker());
            s.append('\n');
        }
        if (r.error != null) {
            f(s, "The end-to-end part failed: %s", r.error);
        }
        if (!r.targets.isEmpty()) {
            f(s, "Targets");
            for (Results.Target t : r.targets) {
                f(s, "   %-82s %-10s %-8s %s", t.name(), t.limit(), t.measured(), t.verdict());
            }
        }
        return s.toString();
    }

    private static String mode(String delivery) {
        return delivery.toLowerCase(Locale.ROOT).replace('_', '-');
    }

    private static void f(StringBuilder s, String format, Object... args) {
        s.append(String.format(Locale.ROOT, format, args)).append('\n');
    }
}
