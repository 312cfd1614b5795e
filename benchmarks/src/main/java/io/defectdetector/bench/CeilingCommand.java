package io.defectdetector.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.defectdetector.job.model.ModelBundle;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** ONNX Runtime alone: frames/s and call latency per batch size and thread layout, on CPU or a CUDA device. */
@Command(name = "ceiling", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Raw ONNX Runtime throughput on preprocessed tensors, per batch size and layout.")
public final class CeilingCommand implements Callable<Integer> {
    @Mixin
    BenchSetup setup;

    @Option(names = "--layouts", split = ",", description = "Layouts <sessions>x<intra-op threads>, e.g. 2x1,1x2. "
            + "Default: the job's (--parallelism x --intra-op-threads).")
    List<String> layouts;

    @Option(names = "--batch-sizes", split = ",", defaultValue = "1,2,4,8,16,32,64",
            description = "Default: ${DEFAULT-VALUE}.")
    List<Integer> batchSizes;

    @Option(names = "--seconds", defaultValue = "5", description = "Per batch size. Default: ${DEFAULT-VALUE}.")
    double seconds;

    @Option(names = "--ort-profile", description = "Run ONNX Runtime's profiler on the first session and print the "
            + "time per operator type (the profile JSON is kept in the output folder).")
    boolean ortProfile;

    @Override
    public Integer call() throws Exception {
        ModelBundle model = ModelBundle.locate(setup.model.toString());
        List<float[]> images = setup.frames().preprocessed(model.card(), 16);
        List<String> wanted = layouts != null ? layouts : List.of(setup.parallelism() + "x" + setup.intraOpThreads);
        OrtCeiling.GpuOptions gpu = setup.gpuOptions();
        String device = setup.device;
        List<OrtCeiling.Point> points = new ArrayList<>();
        BenchMain.say("%s %s on %s; load average %s", model.card().name(), model.card().version(), device,
                MachineInfo.formatLoad(MachineInfo.loadAverageNow()));
        System.out.printf("%-6s %-8s %5s %10s %11s %11s %11s %13s%n", "layout", "provider", "batch", "frames/s",
                "call p50 ms", "call p95 ms", "call p99 ms", "ORT cpu us/fr");
        Path dir = setup.output.resolve("ceiling-" + LocalDateTime.now(ZoneOffset.UTC)
                .format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")));
        Files.createDirectories(dir);
        Map<String, List<String>> profiles = new LinkedHashMap<>();
        for (String l : wanted) {
            try (OrtCeiling ceiling = new OrtCeiling(model, OrtCeiling.Layout.parse(l), device, gpu, images,
                    ortProfile ? dir.resolve("ort-profile-" + l).toString() : null)) {
                for (int b : batchSizes) {
                    OrtCeiling.Point p = ceiling.measure(b, seconds);
                    points.add(p);
                    System.out.printf("%-6s %-8s %5d %10.1f %11.2f %11.2f %11.2f %13.0f%n", p.layout(), p.provider(),
                            p.batchSize(), p.framesPerSecond(), p.callP50Ms(), p.callP95Ms(), p.callP99Ms(),
                            p.ortCpuMicrosPerFrame());
                }
                if (ortProfile) {
                    List<String> summary = OrtProfile.summarise(ceiling.endProfiling(), 12);
                    profiles.put(l, summary);
                    System.out.println("ONNX Runtime time by operator type, layout " + l + " (all batch sizes):");
                    summary.forEach(line -> System.out.println("  " + line));
                }
            }
        }
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("machine", Map.of("label", setup.machineLabel(), "info", MachineInfo.current(),
                "cores", Runtime.getRuntime().availableProcessors()));
        out.put("model", model.card().name() + " " + model.card().version());
        out.put("device", device);
        out.put("ceiling", points);
        if (!profiles.isEmpty()) {
            out.put("ortProfileByOperator", profiles);
        }
        Path json = dir.resolve("results.json");
        new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(json.toFile(), out);
        List<Path> pngs = Plots.render(json, setup.python);
        System.out.println("Results: " + json + (pngs.isEmpty() ? "" : "; plots: " + pngs));
        return 0;
    }
}
