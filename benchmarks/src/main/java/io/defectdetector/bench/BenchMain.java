package io.defectdetector.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.defectdetector.frame.KafkaClientSettings;
import io.defectdetector.factory.camera.ProducerSettings;
import io.defectdetector.job.config.DeliveryMode;
import io.defectdetector.job.model.ModelBundle;
import io.defectdetector.kafka.LocalKafkaBroker;
import java.io.PrintStream;
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
import org.apache.flink.connector.kafka.sink.TransactionNamingStrategy;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * The pipeline benchmark: in one JVM and one run, (a) the ONNX Runtime ceiling per batch size, (b) the real job
 * end to end through a local Kafka broker on a backlog, (c) latency at 50% and 80% of (b) for both delivery
 * modes plus a batching sweep, and (d) the ratio b / a. Prints a table, writes results.json and PNG plots.
 */
@Command(name = "bench.sh", mixinStandardHelpOptions = true, sortOptions = false,
        subcommands = {CeilingCommand.class, SoakCommand.class, JmhCommand.class},
        description = {"Measures the detection job against raw ONNX Runtime on this machine and prints a table with "
                + "the ratio; results.json and plots go to a timestamped folder under --output.",
                "Subcommands: ceiling (ONNX Runtime only), soak (memory over a long run), jmh (micro-benchmarks)."})
public final class BenchMain implements Callable<Integer> {
    static final int[] BATCH_SIZES = {1, 2, 4, 8, 16, 32, 64};

    @Mixin
    BenchSetup setup;

    @Option(names = "--quick", description = "About 3 minutes: short phases, two sweep settings. Default: the full "
            + "run (about 15 minutes).")
    boolean quick;

    @Option(names = "--sweep", split = ",", description = "Batching settings to sweep, as <batch-max-size>/<batch-max-"
            + "wait-ms>, e.g. 1/0,16/20. Default: 1/0,16/20 (quick) or 1/0,4/10,16/20,32/40,64/80 (full).")
    List<String> sweep;

    @Option(names = "--skip-end-to-end", description = "Measure the ceiling only (no broker, no Flink).")
    boolean ceilingOnly;

    @Option(names = "--idle-seconds", description = "How long the idle job's CPU is measured after each drain. "
            + "Default: 3 (quick) or 10 (full).")
    Double idleSeconds;

    @Option(names = "--runs", split = ",", defaultValue = "eo,alo,sweep",
            description = "Which job runs: eo (exactly-once), alo (at-least-once), sweep. Default: ${DEFAULT-VALUE}.")
    List<String> runs;

    @Option(names = "--experiment-transaction-naming", hidden = true, description = "Exactly-once sinks with this "
            + "TransactionNamingStrategy instead of the job's own (POOLING), to measure the difference.")
    TransactionNamingStrategy transactionNaming;

    public static void main(String[] args) {
        int code = new CommandLine(new BenchMain()).setCaseInsensitiveEnumValuesAllowed(true).execute(args);
        System.exit(code);
    }

    /** Phase lengths of one mode. */
    private record Plan(double ceilingSeconds, double sideBySideSeconds, double warmUpSeconds, double drainSeconds,
            double idleSeconds, double loadSeconds, double sweepDrainSeconds, double sweepLoadSeconds,
            List<String> sweep, boolean alternativeLayouts) {

        Plan withSweep(List<String> s) {
            return new Plan(ceilingSeconds, sideBySideSeconds, warmUpSeconds, drainSeconds, idleSeconds, loadSeconds,
                    sweepDrainSeconds, sweepLoadSeconds, s, alternativeLayouts);
        }
    }

    @Override
    public Integer call() throws Exception {
        Plan plan = quick
                ? new Plan(1.5, 3, 3, 10, 3, 10, 8, 10, List.of("1/0", "16/20"), false)
                : new Plan(4, 6, 5, 45, 10, 40, 25, 30, List.of("1/0", "4/10", "16/20", "32/40", "64/80"), true);
        if (sweep != null) {
            plan = plan.withSweep(sweep);
        }
        if (idleSeconds != null) {
            plan = new Plan(plan.ceilingSeconds(), plan.sideBySideSeconds(), plan.warmUpSeconds(), plan.drainSeconds(),
                    idleSeconds, plan.loadSeconds(), plan.sweepDrainSeconds(), plan.sweepLoadSeconds(), plan.sweep(),
                    plan.alternativeLayouts());
        }
        Path dir = setup.output.resolve("pipeline-" + LocalDateTime.now(ZoneOffset.UTC)
                .format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")));
        Files.createDirectories(dir);
        Results r = new Results();
        r.command = "benchmarks/bench.sh " + (quick ? "--quick" : "(full)");
        r.startedUtc = LocalDateTime.now(ZoneOffset.UTC).toString();
        r.machine = Map.of("label", setup.machineLabel(), "info", MachineInfo.current(),
                "cores", Runtime.getRuntime().availableProcessors());
        r.loadAtStart = MachineInfo.formatLoad(MachineInfo.loadAverageNow());

        ModelBundle model = ModelBundle.locate(setup.model.toString());
        int p = setup.parallelism();
        OrtCeiling.Layout layout = new OrtCeiling.Layout(p, setup.intraOpThreads);
        say("Model %s %s (%dx%dx%d); job layout %s (sessions x intra-op threads), batch <= %d / wait %d ms, "
                        + "checkpoints %d ms; %s mode; load average %s", model.card().name(), model.card().version(),
                model.card().channels(), model.card().height(), model.card().width(), layout, setup.batchMaxSize,
                setup.batchMaxWaitMs, setup.checkpointIntervalMs, quick ? "quick" : "full", r.loadAtStart);
        say("Rendering camera pools (%s %dx%d, %s) ...", setup.product(), setup.frameSize, setup.frameSize,
                setup.encoding);
        CameraFrames frames = setup.frames();
        r.config = config(model, layout, frames, plan);
        List<float[]> images = frames.preprocessed(model.card(), 16);

        try (OrtCeiling ceiling = new OrtCeiling(model, layout, setup.device, setup.gpuOptions(), images)) {
            // a. the ceiling at every batch size, with the job's layout (and the other layouts in the full run)
            for (int b : BATCH_SIZES) {
                OrtCeiling.Point point = ceiling.measure(b, plan.ceilingSeconds());
                r.ceiling.add(point);
                say("  ceiling %s batch %2d: %7.1f frames/s, call p50 %.1f ms", layout, b, point.framesPerSecond(),
                        point.callP50Ms());
            }
            if (plan.alternativeLayouts()) {
                for (OrtCeiling.Layout alt : alternatives(layout)) {
                    try (OrtCeiling other = new OrtCeiling(model, alt, setup.device, setup.gpuOptions(), images)) {
                        for (int b : new int[] {1, setup.batchMaxSize}) {
                            OrtCeiling.Point point = other.measure(b, plan.ceilingSeconds());
                            r.ceiling.add(point);
                            say("  ceiling %s batch %2d: %7.1f frames/s", alt, b, point.framesPerSecond());
                        }
                    }
                }
            }
            if (ceilingOnly) {
                return finish(r, dir);
            }
            // Backlogs are sized from the most optimistic ceiling, so a drain never ends before its window.
            double estimate = r.ceiling.stream().filter(c -> c.layout().equals(layout.toString()))
                    .mapToDouble(OrtCeiling.Point::framesPerSecond).max().orElse(50);

            say("Starting Kafka ...");
            try {
                endToEnd(r, model, layout, frames, ceiling, estimate, plan);
            } catch (Exception e) {
                // Keep what was measured: the table and JSON are written with the error noted.
                r.error = e.toString();
                say("End-to-end part failed: %s (see bench-output/bench.log)", e);
            }
        }
        return finish(r, dir);
    }

    private void endToEnd(Results r, ModelBundle model, OrtCeiling.Layout layout, CameraFrames frames,
            OrtCeiling ceiling, double estimate, Plan plan) throws Exception {
        {
            try (LocalKafkaBroker broker = LocalKafkaBroker.start(Map.of("log.retention.check.interval.ms", "30000"));
                    Producer<byte[], byte[]> producer = producer(broker)) {
                String run = Long.toString(System.currentTimeMillis() % 1_000_000, 36);
                // Not measured: lets the JIT compile the pipeline's code paths (Flink, Kafka, the job) before any
                // figure is taken; at tens of frames/s per-frame methods need minutes to reach C2, so this only
                // shortens the start-up transient (JIT CPU is reported separately).
                try (JobRun warm = new JobRun(broker, settings("warm" + run, DeliveryMode.AT_LEAST_ONCE,
                        setup.batchMaxSize, setup.batchMaxWaitMs), model, frames, producer)) {
                    drain(warm, estimate, 2, quick ? 5 : 30);
                }
                // b. + c. exactly-once, side by side with the ceiling; then 50% and 80% of its rate offered
                double sustained;
                try (JobRun job = new JobRun(broker, settings("eo" + run, DeliveryMode.EXACTLY_ONCE,
                        setup.batchMaxSize, setup.batchMaxWaitMs), model, frames, producer)) {
                    Results.SideBySide eo = sideBySide(job, ceiling, estimate, plan);
                    r.sideBySide.add(eo);
                    sustained = eo.endToEnd().framesPerSecond();
                    for (double load : new double[] {0.5, 0.8}) {
                        r.latency.add(load(job, load, sustained, plan.loadSeconds()));
                    }
                }
                if (!runs.contains("alo")) {
                    return;
                }
                // c. at-least-once, the same way and at the same offered rates
                JobRun.Settings aloSettings = settings("alo" + run, DeliveryMode.AT_LEAST_ONCE, setup.batchMaxSize,
                        setup.batchMaxWaitMs);
                try (JobRun job = new JobRun(broker, aloSettings, model, frames, producer)) {
                    Results.SideBySide alo = sideBySide(job, ceiling, estimate, plan);
                    r.sideBySide.add(alo);
                    JobRun.LoadResult half = load(job, 0.5, sustained, plan.loadSeconds());
                    r.latency.add(half);
                    r.latency.add(load(job, 0.8, sustained, plan.loadSeconds()));
                    r.sweep.add(sweepPoint(aloSettings, alo.endToEnd(), half));
                }
                // c. the batching sweep, at-least-once, every setting at the same offered rate (50% of b)
                for (String s : runs.contains("sweep") ? plan.sweep() : List.<String>of()) {
                    String[] parts = s.split("/");
                    int size = Integer.parseInt(parts[0].trim());
                    long wait = Long.parseLong(parts[1].trim());
                    if (size == setup.batchMaxSize && wait == setup.batchMaxWaitMs) {
                        continue;
                    }
                    JobRun.Settings sw = settings("sw" + size + "w" + wait + run, DeliveryMode.AT_LEAST_ONCE, size,
                            wait);
                    try (JobRun job = new JobRun(broker, sw, model, frames, producer)) {
                        JobRun.DrainResult d = drain(job, estimate, plan.warmUpSeconds(), plan.sweepDrainSeconds());
                        JobRun.LoadResult l = load(job, 0.5, sustained, plan.sweepLoadSeconds());
                        r.sweep.add(sweepPoint(sw, d, l));
                    }
                }
            }
        }
    }

    /**
     * The ceiling at the job's batch size right before the job starts and again right after its backlog is
     * drained (the job idle), so the ratio compares figures taken under the same neighbours' load.
     */
    private Results.SideBySide sideBySide(JobRun job, OrtCeiling ceiling, double estimate, Plan plan)
            throws Exception {
        long n = backlog(estimate, plan.warmUpSeconds() + plan.drainSeconds());
        say("%s: loading %d frames (%s) ...", job.settings().name(), n, job.settings().describe());
        job.preload(n);
        OrtCeiling.Point before = ceiling.measure(setup.batchMaxSize, plan.sideBySideSeconds());
        say("  ceiling before: %.1f frames/s; starting the job ...", before.framesPerSecond());
        job.start();
        JobRun.DrainResult d = job.awaitDrain(n, Duration.ofSeconds((long) (plan.drainSeconds() * 6 + 120)),
                plan.warmUpSeconds());
        report(d);
        JobRun.IdleResult idle = job.measureIdle(plan.idleSeconds());
        OrtCeiling.Point after = ceiling.measure(setup.batchMaxSize, plan.sideBySideSeconds());
        double ratio = d.framesPerSecond() / ((before.framesPerSecond() + after.framesPerSecond()) / 2);
        say("  idle job: %.1f%% of a core; ceiling after: %.1f frames/s; b / a = %.2f", idle.cpuPercentOfOneCore(),
                after.framesPerSecond(), ratio);
        return new Results.SideBySide(job.settings().name(), job.settings().delivery().name(), before, d, idle,
                after, ratio);
    }

    private static long backlog(double rate, double seconds) {
        return Math.max(400, Math.min(60_000, Math.round(rate * seconds)));
    }

    private Map<String, Object> config(ModelBundle model, OrtCeiling.Layout layout, CameraFrames frames, Plan plan) {
        Map<String, Object> c = new LinkedHashMap<>();
        c.put("model", model.card().name() + " " + model.card().version());
        c.put("modelInput", model.card().channels() + "x" + model.card().height() + "x" + model.card().width());
        c.put("layout", layout.toString());
        c.put("batchMaxSize", setup.batchMaxSize);
        c.put("batchMaxWaitMs", setup.batchMaxWaitMs);
        c.put("checkpointIntervalMs", setup.checkpointIntervalMs);
        c.put("frames", String.format(Locale.ROOT, "%s %dx%d %s (%s), %.0f bytes/frame, %d cameras, %.0f%% defective",
                setup.product(), setup.frameSize, setup.frameSize, setup.encoding, frames.contentType().mimeType(),
                frames.meanPayloadBytes(), setup.cameras, setup.defectRate * 100));
        c.put("quick", quick);
        c.put("plan", plan);
        return c;
    }

    private static List<OrtCeiling.Layout> alternatives(OrtCeiling.Layout layout) {
        int cores = layout.sessions() * layout.intraOpThreads();
        List<OrtCeiling.Layout> out = new ArrayList<>();
        for (int s = 1; s <= cores; s++) {
            if (cores % s == 0 && s != layout.sessions()) {
                out.add(new OrtCeiling.Layout(s, cores / s));
            }
        }
        return out;
    }

    private JobRun.Settings settings(String name, DeliveryMode delivery, int batch, long waitMs) {
        return new JobRun.Settings(name, delivery, batch, waitMs, setup.parallelism(), setup.intraOpThreads,
                setup.checkpointInterval(), setup.jobOptions(), transactionNaming, setup.device);
    }

    private JobRun.DrainResult drain(JobRun job, double estimate, double warmUp, double seconds) throws Exception {
        long n = backlog(estimate, warmUp + seconds);
        say("%s: loading %d frames, then draining them (%s) ...", job.settings().name(), n,
                job.settings().describe());
        job.preload(n);
        job.start();
        JobRun.DrainResult d = job.awaitDrain(n, Duration.ofSeconds((long) (seconds * 6 + 120)), warmUp);
        report(d);
        return d;
    }

    private static void report(JobRun.DrainResult d) {
        say("  %.1f frames/s sustained over %.1f s (%d of %d decided, %d duplicates); cpu %.0f us/frame",
                d.framesPerSecond(), d.windowSeconds(), d.decided(), d.frames(), d.duplicates(),
                d.cpuMicrosPerFrame().getOrDefault("total", Double.NaN));
    }

    private JobRun.LoadResult load(JobRun job, double fraction, double sustained, double seconds) throws Exception {
        String label = Math.round(fraction * 100) + "pct";
        JobRun.LoadResult l = job.offer(label, fraction * sustained, seconds, Math.min(2, seconds / 5));
        say("  %s at %.0f%% (%.1f frames/s): p50 %.0f ms, p95 %.0f ms, p99 %.0f ms over %d frames (%d missing)",
                job.settings().delivery(), fraction * 100, l.offeredPerSecond(), l.p50(), l.p95(), l.p99(),
                l.measured(), l.missing());
        return l;
    }

    private static SweepPoint sweepPoint(JobRun.Settings s, JobRun.DrainResult d, JobRun.LoadResult l) {
        return new SweepPoint(s.batchMaxSize(), s.batchMaxWaitMs(), s.delivery().name(), d.framesPerSecond(),
                l == null ? Double.NaN : l.offeredPerSecond(), l == null ? Double.NaN : l.p50(),
                l == null ? Double.NaN : l.p95(), l == null ? Double.NaN : l.p99());
    }

    private int finish(Results r, Path dir) throws Exception {
        r.loadAtEnd = MachineInfo.formatLoad(MachineInfo.loadAverageNow());
        r.evaluate(setup);
        String table = ReportTable.render(r, setup);
        System.out.println();
        System.out.print(table);
        Files.writeString(dir.resolve("table.txt"), table, StandardCharsets.UTF_8);
        Path json = dir.resolve("results.json");
        new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(json.toFile(), r);
        List<Path> pngs = Plots.render(json, setup.python);
        System.out.println("Results: " + json + (pngs.isEmpty() ? "" : "; plots: " + pngs));
        return 0;
    }

    static Producer<byte[], byte[]> producer(LocalKafkaBroker broker) {
        var props = ProducerSettings.build(KafkaClientSettings.of(Map.of("bootstrap.servers",
                broker.bootstrapServers())));
        props.put(ProducerConfig.CLIENT_ID_CONFIG, "bench-frames");
        props.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, "600000");
        return new KafkaProducer<>(props);
    }

    static void say(String format, Object... args) {
        PrintStream out = System.out;
        out.printf(Locale.ROOT, "[%s] " + format + "%n", prepend(LocalDateTime.now().format(
                DateTimeFormatter.ofPattern("HH:mm:ss")), args));
        out.flush();
    }

    private static Object[] prepend(Object first, Object[] rest) {
        Object[] all = new Object[rest.length + 1];
        all[0] = first;
        System.arraycopy(rest, 0, all, 1, rest.length);
        return all;
    }
}
