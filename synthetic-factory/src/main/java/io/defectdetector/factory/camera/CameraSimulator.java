package io.defectdetector.factory.camera;

import io.defectdetector.factory.Sample;
import io.defectdetector.factory.Seeds;
import io.defectdetector.factory.SurfaceFactory;
import io.defectdetector.factory.defects.DefectKind;
import io.defectdetector.factory.image.Image;
import io.defectdetector.frame.ContentType;
import io.defectdetector.frame.FrameEncoder;
import io.defectdetector.frame.FrameRejectedException;
import io.defectdetector.frame.KafkaClientSettings;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import java.util.function.LongConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;

/**
 * Simulated line cameras publishing frames in the wire format (key = camera id, header {@code line}).
 *
 * <p>Rendering a realistic image costs milliseconds, far too slow for thousands of frames per second, so each
 * camera pre-renders a pool of good and defective images (and pre-encodes them as PNG/JPEG when asked) and
 * publishes them under fresh frame ids; every frame's ground truth names the pool image it used. Which image a
 * frame shows is drawn from a per-camera seeded stream, so a run's sequence of images is reproducible.
 */
public final class CameraSimulator {
    private final SimulatorConfig config;
    private final ContentType contentType;
    private final ImageFolder folder;
    private volatile boolean stopRequested;
    private List<List<PoolImage>> goodPools;
    private List<List<PoolImage>> defectPools;

    public CameraSimulator(SimulatorConfig config) {
        this(config, null);
    }

    private CameraSimulator(SimulatorConfig config, ImageFolder folder) {
        this.config = config;
        this.folder = folder;
        this.contentType = folder != null ? folder.good().get(0).contentType()
                : config.encoding().contentType(config.product().channels());
        if (folder != null && config.defectRate() > 0 && folder.defective().isEmpty()) {
            throw new IllegalArgumentException("the image folder has no defective images; set the defect rate to 0");
        }
    }

    /**
     * Cameras that replay real images instead of rendering them: every camera's pool is the whole folder (its
     * product, size, pool sizes and defect kinds in {@code config} are not used).
     */
    public static CameraSimulator replaying(SimulatorConfig config, ImageFolder folder) {
        return new CameraSimulator(config, folder);
    }

    public SimulatorConfig config() {
        return config;
    }

    public ContentType contentType() {
        return contentType;
    }

    /** Renders and encodes the pools (once); {@link #run} calls it if needed. */
    public synchronized void prepare(int threads) {
        if (goodPools != null) {
            return;
        }
        if (folder != null) {
            goodPools = perCamera(folder.good());
            defectPools = perCamera(folder.defective());
            return;
        }
        SurfaceFactory factory = new SurfaceFactory(config.width(), config.height());
        List<List<Future<PoolImage>>> good = new ArrayList<>();
        List<List<Future<PoolImage>>> bad = new ArrayList<>();
        ExecutorService pool = Executors.newFixedThreadPool(Math.max(1, threads), r -> {
            Thread t = new Thread(r, "camera-pool-renderer");
            t.setDaemon(true);
            return t;
        });
        try {
            for (int cam = 0; cam < config.cameras(); cam++) {
                String cameraId = config.cameraId(cam);
                List<Future<PoolImage>> g = new ArrayList<>();
                List<Future<PoolImage>> b = new ArrayList<>();
                for (int i = 0; i < config.poolGood(); i++) {
                    int index = i;
                    g.add(pool.submit(() -> render(factory, cameraId, index, null)));
                }
                int defectiveCount = config.defectRate() > 0 ? config.poolDefective() : 0;
                for (int i = 0; i < defectiveCount; i++) {
                    int index = config.poolGood() + i;
                    DefectKind kind = config.defects().get(i % config.defects().size());
                    b.add(pool.submit(() -> render(factory, cameraId, index, kind)));
                }
                good.add(g);
                bad.add(b);
            }
            goodPools = collect(good);
            defectPools = collect(bad);
        } finally {
            pool.shutdownNow();
        }
    }

    private PoolImage render(SurfaceFactory factory, String cameraId, int index, DefectKind kind) {
        long seed = Seeds.derive(config.seed(), "camera", cameraId, "pool", index);
        Sample sample = factory.sample(config.product(), seed, kind);
        var img = sample.image();
        byte[] payload = switch (config.encoding()) {
            case RAW -> img.pixels();
            case PNG -> FrameEncoder.toPng(img.width(), img.height(), img.channels(), img.pixels());
            case JPEG -> FrameEncoder.toJpeg(img.width(), img.height(), img.channels(), img.pixels(),
                    config.jpegQuality());
        };
        // JPEG changes the pixels: the pool keeps what the job decodes, so overlays show the frame it scored.
        Image seen = img;
        if (config.encoding() == FrameEncoding.JPEG) {
            try {
                seen = ImageFolder.decodedAsTheJobDoes(payload, contentType);
            } catch (FrameRejectedException e) {
                throw new IllegalStateException("the job would reject the simulator's own JPEG: " + e.getMessage(), e);
            }
        }
        return PoolImage.rendered(cameraId, index, seed, sample, seen, contentType, payload);
    }

    private List<List<PoolImage>> perCamera(List<PoolImage> images) {
        List<List<PoolImage>> out = new ArrayList<>();
        for (int cam = 0; cam < config.cameras(); cam++) {
            String cameraId = config.cameraId(cam);
            out.add(images.stream().map(i -> i.forCamera(cameraId, i.index())).toList());
        }
        return List.copyOf(out);
    }

    private static List<List<PoolImage>> collect(List<List<Future<PoolImage>>> futures) {
        List<List<PoolImage>> out = new ArrayList<>();
        try {
            for (List<Future<PoolImage>> camera : futures) {
                List<PoolImage> images = new ArrayList<>();
                for (Future<PoolImage> f : camera) {
                    images.add(f.get());
                }
                out.add(List.copyOf(images));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while rendering camera pools", e);
        } catch (ExecutionException e) {
            throw new IllegalStateException("cannot render camera pools", e.getCause());
        }
        return List.copyOf(out);
    }

    /** The pool of one camera (good images first, then defective); renders the pools if needed. */
    public List<PoolImage> pool(int camera) {
        prepare(Runtime.getRuntime().availableProcessors());
        List<PoolImage> all = new ArrayList<>(goodPools.get(camera));
        all.addAll(defectPools.get(camera));
        return all;
    }

    /** Asks a running {@link #run} to stop after the current frame; it then flushes and returns. */
    public void stop() {
        stopRequested = true;
    }

    /** Creates a producer from {@code kafka} (plus throughput defaults), runs, and closes it. */
    public SimulationReport run(KafkaClientSettings kafka, GroundTruth truth, LongConsumer progress) {
        try (Producer<byte[], byte[]> producer = new KafkaProducer<>(ProducerSettings.build(kafka))) {
            return run(producer, truth, progress);
        }
    }

    /**
     * Publishes frames until the frame count or duration is reached or {@link #stop()} is called, then waits
     * for every frame to be acknowledged. Stops early, and throws, if the producer reports a failure.
     *
     * @param progress called with the number of frames sent so far (from this thread)
     */
    public SimulationReport run(Producer<byte[], byte[]> producer, GroundTruth truth, LongConsumer progress) {
        prepare(Runtime.getRuntime().availableProcessors());
        int cameras = config.cameras();
        String[] cameraIds = new String[cameras];
        SplittableRandom[] choices = new SplittableRandom[cameras];
        long[] sequence = new long[cameras];
        String[][] maskFiles = new String[cameras][];
        for (int c = 0; c < cameras; c++) {
            cameraIds[c] = config.cameraId(c);
            choices[c] = new SplittableRandom(Seeds.derive(config.seed(), "frames", cameraIds[c]));
            List<PoolImage> bad = defectPools.get(c);
            maskFiles[c] = new String[bad.size()];
            for (int i = 0; i < bad.size(); i++) {
                maskFiles[c][i] = truth.maskFileFor(bad.get(i));
            }
        }
        FrameEncoder encoder = new FrameEncoder();
        AtomicLong acknowledged = new AtomicLong();
        AtomicLong failed = new AtomicLong();
        AtomicReference<Exception> firstError = new AtomicReference<>();
        String product = folder != null ? folder.name() : config.product().id();
        long defective = 0;
        long bytes = 0;
        long sent = 0;
        double nanosPerFrame = config.ratePerSecond() > 0 ? 1e9 / config.ratePerSecond() : 0;
        long start = System.nanoTime();
        long deadline = config.duration() == null ? Long.MAX_VALUE : start + config.duration().toNanos();

        while (!stopRequested && firstError.get() == null
                && (config.maxFrames() == 0 || sent < config.maxFrames())) {
            long now = System.nanoTime();
            if (nanosPerFrame > 0) {
                long due = start + (long) (sent * nanosPerFrame);
                if (due >= deadline) {
                    break;
                }
                if (due > now) {
                    LockSupport.parkNanos(due - now);
                    continue; // re-check stop and limits after waking
                }
            } else if (now >= deadline) {
                break;
            }
            int c = (int) (sent % cameras);
            SplittableRandom rng = choices[c];
            boolean bad = config.defectRate() > 0 && rng.nextDouble() < config.defectRate();
            List<PoolImage> pool = bad ? defectPools.get(c) : goodPools.get(c);
            int pick = rng.nextInt(pool.size());
            PoolImage image = pool.get(pick);
            String frameId = config.runId() + "-" + sequence[c]++;
            long captureTime = System.currentTimeMillis();
            int width = image.image().width();
            int height = image.image().height();
            ProducerRecord<byte[], byte[]> record = encoder.encode(config.topic(), cameraIds[c], frameId,
                    captureTime, config.line(), image.contentType(), width, height, image.payload());
            truth.record(new FrameTruth(cameraIds[c], frameId, captureTime, config.line(), image.index(),
                    image.seed(), image.defect(), image.bbox(), image.defectPixels(), image.mask(),
                    bad ? maskFiles[c][pick] : null, image.source()), product, width, height,
                    image.contentType().mimeType());
            producer.send(record, (metadata, error) -> {
                if (error == null) {
                    acknowledged.incrementAndGet();
                } else {
                    failed.incrementAndGet();
                    firstError.compareAndSet(null, error);
                }
            });
            sent++;
            bytes += image.payload().length;
            if (bad) {
                defective++;
            }
            progress.accept(sent);
        }
        producer.flush();
        Duration elapsed = Duration.ofNanos(System.nanoTime() - start);
        try {
            truth.flush();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        if (firstError.get() != null) {
            throw new IllegalStateException("the producer failed after " + acknowledged.get() + " acknowledged frames "
                    + "(" + failed.get() + " failed): " + firstError.get().getMessage(), firstError.get());
        }
        return new SimulationReport(sent, acknowledged.get(), failed.get(), defective, bytes, elapsed);
    }
}
