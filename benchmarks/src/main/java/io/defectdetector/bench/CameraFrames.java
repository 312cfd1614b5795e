package io.defectdetector.bench;

import io.defectdetector.factory.camera.CameraSimulator;
import io.defectdetector.factory.camera.FrameEncoding;
import io.defectdetector.factory.camera.PoolImage;
import io.defectdetector.factory.camera.SimulatorConfig;
import io.defectdetector.factory.surface.Product;
import io.defectdetector.frame.ContentType;
import io.defectdetector.frame.Frame;
import io.defectdetector.frame.FrameEncoder;
import io.defectdetector.job.inference.Preprocessor;
import io.defectdetector.job.model.ModelCard;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.apache.kafka.clients.producer.ProducerRecord;

/**
 * The frames every benchmark phase sends: the camera simulator's pre-rendered pools (good and defective images
 * per camera, encoded once as raw, PNG or JPEG), published under fresh frame ids with the simulator's encoder.
 * Cameras take turns; a seeded draw picks a defective image at the simulator's default rate.
 */
public final class CameraFrames {
    private final SimulatorConfig config;
    private final ContentType contentType;
    private final List<List<PoolImage>> good = new ArrayList<>();
    private final List<List<PoolImage>> defective = new ArrayList<>();
    private final FrameEncoder encoder = new FrameEncoder();
    private final SplittableRandom rng;
    private long sequence;

    public CameraFrames(Product product, FrameEncoding encoding, int cameras, int side, double defectRate) {
        // The topic is chosen per record; the simulator only renders and encodes the pools here.
        this.config = SimulatorConfig.defaults("frames", product).withCameras(cameras).withEncoding(encoding)
                .withSize(side, side).withDefectRate(defectRate).withSeed(42);
        CameraSimulator simulator = new CameraSimulator(config);
        simulator.prepare(Runtime.getRuntime().availableProcessors());
        for (int c = 0; c < cameras; c++) {
            List<PoolImage> g = new ArrayList<>();
            List<PoolImage> d = new ArrayList<>();
            for (PoolImage image : simulator.pool(c)) {
                (image.defective() ? d : g).add(image);
            }
            good.add(g);
            defective.add(d);
        }
        this.contentType = simulator.contentType();
        this.rng = new SplittableRandom(7);
    }

    public SimulatorConfig config() {
        return config;
    }

    public ContentType contentType() {
        return contentType;
    }

    public int cameras() {
        return config.cameras();
    }

    /** The next frame for {@code topic}, captured now, with id {@code <prefix>-<sequence>}. */
    public synchronized ProducerRecord<byte[], byte[]> next(String topic, String idPrefix) {
        int c = (int) (sequence % config.cameras());
        boolean bad = !defective.get(c).isEmpty() && rng.nextDouble() < config.defectRate();
        List<PoolImage> pool = bad ? defective.get(c) : good.get(c);
        PoolImage image = pool.get(rng.nextInt(pool.size()));
        String frameId = idPrefix + "-" + sequence++;
        return encoder.encode(topic, config.cameraId(c), frameId, System.currentTimeMillis(), config.line(),
                contentType, config.width(), config.height(), image.payload());
    }

    /** Bytes of the record value of an average frame (for the table). */
    public double meanPayloadBytes() {
        long sum = 0;
        int n = 0;
        for (List<PoolImage> camera : good) {
            for (PoolImage p : camera) {
                sum += p.payload().length;
                n++;
            }
        }
        return n == 0 ? 0 : (double) sum / n;
    }

    /** A few pool images preprocessed for the model, for the ONNX Runtime ceiling. */
    public List<float[]> preprocessed(ModelCard card, int count) {
        Preprocessor p = new Preprocessor(card);
        List<float[]> out = new ArrayList<>();
        List<PoolImage> camera = good.get(0);
        for (int i = 0; i < count; i++) {
            var img = camera.get(i % camera.size()).image();
            out.add(p.preprocess(new Frame("c", "f", 0, null, img.width(), img.height(), img.channels(),
                    img.pixels())));
        }
        return out;
    }
}
