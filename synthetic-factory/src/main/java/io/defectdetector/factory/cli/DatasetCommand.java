package io.defectdetector.factory.cli;

import io.defectdetector.factory.dataset.DatasetSpec;
import io.defectdetector.factory.dataset.MvtecWriter;
import io.defectdetector.factory.defects.DefectKind;
import io.defectdetector.factory.surface.Product;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "dataset", mixinStandardHelpOptions = true,
        description = "Write an MVTec AD style dataset: <out>/<product>/train/good, test/good, test/<defect>, "
                + "ground_truth/<defect>/NNN_mask.png, plus <out>/dataset.json.")
final class DatasetCommand implements Callable<Integer> {
    @Option(names = "--out", required = true, description = "Output folder (created if absent).")
    Path out;

    @Option(names = "--products", split = ",", converter = ProductsConverter.OfProduct.class,
            description = "Comma-separated products (default: all): fabric, metal, tiles, wood, pcb.")
    List<Product> products = List.of(Product.values());

    @Option(names = "--defects", split = ",", converter = ProductsConverter.OfDefect.class,
            description = "Comma-separated defect kinds (default: all): scratch, stain, crack, hole, "
                    + "contamination, misprint.")
    List<DefectKind> defects = List.of(DefectKind.values());

    @Option(names = "--seed", defaultValue = "42", description = "Root seed (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--size", defaultValue = "256", converter = ImageSize.Converter.class,
            description = "Image size, N or WxH (default: ${DEFAULT-VALUE}).")
    ImageSize size;

    @Option(names = "--train-good", defaultValue = "200", description = "Good training images per product "
            + "(default: ${DEFAULT-VALUE}).")
    int trainGood;

    @Option(names = "--test-good", defaultValue = "40", description = "Good test images per product "
            + "(default: ${DEFAULT-VALUE}).")
    int testGood;

    @Option(names = "--per-defect", defaultValue = "15", description = "Test images per defect kind and product "
            + "(default: ${DEFAULT-VALUE}).")
    int perDefect;

    @Option(names = "--threads", description = "Worker threads (default: available processors).")
    int threads = Runtime.getRuntime().availableProcessors();

    @Option(names = "--clean-views", description = "Also write each defective test image's defect-free view to "
            + "<product>/clean/<defect>/NNN.png (outside the MVTec layout), to measure how visible each defect is.")
    boolean cleanViews;

    @Option(names = "--no-progress", description = "Do not draw a progress bar.")
    boolean noProgress;

    @Override
    public Integer call() throws Exception {
        DatasetSpec spec = new DatasetSpec(products, defects, size.width(), size.height(), seed, trainGood,
                testGood, perDefect);
        long start = System.nanoTime();
        try (Progress progress = new Progress("dataset", spec.totalImages(), "img", !noProgress)) {
            new MvtecWriter(spec, threads, cleanViews).write(out, progress::step);
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        System.out.printf("wrote %d images (%s) of %dx%d to %s in %.1f s%n", spec.totalImages(),
                String.join(",", products.stream().map(Product::id).toList()), size.width(), size.height(),
                out.toAbsolutePath(), seconds);
        return 0;
    }
}
