package io.defectdetector.demo;

import io.defectdetector.factory.camera.FrameTruth;
import io.defectdetector.factory.camera.GroundTruth;
import io.defectdetector.factory.image.Image;
import io.defectdetector.frame.FrameHeaders;
import io.defectdetector.job.alerts.AlertJson;
import io.defectdetector.job.alerts.DefectAlert;
import io.defectdetector.job.alerts.ScoreRecord;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BiFunction;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.errors.WakeupException;

/**
 * Reads what the job publishes, as a downstream consumer would (isolation.level=read_committed, so with
 * EXACTLY_ONCE it sees alerts only once their checkpoint has committed them): alerts, scores, dead letters.
 * Records latency (capture time to the moment the alert is readable here) and writes an overlay for the first alert
 * of each distinct image.
 * Overlays are written on a thread of their own: PNG encoding (and the first use of Java2D, which takes about a
 * second) on the polling thread would delay the next poll and show up as alert latency the job did not cause.
 */
public final class OutputWatcher implements Runnable, AutoCloseable {
    /** Frames of cameras named so are the demo's warm-up frames: counted apart, never in the statistics. */
    public static final String WARM_UP_CAMERA_PREFIX = "warm-up-";

    private final KafkaConsumer<byte[], byte[]> consumer;
    private final String alertsTopic;
    private final String scoresTopic;
    private final String deadLetterTopic;
    private final GroundTruth truth;
    private final BiFunction<String, Integer, Image> frameImage;
    private final OverlayWriter overlays;
    private final int maxOverlays;
    private final ExecutorService overlayThread =
            Executors.newSingleThreadExecutor(r -> new Thread(r, "demo-overlay-writer"));
    private final AtomicInteger overlaysQueued = new AtomicInteger();
    /** The images an overlay was queued for (poll thread only): the cameras repeat their pools, one is enough. */
    private final Set<String> overlaidImages = new HashSet<>();

    final Set<GroundTruth.Key> alerted = ConcurrentHashMap.newKeySet();
    final Set<GroundTruth.Key> decided = ConcurrentHashMap.newKeySet();
    final AtomicLong alerts = new AtomicLong();
    final AtomicLong duplicateAlerts = new AtomicLong();
    final AtomicLong rejected = new AtomicLong();
    /** Threshold commands the job refused: dead letters too, but not frames. */
    final AtomicLong commandsRefused = new AtomicLong();
    final AtomicLong overlaysWritten = new AtomicLong();
    /** Whether the alerts on defective frames point at the defect. */
    final AtomicReference<Localisation> localisation = new AtomicReference<>(Localisation.NONE);
    final AtomicLong warmUpDecided = new AtomicLong();
    /** Why the job sent a warm-up frame to the dead letters ("REASON: detail"), or null. */
    volatile String warmUpRejection;
    /** --control-demo: when the command was sent and the image threshold it sets; frames and alerts per half. */
    volatile long controlSentAtMs = Long.MAX_VALUE;
    volatile double controlThreshold = Double.NaN;
    final AtomicLong[] framesAround = {new AtomicLong(), new AtomicLong()};
    final AtomicLong[] alertsAround = {new AtomicLong(), new AtomicLong()};
    /** Detection time of the first frame decided with the commanded threshold, epoch ms; 0 until then. */
    final AtomicLong firstWithNewThresholdMs = new AtomicLong();
    /** Capture time to the moment the alert is readable here. */
    final LatencyRecorder latency = new LatencyRecorder(10_000);
    /** Capture time to the job's decision (from the score records): the job's own share of the latency. */
    final LatencyRecorder decisionLatency = new LatencyRecorder(10_000);
    /** Score and threshold of every decided frame that the ground truth calls defective. */
    private final Map<GroundTruth.Key, float[]> defectiveScores = new ConcurrentHashMap<>();
    private volatile String modelName;
    private volatile Exception failure;

    /**
     * @param frameImage the pixels of a frame: (camera id, pool image index) -> image
     */
    public OutputWatcher(Properties kafka, String alertsTopic, String scoresTopic, String deadLetterTopic,
            GroundTruth truth, BiFunction<String, Integer, Image> frameImage, OverlayWriter overlays,
            int maxOverlays) {
        Properties props = new Properties();
        props.putAll(kafka);
        props.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        props.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        this.consumer = new KafkaConsumer<>(props);
        this.alertsTopic = alertsTopic;
        this.scoresTopic = scoresTopic;
        this.deadLetterTopic = deadLetterTopic;
        this.truth = truth;
        this.frameImage = frameImage;
        this.overlays = overlays;
        this.maxOverlays = maxOverlays;
        List<TopicPartition> partitions = new ArrayList<>();
        for (String topic : List.of(alertsTopic, scoresTopic, deadLetterTopic)) {
            consumer.partitionsFor(topic).forEach(p -> partitions.add(new TopicPartition(topic, p.partition())));
        }
        consumer.assign(partitions);
        consumer.seekToBeginning(partitions);
    }

    @Override
    public void run() {
        try {
            while (true) {
                ConsumerRecords<byte[], byte[]> records = consumer.poll(Duration.ofMillis(100));
                // All records of a poll became readable when it returned.
                long readableAt = System.currentTimeMillis();
                for (ConsumerRecord<byte[], byte[]> record : records) {
                    handle(record, readableAt);
                }
            }
        } catch (WakeupException e) {
            // close() asked us to stop
        } catch (Exception e) {
            failure = e;
        } finally {
            consumer.close(Duration.ofSeconds(2));
            overlayThread.shutdown();
            try {
                if (!overlayThread.awaitTermination(30, TimeUnit.SECONDS)) {
                    overlayThread.shutdownNow();
                }
            } catch (InterruptedException e) {
                overlayThread.shutdownNow();
                Thread.currentThread().interrupt();
            }
        }
    }

    /** "REASON: detail" when a dead letter is one of the demo's warm-up frames, else null. */
    static String warmUpRejection(ConsumerRecord<byte[], byte[]> deadLetter) {
        byte[] key = deadLetter.key();
        if (key == null || !new String(key, StandardCharsets.UTF_8).startsWith(WARM_UP_CAMERA_PREFIX)) {
            return null;
        }
        return header(deadLetter, FrameHeaders.DLQ_REASON) + ": " + header(deadLetter, FrameHeaders.DLQ_DETAIL);
    }

    /** A dead letter of the control topic (reasons CONTROL_*, docs/operations.md) rather than of a frame. */
    static boolean isCommandRefusal(ConsumerRecord<byte[], byte[]> deadLetter) {
        return header(deadLetter, FrameHeaders.DLQ_REASON).startsWith("CONTROL_");
    }

    private static String header(ConsumerRecord<byte[], byte[]> record, String name) {
        Header h = record.headers().lastHeader(name);
        return h == null || h.value() == null ? "?" : new String(h.value(), StandardCharsets.UTF_8);
    }

    private void handle(ConsumerRecord<byte[], byte[]> record, long now) throws Exception {
        if (record.topic().equals(scoresTopic)) {
            ScoreRecord score = AlertJson.scoreFromBytes(record.value());
            if (score.getCameraId().startsWith(WARM_UP_CAMERA_PREFIX)) {
                warmUpDecided.incrementAndGet();
                return;
            }
            GroundTruth.Key key = new GroundTruth.Key(score.getCameraId(), score.getFrameId());
            decided.add(key);
            if (truth.get(key.cameraId(), key.frameId()).map(FrameTruth::defective).orElse(false)) {
                defectiveScores.put(key, new float[] {score.getScore(), (float) score.getThreshold()});
            }
            int half = score.getDetectionTimeMs() < controlSentAtMs ? 0 : 1;
            framesAround[half].incrementAndGet();
            if (score.isAlert()) {
                alertsAround[half].incrementAndGet();
            }
            if (score.getThreshold() == (float) controlThreshold) {
                firstWithNewThresholdMs.compareAndSet(0, score.getDetectionTimeMs());
            }
            decisionLatency.record(now, score.getDetectionTimeMs() - score.getCaptureTimeMs());
        } else if (record.topic().equals(deadLetterTopic)) {
            String why = warmUpRejection(record);
            if (why != null) {
                warmUpRejection = why;
                return;
            }
            (isCommandRefusal(record) ? commandsRefused : rejected).incrementAndGet();
        } else if (record.topic().equals(alertsTopic)) {
            DefectAlert alert = AlertJson.fromBytes(record.value());
            if (alert.getCameraId().startsWith(WARM_UP_CAMERA_PREFIX)) {
                return;
            }
            modelName = alert.getModelName() + " " + alert.getModelVersion();
            if (!alerted.add(new GroundTruth.Key(alert.getCameraId(), alert.getFrameId()))) {
                duplicateAlerts.incrementAndGet(); // possible with AT_LEAST_ONCE after a failure
                return;
            }
            alerts.incrementAndGet();
            latency.record(now, now - alert.getCaptureTimeMs());
            Optional<FrameTruth> frame = truth.get(alert.getCameraId(), alert.getFrameId());
            frame.ifPresent(t -> localisation.accumulateAndGet(Localisation.of(alert, t), Localisation::plus));
            // One per distinct image: PNG encoding shares the CPU with the job, and on megapixel frames one overlay
            // per alert slowed the job down as soon as alerts were frequent.
            if (overlaysQueued.get() < maxOverlays && frame.map(t -> overlaidImages.add(imageKey(t))).orElse(false)) {
                overlaysQueued.incrementAndGet();
                overlayThread.execute(() -> writeOverlay(alert));
            }
        }
    }

    private void writeOverlay(DefectAlert alert) {
        try {
            Optional<FrameTruth> frame = truth.get(alert.getCameraId(), alert.getFrameId());
            if (frame.isEmpty()) {
                return;
            }
            FrameTruth t = frame.get();
            Image image = frameImage.apply(t.cameraId(), t.poolIndex());
            String label = t.defective() ? "defective (" + t.defect() + ")" : "good (false alarm)";
            overlays.write(alert, image, t.bbox(), label);
            overlaysWritten.incrementAndGet();
        } catch (Exception e) {
            failure = e; // the demo reports it at the end
        }
    }

    /**
     * Defective frames the job decided without an alert, and how many distinct images they showed that no frame
     * alerted on (as {@link ImageAccuracy} counts them found).
     */
    public record Missed(int frames, int distinctImages, int overlaysWritten) {
    }

    /**
     * Writes one overlay per distinct missed image (camera and pool image, or replayed file; the cameras repeat
     * their images), at most {@code max}: an image none of whose frames alerted. Call after the watcher has
     * stopped, so that no alert arrives afterwards.
     */
    public Missed writeMissedOverlays(int max) throws IOException {
        List<GroundTruth.Key> missed = new ArrayList<>();
        for (GroundTruth.Key key : defectiveScores.keySet()) {
            if (!alerted.contains(key)) {
                missed.add(key);
            }
        }
        List<FrameTruth> misses = neverAlerted(firstPerImage(missed, truth), alerted, truth);
        int written = 0;
        for (FrameTruth t : misses.subList(0, Math.min(max, misses.size()))) {
            float[] scoreAndThreshold = defectiveScores.get(new GroundTruth.Key(t.cameraId(), t.frameId()));
            overlays.writeMissed(t.cameraId(), t.frameId(), frameImage.apply(t.cameraId(), t.poolIndex()), t.bbox(),
                    String.valueOf(t.defect()), scoreAndThreshold[0], scoreAndThreshold[1]);
            written++;
        }
        return new Missed(missed.size(), misses.size(), written);
    }

    /** Which image a frame shows: its file when replayed, else its camera's pool image. */
    static String imageKey(FrameTruth t) {
        return t.source() != null ? t.source() : t.cameraId() + "#" + t.poolIndex();
    }

    /** Overlays queued but not written: still queued when the watcher stopped (it waits 30 s), or failed. */
    public long overlaysNotWritten() {
        return overlaysQueued.get() - overlaysWritten.get();
    }

    /**
     * Of {@code misses}, those whose image no defective frame in {@code alerted} showed: a frame can go without an
     * alert while another of the same image alerted (debounce, or the job's throttle of frame-fault alerts).
     */
    static List<FrameTruth> neverAlerted(List<FrameTruth> misses, Set<GroundTruth.Key> alerted, GroundTruth truth) {
        Set<String> alertedImages = new HashSet<>();
        for (GroundTruth.Key key : alerted) {
            truth.get(key.cameraId(), key.frameId()).filter(FrameTruth::defective)
                    .ifPresent(t -> alertedImages.add(imageKey(t)));
        }
        return misses.stream().filter(t -> !alertedImages.contains(imageKey(t))).toList();
    }

    /** The first frame (by camera, then frame id) of each distinct camera image among {@code frames}. */
    static List<FrameTruth> firstPerImage(List<GroundTruth.Key> frames, GroundTruth truth) {
        List<GroundTruth.Key> sorted = new ArrayList<>(frames);
        sorted.sort(Comparator.comparing(GroundTruth.Key::cameraId).thenComparing(GroundTruth.Key::frameId));
        Set<String> images = new HashSet<>();
        List<FrameTruth> first = new ArrayList<>();
        for (GroundTruth.Key key : sorted) {
            FrameTruth t = truth.get(key.cameraId(), key.frameId()).orElseThrow();
            if (images.add(imageKey(t))) {
                first.add(t);
            }
        }
        return first;
    }

    public Optional<String> modelName() {
        return Optional.ofNullable(modelName);
    }

    /** Set when reading failed (e.g. a malformed alert); the demo reports it. */
    public Optional<Exception> failure() {
        return Optional.ofNullable(failure);
    }

    @Override
    public void close() {
        consumer.wakeup();
    }
}
