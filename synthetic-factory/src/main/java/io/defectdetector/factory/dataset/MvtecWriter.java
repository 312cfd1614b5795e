package io.defectdetector.factory.dataset;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.defectdetector.factory.Sample;
import io.defectdetector.factory.Seeds;
import io.defectdetector.factory.SurfaceFactory;
import io.defectdetector.factory.defects.DefectApplier;
import io.defectdetector.factory.defects.DefectKind;
import io.defectdetector.factory.image.Png;
import io.defectdetector.factory.surface.Product;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Writes a dataset in the MVTec AD layout:
 * <pre>
 * root/product/train/good/000.png
 * root/product/test/good/000.png
 * root/product/test/&lt;defect&gt;/000.png
 * root/product/ground_truth/&lt;defect&gt;/000_mask.png   (0 / 255, same size)
 * root/product/clean/&lt;defect&gt;/000.png       (only with clean views: the same view without the defect)
 * root/dataset.json
 * </pre>
 * Every image's seed derives from (root seed, product, split, label, index) alone, so the files are identical
 * whatever the thread count or order of completion.
 */
public final class MvtecWriter {
    private final DatasetSpec spec;
    private final SurfaceFactory factory;
    private final int threads;
    private final boolean cleanViews;

    public MvtecWriter(DatasetSpec spec, int threads) {
        this(spec, threads, false);
    }

    /**
     * @param cleanViews also write each defective image's defect-free view to {@code product/clean/<defect>/},
     *     so that how much a defect changes the image can be measured. The folder is outside the MVTec layout,
     *     which training and evaluation ignore.
     */
    public MvtecWriter(DatasetSpec spec, int threads, boolean cleanViews) {
        this.spec = spec;
        this.factory = new SurfaceFactory(spec.width(), spec.height());
        this.threads = Math.max(1, threads);
        this.cleanViews = cleanViews;
    }

    /** Seed of one image; public so tests and tools can regenerate any file of a dataset on its own. */
    public static long imageSeed(long rootSeed, Product product, String split, String label, int index) {
        return Seeds.derive(rootSeed, product.id(), split, label, index);
    }

    public static String fileName(int index, int count) {
        int digits = Math.max(3, Integer.toString(Math.max(0, count - 1)).length());
        return String.format("%0" + digits + "d", index);
    }

    /**
     * Writes everything under {@code root}; {@code progress} is called once per finished image (from worker
     * threads).
     */
    public void write(Path root, Runnable progress) throws IOException {
        List<Runnable> tasks = new ArrayList<>();
        for (Product product : spec.products()) {
            Path dir = root.resolve(product.id());
            Files.createDirectories(dir.resolve("train/good"));
            Files.createDirectories(dir.resolve("test/good"));
            for (int i = 0; i < spec.trainGood(); i++) {
                tasks.add(goodTask(product, dir.resolve("train/good"), "train", i, spec.trainGood()));
            }
            for (int i = 0; i < spec.testGood(); i++) {
                tasks.add(goodTask(product, dir.resolve("test/good"), "test", i, spec.testGood()));
            }
            for (DefectKind kind : spec.defects()) {
                if (spec.perDefect() == 0) {
                    continue;
                }
                Files.createDirectories(dir.resolve("test").resolve(kind.id()));
                Files.createDirectories(dir.resolve("ground_truth").resolve(kind.id()));
                if (cleanViews) {
                    Files.createDirectories(dir.resolve("clean").resolve(kind.id()));
                }
                for (int i = 0; i < spec.perDefect(); i++) {
                    tasks.add(defectTask(product, dir, kind, i));
                }
            }
        }
        run(tasks, progress);
        writeSummary(root.resolve("dataset.json"));
    }

    private Runnable goodTask(Product product, Path folder, String split, int index, int count) {
        return () -> {
            long seed = imageSeed(spec.seed(), product, split, "good", index);
            write(factory.good(product, seed), folder.resolve(fileName(index, count) + ".png"));
        };
    }

    private Runnable defectTask(Product product, Path dir, DefectKind kind, int index) {
        return () -> {
            long seed = imageSeed(spec.seed(), product, "test", kind.id(), index);
            Sample sample = factory.sample(product, seed, kind);
            String name = fileName(index, spec.perDefect());
            write(sample.image(), dir.resolve("test").resolve(kind.id()).resolve(name + ".png"));
            write(sample.mask(), dir.resolve("ground_truth").resolve(kind.id()).resolve(name + "_mask.png"));
            if (cleanViews) {
                write(sample.good(), dir.resolve("clean").resolve(kind.id()).resolve(name + ".png"));
            }
        };
    }

    private static void write(io.defectdetector.factory.image.Image image, Path file) {
        try {
            Png.write(image, file);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file, e);
        }
    }

    private void run(List<Runnable> tasks, Runnable progress) throws IOException {
        ExecutorService pool = Executors.newFixedThreadPool(threads, r -> {
            Thread t = new Thread(r, "dataset-writer");
            t.setDaemon(true);
            return t;
        });
        try {
            List<Future<?>> futures = new ArrayList<>(tasks.size());
            for (Runnable task : tasks) {
                futures.add(pool.submit(() -> {
                    task.run();
                    progress.run();
                }));
            }
            for (Future<?> f : futures) {
                f.get();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while writing the dataset", e);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof UncheckedIOException io) {
                throw io.getCause();
            }
            throw new IllegalStateException("dataset generation failed", e.getCause());
        } finally {
            pool.shutdownNow();
        }
    }

    private void writeSummary(Path file) throws IOException {
        ObjectMapper json = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
        ObjectNode root = json.createObjectNode();
        root.put("layout", "mvtec-ad");
        root.put("generator", "synthetic-factory");
        root.put("generator_version", SurfaceFactory.GENERATOR_VERSION);
        root.put("seed", spec.seed());
        root.put("width", spec.width());
        root.put("height", spec.height());
        root.put("mask_min_delta", DefectApplier.MIN_DELTA);
        root.put("clean_views", cleanViews);
        ObjectNode products = root.putObject("products");
        for (Product product : spec.products()) {
            ObjectNode p = products.putObject(product.id());
            p.put("channels", product.channels());
            p.put("color", product.channels() == 3 ? "rgb" : "gray");
            p.put("train_good", spec.trainGood());
            p.put("test_good", spec.testGood());
            ObjectNode defects = p.putObject("test_defects");
            for (DefectKind kind : spec.defects()) {
                defects.put(kind.id(), spec.perDefect());
            }
        }
        root.put("total_images", spec.totalImages());
        json.writeValue(file.toFile(), root);
    }
}
