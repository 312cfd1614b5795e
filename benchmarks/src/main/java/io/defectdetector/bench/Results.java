package io.defectdetector.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** Everything one pipeline benchmark run measured, as written to results.json. */
public final class Results {
    /**
     * One job run measured side by side with the ceiling at the job's batch size: right before the job starts and
     * right after its backlog is drained. {@code ratio} = end to end / mean of the two ceilings.
     */
    public record SideBySide(String run, String delivery, OrtCeiling.Point ceilingBefore, JobRun.DrainResult endToEnd,
            JobRun.IdleResult idle, OrtCeiling.Point ceilingAfter, double ratio) {

        double ceilingMean() {
            return (ceilingBefore.framesPerSecond() + ceilingAfter.framesPerSecond()) / 2;
        }
    }

    /** b / a of the exactly-once run, wall-clock and in CPU time per frame. */
    /**
     * @param jobCpuMicrosPerFrame job CPU per frame: everything but the in-process broker, the benchmark's own
     *                             threads and JIT compilation (a start-up cost that a short run cannot amortise)
     */
    public record Ratio(double endToEndPerSecond, double ceilingPerSecond, double wall, int bestCeilingBatch,
            double bestOverJobBatchInSweep, double wallVsBest, double ceilingCpuMicrosPerFrame,
            double jobCpuMicrosPerFrame, double jitMicrosPerFrame, double brokerMicrosPerFrame, double cpuEfficiency,
            double cpuEfficiencyWithJit, double cpuEfficiencyWithJitAndBroker) {
    }

    /** One target of the issue, with the figure it was judged on. */
    public record Target(String name, String limit, String measured, String verdict) {
    }

    public String command;
    public String startedUtc;
    public Map<String, Object> machine;
    public String loadAtStart;
    public String loadAtEnd;
    public Map<String, Object> config;
    public List<OrtCeiling.Point> ceiling = new ArrayList<>();
    public List<SideBySide> sideBySide = new ArrayList<>();
    public List<JobRun.LoadResult> latency = new ArrayList<>();
    public List<SweepPoint> sweep = new ArrayList<>();
    public Ratio ratio;
    public List<Target> targets = new ArrayList<>();
    /** Set when the end-to-end part failed; the figures before the failure are kept. */
    public String error;

    OrtCeiling.Point ceilingAt(String layout, int batch) {
        return ceiling.stream().filter(c -> c.layout().equals(layout) && c.batchSize() == batch).findFirst()
                .orElse(null);
    }

    SideBySide run(String delivery) {
        return sideBySide.stream().filter(s -> s.delivery().equals(delivery)).findFirst().orElse(null);
    }

    JobRun.LoadResult load(String delivery, String label) {
        return latency.stream().filter(l -> l.delivery().equals(delivery) && l.label().equals(label)).findFirst()
                .orElse(null);
    }

    void evaluate(BenchSetup setup) {
        String layout = (String) config.get("layout");
        SideBySide eo = run("EXACTLY_ONCE");
        OrtCeiling.Point sweepAtJob = ceilingAt(layout, setup.batchMaxSize);
        if (eo == null || sweepAtJob == null) {
            return;
        }
        OrtCeiling.Point best = ceiling.stream().filter(c -> c.layout().equals(layout))
                .max((x, y) -> Double.compare(x.framesPerSecond(), y.framesPerSecond())).orElse(sweepAtJob);
        double bestOverJob = best.framesPerSecond() / sweepAtJob.framesPerSecond();
        Map<String, Double> cpu = eo.endToEnd().cpuMicrosPerFrame();
        double total = cpu.getOrDefault("total", Double.NaN);
        double broker = cpu.getOrDefault("broker", 0.0);
        double harness = cpu.getOrDefault("harness", 0.0);
        double jit = cpu.getOrDefault("jit", 0.0);
        // The ceiling's own threads only: process CPU during the "after" measurement includes the idle job.
        double ceilingCpu = (eo.ceilingBefore().ortCpuMicrosPerFrame() + eo.ceilingAfter().ortCpuMicrosPerFrame()) / 2;
        double job = total - broker - harness - jit;
        ratio = new Ratio(eo.endToEnd().framesPerSecond(), eo.ceilingMean(), eo.ratio(), best.batchSize(),
                bestOverJob, eo.ratio() / bestOverJob, ceilingCpu, job, jit, broker, ceilingCpu / job,
                ceilingCpu / (job + jit), ceilingCpu / (job + jit + broker));

        targets.add(new Target("end to end >= 0.85 x ceiling (exactly-once, batch " + setup.batchMaxSize + ")",
                ">= 0.85", String.format(Locale.ROOT, "%.2f", ratio.wall()), ratio.wall() >= 0.85 ? "met"
                : String.format(Locale.ROOT, "NOT met (short by %.2f)", 0.85 - ratio.wall())));
        double batchMs = (eo.ceilingBefore().callP50Ms() + eo.ceilingAfter().callP50Ms()) / 2;
        double bound = setup.batchMaxWaitMs + 2 * batchMs + 20;
        JobRun.LoadResult alo = load("AT_LEAST_ONCE", "50pct");
        JobRun.LoadResult eoLoad = load("EXACTLY_ONCE", "50pct");
        if (alo != null) {
            targets.add(latencyTarget(String.format(Locale.ROOT, "p99 at 50%% load, at-least-once <= max-wait %d + "
                    + "2 x batch inference %.1f + 20 ms", setup.batchMaxWaitMs, batchMs), bound, alo.p99()));
        }
        if (eoLoad != null) {
            targets.add(latencyTarget(String.format(Locale.ROOT, "p99 at 50%% load, exactly-once <= the above + "
                    + "checkpoint interval %d ms", setup.checkpointIntervalMs), bound + setup.checkpointIntervalMs,
                    eoLoad.p99()));
        }
        targets.add(new Target("heap flat over 10 minutes at 80% load", "no trend", "-",
                "measured by: benchmarks/bench.sh soak"));
    }

    private static Target latencyTarget(String name, double bound, double p99) {
        return new Target(name, String.format(Locale.ROOT, "<= %.0f ms", bound),
                String.format(Locale.ROOT, "%.0f ms", p99), p99 <= bound ? "met"
                : String.format(Locale.ROOT, "NOT met (over by %.0f ms)", p99 - bound));
    }
}
