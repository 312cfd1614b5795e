package io.defectdetector.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.defectdetector.job.config.DeliveryMode;
import io.defectdetector.job.model.ModelBundle;
import io.defectdetector.kafka.LocalKafkaBroker;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.apache.kafka.clients.producer.Producer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * Memory over a long run at a fixed share of the sustained rate: the live heap (after a full GC every minute),
 * the lowest heap after GC per sample, direct buffers and the resident set, sampled every 10 s, with a linear
 * trend fitted after the first two minutes. A leak shows as a steady slope; a flat line with noise is healthy.
 */
@Command(name = "soak", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Runs the job end to end at --load x the sustained rate for --minutes and reports heap, "
                + "direct memory and RSS over time (results.json + soak_memory.png).")
public final class SoakCommand implements Callable<Integer> {
    @Mixin
    BenchSetup setup;

    @Option(names = "--minutes", defaultValue = "10", description = "Length of the run. Default: ${DEFAULT-VALUE}.")
    double minutes;

    @Option(names = "--load", defaultValue = "0.8",
            description = "Offered rate as a share of the sustained rate. Default: ${DEFAULT-VALUE}.")
    double load;

    @Option(names = "--rate", description = "Sustained rate in frames/s; measured first (a 20 s backlog drain) "
            + "when not given.")
    Double rate;

    @Option(names = "--delivery", defaultValue = "EXACTLY_ONCE",
            description = "EXACTLY_ONCE or AT_LEAST_ONCE. Default: ${DEFAULT-VALUE}.")
    DeliveryMode delivery;

    @Option(names = "--full-gc-every-s", defaultValue = "60",
            description = "Seconds between explicit full GCs that measure the live heap (0 = never). "
                    + "Default: ${DEFAULT-VALUE}.")
    int fullGcEverySeconds;

    @Option(names = "--experiment-transaction-naming", hidden = true,
            description = "Exactly-once sinks with this TransactionNamingStrategy instead of the job's own.")
    org.apache.flink.connector.kafka.sink.TransactionNamingStrategy transactionNaming;

    /** One reading. */
    public record Sample(double minutes, double liveHeapMiB, double heapAfterGcMiB, double heapUsedMiB,
            double directMiB, double rssMiB, int threads, long sent, long decided) {
    }

    @Override
    public Integer call() throws Exception {
        Path dir = setup.output.resolve("soak-" + LocalDateTime.now(ZoneOffset.UTC)
                .format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")));
        Files.createDirectories(dir);
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("command", "benchmarks/bench.sh soak --minutes " + minutes + " --load " + load);
        out.put("startedUtc", LocalDateTime.now(ZoneOffset.UTC).toString());
        out.put("machine", Map.of("label", setup.machineLabel(), "info", MachineInfo.current(),
                "cores", Runtime.getRuntime().availableProcessors()));
        out.put("loadAtStart", MachineInfo.formatLoad(MachineInfo.loadAverageNow()));
        ModelBundle model = ModelBundle.locate(setup.model.toString());
        CameraFrames frames = setup.frames();
        List<Sample> samples = new ArrayList<>();
        Map<String, Object> summary = new LinkedHashMap<>();
        try (LocalKafkaBroker broker = LocalKafkaBroker.start(Map.of("log.retention.check.interval.ms", "30000"));
                Producer<byte[], byte[]> producer = BenchMain.producer(broker)) {
            JobRun.Settings settings = new JobRun.Settings("soak" + Long.toString(System.currentTimeMillis() % 1_000_000, 36),
                    delivery, setup.batchMaxSize, setup.batchMaxWaitMs, setup.parallelism(), setup.intraOpThreads,
                    setup.checkpointInterval(), setup.jobOptions(), transactionNaming, setup.device);
            try (JobRun job = new JobRun(broker, settings, model, frames, producer);
                    MemoryWatch memory = new MemoryWatch()) {
                double sustained;
                if (rate != null) {
                    job.start();
                    sustained = rate;
                } else {
                    long n = 4000;
                    BenchMain.say("Measuring the sustained rate: %d frames backlog (%s) ...", n, settings.describe());
                    job.preload(n);
                    job.start();
                    sustained = job.awaitDrain(n, Duration.ofMinutes(10), 5).framesPerSecond();
                }
                double offered = load * sustained;
                BenchMain.say("Soak: %.1f frames/s (%.0f%% of %.1f) for %.1f min, %s", offered, load * 100,
                        sustained, minutes, settings.describe());
                out.put("config", Map.of("settings", settings.describe(), "sustainedPerSecond", sustained,
                        "offeredPerSecond", offered, "load", load, "minutes", minutes, "frames", setup.product() + " "
                                + setup.frameSize + "x" + setup.frameSize + " " + setup.encoding));
                long start = System.nanoTime();
                long end = start + (long) (minutes * 60e9);
                long nextFullGc = start + fullGcEverySeconds * 1_000_000_000L;
                double lastLive = Double.NaN;
                ClassHistogram baseline = null;
                try (JobRun.BackgroundOffer offer = job.offerInBackground("soak", offered)) {
                    while (System.nanoTime() < end) {
                        Thread.sleep(10_000);
                        job.checkRecorder();
                        if (offer.error() != null) {
                            throw offer.error();
                        }
                        long now = System.nanoTime();
                        if (baseline == null && now - start >= 120_000_000_000L) {
                            baseline = ClassHistogram.take(); // after the start-up allocations have settled
                        }
                        if (fullGcEverySeconds > 0 && now >= nextFullGc) {
                            lastLive = MemoryWatch.liveHeapAfterFullGc() / 1048576.0;
                            nextFullGc += fullGcEverySeconds * 1_000_000_000L;
                        }
                        long afterGc = memory.takeLowestAfterGc();
                        Sample s = new Sample((now - start) / 60e9, lastLive,
                                afterGc < 0 ? Double.NaN : afterGc / 1048576.0, MemoryWatch.heapUsed() / 1048576.0,
                                MemoryWatch.directBuffers() / 1048576.0, MemoryWatch.residentSetBytes() / 1048576.0,
                                Thread.activeCount(), offer.sent(), job.phaseLog("soak").scoreCount());
                        samples.add(s);
                        BenchMain.say("  %4.1f min: live heap %6.1f MiB, heap after GC %6.1f MiB, direct %5.1f MiB, "
                                        + "RSS %6.0f MiB, threads %d, decided %d of %d", s.minutes(), s.liveHeapMiB(),
                                s.heapAfterGcMiB(), s.directMiB(), s.rssMiB(), s.threads(), s.decided(), s.sent());
                    }
                    offer.stop();
                    if (baseline != null) {
                        summary.put("liveClassGrowthSinceMinute2", ClassHistogram.take().topGrowthSince(baseline, 12));
                    }
                    long sent = offer.sent();
                    OutputRecorder.PhaseLog log = job.phaseLog("soak");
                    long deadline = System.nanoTime() + 30_000_000_000L + setup.checkpointIntervalMs * 3_000_000L;
                    while (log.scoreCount() < sent && System.nanoTime() < deadline) {
                        Thread.sleep(100);
                    }
                    summary.put("sent", sent);
                    summary.put("decided", log.scoreCount());
                    summary.put("latencyP50Ms", log.histogramPercentile(50));
                    summary.put("latencyP99Ms", log.histogramPercentile(99));
                }
            }
        }
        summary.putAll(trends(samples));
        out.put("summary", summary);
        out.put("samples", samples);
        out.put("loadAtEnd", MachineInfo.formatLoad(MachineInfo.loadAverageNow()));
        Path json = dir.resolve("results.json");
        new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(json.toFile(), Map.of("soak", out));
        String text = render(out, summary);
        System.out.println();
        System.out.print(text);
        Files.writeString(dir.resolve("table.txt"), text, StandardCharsets.UTF_8);
        List<Path> pngs = Plots.render(json, setup.python);
        System.out.println("Results: " + json + (pngs.isEmpty() ? "" : "; plots: " + pngs));
        return 0;
    }

    /** First and last readings and the least-squares slope (MiB/min) after the first two minutes. */
    static Map<String, Object> trends(List<Sample> samples) {
        Map<String, Object> t = new LinkedHashMap<>();
        List<Sample> steady = samples.stream().filter(s -> s.minutes() >= 2).toList();
        if (steady.size() < 3) {
            steady = samples;
        }
        t.put("liveHeapSlopeMiBPerMin", slope(steady, Sample::liveHeapMiB));
        t.put("heapAfterGcSlopeMiBPerMin", slope(steady, Sample::heapAfterGcMiB));
        t.put("directSlopeMiBPerMin", slope(steady, Sample::directMiB));
        t.put("rssSlopeMiBPerMin", slope(steady, Sample::rssMiB));
        if (!steady.isEmpty()) {
            Sample first = steady.get(0);
            Sample last = steady.get(steady.size() - 1);
            t.put("liveHeapFirstLastMiB", new double[] {first.liveHeapMiB(), last.liveHeapMiB()});
            t.put("rssFirstLastMiB", new double[] {first.rssMiB(), last.rssMiB()});
            t.put("directFirstLastMiB", new double[] {first.directMiB(), last.directMiB()});
        }
        return t;
    }

    private static double slope(List<Sample> samples, java.util.function.ToDoubleFunction<Sample> f) {
        double n = 0;
        double sx = 0;
        double sy = 0;
        double sxx = 0;
        double sxy = 0;
        for (Sample s : samples) {
            double y = f.applyAsDouble(s);
            if (Double.isNaN(y)) {
                continue;
            }
            n++;
            sx += s.minutes();
            sy += y;
            sxx += s.minutes() * s.minutes();
            sxy += s.minutes() * y;
        }
        double d = n * sxx - sx * sx;
        return n < 3 || d == 0 ? Double.NaN : (n * sxy - sx * sy) / d;
    }

    private static String render(Map<String, Object> out, Map<String, Object> s) {
        StringBuilder b = new StringBuilder();
        Map<?, ?> c = (Map<?, ?>) out.get("config");
        b.append(String.format(Locale.ROOT, "Soak: %.1f frames/s offered (%s of %.1f sustained) for %s min, %s, "
                        + "frames %s%n  load average at start %s, at end %s%n", c.get("offeredPerSecond"),
                c.get("load"), c.get("sustainedPerSecond"), c.get("minutes"), c.get("settings"), c.get("frames"),
                out.get("loadAtStart"), out.get("loadAtEnd")));
        if (s.get("liveClassGrowthSinceMinute2") instanceof List<?> growth) {
            b.append("  live objects that grew most from minute 2 to the end:\n");
            growth.forEach(g -> b.append("    ").append(g).append('\n'));
        }
        b.append(String.format(Locale.ROOT, "  frames sent %s, decided %s; latency p50 %s ms, p99 %s ms%n",
                s.get("sent"), s.get("decided"), s.get("latencyP50Ms"), s.get("latencyP99Ms")));
        b.append(String.format(Locale.ROOT, "  trend after minute 2 (MiB/min): live heap %.2f, heap after GC %.2f, "
                        + "direct %.2f, RSS %.2f%n", s.get("liveHeapSlopeMiBPerMin"), s.get("heapAfterGcSlopeMiBPerMin"),
                s.get("directSlopeMiBPerMin"), s.get("rssSlopeMiBPerMin")));
        if (s.get("liveHeapFirstLastMiB") instanceof double[] live) {
            double[] rss = (double[]) s.get("rssFirstLastMiB");
            double[] direct = (double[]) s.get("directFirstLastMiB");
            b.append(String.format(Locale.ROOT, "  first -> last: live heap %.1f -> %.1f MiB, direct %.1f -> %.1f "
                    + "MiB, RSS %.0f -> %.0f MiB%n", live[0], live[1], direct[0], direct[1], rss[0], rss[1]));
        }
        return b.toString();
    }
}
