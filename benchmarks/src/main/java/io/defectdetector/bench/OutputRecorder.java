package io.defectdetector.bench;

import io.defectdetector.job.alerts.AlertJson;
import io.defectdetector.job.alerts.DefectAlert;
import io.defectdetector.job.alerts.ScoreRecord;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * Reads the job's score and alert topics as an alert consumer would ({@code read_committed}) and logs, per
 * phase (the frame-id prefix), when each frame was captured, decided inside the job and became readable here.
 * Everything runs in this JVM, so the three clocks are one.
 */
public final class OutputRecorder implements Runnable, AutoCloseable {

    /** capture = the frame's capture-time header; detection = the job's decision; receive = readable here. */
    public record Observation(long captureMs, long detectionMs, long receiveMs) {
    }

    /**
     * What one phase's frames produced so far. A long phase (the soak) keeps only counts and a latency histogram,
     * so that the benchmark's own bookkeeping does not grow the heap it is watching.
     */
    public static final class PhaseLog {
        private static final int HISTOGRAM_MS = 120_000;
        private final boolean retainEach;
        private final List<Observation> scores = new ArrayList<>();
        private final List<Observation> alerts = new ArrayList<>();
        private final Set<String> seen = new HashSet<>();
        private final long[] histogram;
        private long count;
        private long alertCount;
        private long duplicates;

        PhaseLog(boolean retainEach) {
            this.retainEach = retainEach;
            this.histogram = retainEach ? null : new long[HISTOGRAM_MS + 1];
        }

        synchronized void addScore(String frameId, Observation o) {
            if (!retainEach) {
                count++;
                histogram[(int) Math.max(0, Math.min(HISTOGRAM_MS, o.receiveMs() - o.captureMs()))]++;
            } else if (seen.add(frameId)) {
                count++;
                scores.add(o);
            } else {
                duplicates++;
            }
        }

        synchronized void addAlert(Observation o) {
            alertCount++;
            if (retainEach) {
                alerts.add(o);
            }
        }

        public synchronized long scoreCount() {
            return count;
        }

        public synchronized long alertCount() {
            return alertCount;
        }

        public synchronized List<Observation> scores() {
            return List.copyOf(scores);
        }

        public synchronized List<Observation> alerts() {
            return List.copyOf(alerts);
        }

        public synchronized long duplicates() {
            return duplicates;
        }

        /** Latency percentile (ms) from the histogram of a streaming phase. */
        public synchronized double histogramPercentile(double p) {
            if (histogram == null || count == 0) {
                return Double.NaN;
            }
            long rank = (long) Math.ceil(p / 100.0 * count);
            long seen = 0;
            for (int ms = 0; ms < histogram.length; ms++) {
                seen += histogram[ms];
                if (seen >= Math.max(1, rank)) {
                    return ms;
                }
            }
            return HISTOGRAM_MS;
        }
    }

    private final KafkaConsumer<byte[], byte[]> consumer;
    private final String scoresTopic;
    private final Map<String, PhaseLog> phases = new ConcurrentHashMap<>();
    private final Set<String> streamingPhases = ConcurrentHashMap.newKeySet();
    private final AtomicReference<Throwable> failure = new AtomicReference<>();
    private volatile boolean running = true;
    private final Thread thread;

    public OutputRecorder(String bootstrapServers, String scoresTopic, String alertsTopic, int partitions) {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        p.put(ConsumerConfig.CLIENT_ID_CONFIG, "bench-results");
        // The broker answers a waiting fetch as soon as records become readable (appended, or committed for
        // read_committed), so the default wait adds no latency; a short one would only add idle fetch load.
        p.put(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, "500");
        p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        this.consumer = new KafkaConsumer<>(p);
        this.scoresTopic = scoresTopic;
        List<TopicPartition> assigned = new ArrayList<>();
        for (int i = 0; i < partitions; i++) {
            assigned.add(new TopicPartition(scoresTopic, i));
            assigned.add(new TopicPartition(alertsTopic, i));
        }
        consumer.assign(assigned);
        consumer.seekToBeginning(assigned);
        this.thread = new Thread(this, "bench-results");
        this.thread.setDaemon(true);
    }

    public OutputRecorder start() {
        thread.start();
        return this;
    }

    public PhaseLog phase(String prefix) {
        return phases.computeIfAbsent(prefix, k -> new PhaseLog(!streamingPhases.contains(k)));
    }

    /** Declares a phase whose frames are only counted and histogrammed (call before its frames arrive). */
    public void streaming(String prefix) {
        streamingPhases.add(prefix);
    }

    public Throwable failure() {
        return failure.get();
    }

    @Override
    public void run() {
        try {
            while (running) {
                ConsumerRecords<byte[], byte[]> records = consumer.poll(Duration.ofMillis(100));
                long now = System.currentTimeMillis();
                for (ConsumerRecord<byte[], byte[]> r : records) {
                    if (r.topic().equals(scoresTopic)) {
                        ScoreRecord s = AlertJson.scoreFromBytes(r.value());
                        phase(prefixOf(s.getFrameId())).addScore(s.getFrameId(),
                                new Observation(s.getCaptureTimeMs(), s.getDetectionTimeMs(), now));
                    } else {
                        DefectAlert a = AlertJson.fromBytes(r.value());
                        phase(prefixOf(a.getFrameId())).addAlert(
                                new Observation(a.getCaptureTimeMs(), a.getDetectionTimeMs(), now));
                    }
                }
            }
        } catch (WakeupException e) {
            // closing
        } catch (Throwable t) {
            failure.set(t);
        } finally {
            consumer.close(Duration.ofSeconds(2));
        }
    }

    static String prefixOf(String frameId) {
        int dash = frameId.lastIndexOf('-');
        return dash < 0 ? frameId : frameId.substring(0, dash);
    }

    /**
     * Waits until the phase has {@code expected} scored frames; false on timeout, or when no frame was scored for
     * {@link #STALL} (a job failing and restarting in a loop never ends by itself).
     */
    public boolean awaitScores(String prefix, long expected, Duration timeout) throws InterruptedException {
        long now = System.nanoTime();
        long end = now + timeout.toNanos();
        PhaseLog log = phase(prefix);
        long last = log.scoreCount();
        long progressAt = now;
        while (log.scoreCount() < expected) {
            now = System.nanoTime();
            if (log.scoreCount() != last) {
                last = log.scoreCount();
                progressAt = now;
            }
            if (now > end || now - progressAt > STALL.toNanos() || failure.get() != null) {
                return false;
            }
            Thread.sleep(50);
        }
        return true;
    }

    /** No new decision for this long means the job is not making progress (see bench-output/bench.log). */
    public static final Duration STALL = Duration.ofSeconds(90);

    @Override
    public void close() throws InterruptedException {
        running = false;
        consumer.wakeup();
        thread.join(5000);
    }
}
