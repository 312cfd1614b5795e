package io.defectdetector.bench;

import io.defectdetector.job.DetectionOutputs;
import io.defectdetector.job.DetectionPipeline;
import io.defectdetector.job.LocalFlink;
import io.defectdetector.job.deadletter.DeadLetterSerializer;
import io.defectdetector.job.inference.OnnxInferenceEngine;
import io.defectdetector.job.kafka.AlertSerializer;
import io.defectdetector.job.kafka.KafkaOutputSinks;
import io.defectdetector.job.kafka.ScoreSerializer;
import io.defectdetector.job.kafka.TopicNamedSerializer;
import io.defectdetector.job.config.DeliveryMode;
import io.defectdetector.job.config.JobConfig;
import io.defectdetector.job.config.JobOptions;
import io.defectdetector.job.model.ModelBundle;
import io.defectdetector.kafka.LocalKafkaBroker;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import java.util.Properties;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.connector.kafka.sink.KafkaSink;
import org.apache.flink.connector.kafka.sink.TransactionNamingStrategy;
import org.apache.flink.configuration.TaskManagerOptions;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One configuration of the real detection job ({@link DetectionPipeline#buildKafkaJob}, Kafka in and out) on a
 * local MiniCluster of one TaskManager with one slot per parallel subtask, against the shared local broker,
 * with topics of its own. Phases: a backlog loaded before the job starts and drained at full speed (sustained
 * throughput), then frames offered at fixed rates (latency).
 *
 * <p>The job runs with {@code scores-enabled}: every frame then yields one small record written by a sink
 * identical to the alerts sink (same delivery guarantee, same transactions), which makes every frame's decision
 * observable, not only the few that raise alerts. It costs a small JSON record per frame.
 */
final class JobRun implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(JobRun.class);

    /** How the job is configured for this run. */
    record Settings(String name, DeliveryMode delivery, int batchMaxSize, long batchMaxWaitMs, int parallelism,
            int intraOpThreads, Duration checkpointInterval, Map<String, String> extraOptions,
            TransactionNamingStrategy transactionNaming, String device) {

        Settings(String name, DeliveryMode delivery, int batchMaxSize, long batchMaxWaitMs, int parallelism,
                int intraOpThreads, Duration checkpointInterval, Map<String, String> extraOptions) {
            this(name, delivery, batchMaxSize, batchMaxWaitMs, parallelism, intraOpThreads, checkpointInterval,
                    extraOptions, null, "cpu");
        }

        String describe() {
            return String.format(Locale.ROOT, "%s, batch <= %d / wait %d ms, parallelism %d x %d intra-op thread(s), "
                            + "checkpoints every %d ms%s", delivery, batchMaxSize, batchMaxWaitMs, parallelism,
                    intraOpThreads, checkpointInterval.toMillis(), (extraOptions.isEmpty() ? "" : ", " + extraOptions)
                            + (transactionNaming == null ? "" : ", experiment: transaction naming "
                            + transactionNaming));
        }
    }

    /** Throughput of a drained backlog, over its steady middle (10th to 90th percentile of decision times). */
    record DrainResult(long frames, long decided, long duplicates, double framesPerSecond, double windowSeconds,
            Map<String, Double> cpuMicrosPerFrame, double gcPauseMsPerSecond, double jitMsPerSecond,
            List<String> topThreads) {
    }

    /** CPU of the running job with no frames to process: checkpoints, transactions, polling. */
    record IdleResult(double seconds, double cpuPercentOfOneCore, Map<String, Double> cpuPercentByGroup) {
    }

    /** Latency at one offered rate; latencies in ms, capture time to readable by a read_committed consumer. */
    record LoadResult(String label, String delivery, double offeredPerSecond, double sentPerSecond, long sent,
            long decided, long duplicates, long missing, int measured, double p50, double p95, double p99,
            double max, double decisionP50, double decisionP99, int alerts, double alertP50, double alertP95,
            double alertP99, double[] latenciesMs) {
    }

    private final LocalKafkaBroker broker;
    private final Settings settings;
    private final ModelBundle model;
    private final CameraFrames frames;
    private final Producer<byte[], byte[]> producer;
    private final String framesTopic;
    private final String alertsTopic;
    private final String scoresTopic;
    private final String deadLetterTopic;
    private final int partitions;
    private OutputRecorder recorder;
    private JobClient job;

    JobRun(LocalKafkaBroker broker, Settings settings, ModelBundle model, CameraFrames frames,
            Producer<byte[], byte[]> producer) {
        this.broker = broker;
        this.settings = settings;
        this.model = model;
        this.frames = frames;
        this.producer = producer;
        this.framesTopic = settings.name() + "-frames";
        this.alertsTopic = settings.name() + "-alerts";
        this.scoresTopic = settings.name() + "-scores";
        this.deadLetterTopic = settings.name() + "-dead-letter";
        // One partition per camera, and at least one per subtask so none idles.
        this.partitions = Math.max(frames.cameras(), settings.parallelism());
        // Old frame segments are deleted after 1 GiB per partition, so a long soak does not fill the disk.
        broker.createTopic(framesTopic, partitions, Map.of("retention.bytes", Long.toString(1L << 30),
                "segment.bytes", Integer.toString(128 << 20)));
        broker.createTopic(alertsTopic, partitions);
        broker.createTopic(scoresTopic, partitions);
        broker.createTopic(deadLetterTopic, 1);
    }

    Settings settings() {
        return settings;
    }

    /** Sends {@code n} frames before the job starts, as fast as the producer takes them. */
    void preload(long n) {
        String prefix = settings.name() + ".drain";
        AtomicReference<Exception> error = new AtomicReference<>();
        for (long i = 0; i < n && error.get() == null; i++) {
            producer.send(frames.next(framesTopic, prefix), (m, e) -> {
                if (e != null) {
                    error.compareAndSet(null, e);
                }
            });
            if (i % 256 == 255) {
                producer.flush(); // bounded bursts: a busy broker then slows the load instead of expiring it
            }
        }
        producer.flush();
        if (error.get() != null) {
            throw new IllegalStateException("preloading frames failed: " + error.get().getMessage(), error.get());
        }
    }

    void start() throws Exception {
        recorder = new OutputRecorder(broker.bootstrapServers(), scoresTopic, alertsTopic, partitions).start();
        Configuration flink = LocalFlink.loopbackOnly(new Configuration());
        flink.set(TaskManagerOptions.NUM_TASK_SLOTS, settings.parallelism());
        StreamExecutionEnvironment env = StreamExecutionEnvironment.createLocalEnvironment(flink);
        JobConfig cfg = jobConfig();
        if (settings.transactionNaming() == null) {
            DetectionPipeline.buildKafkaJob(env, cfg, model);
        } else {
            // Experiment: the job's pipeline with sinks that differ from KafkaOutputSinks in the transaction naming
            // (and the dead-letter producer's size settings, which these runs never need: no frame is rejected).
            DetectionPipeline.configureEnvironment(env, cfg);
            DetectionOutputs outputs = DetectionPipeline.build(DetectionPipeline.kafkaFrames(env, cfg), cfg, model,
                    OnnxInferenceEngine.factory());
            outputs.alerts().sinkTo(experimentalSink(cfg, "alerts",
                            TopicNamedSerializer.of(new AlertSerializer(alertsTopic), alertsTopic)))
                    .uid(DetectionPipeline.ALERTS_SINK_UID).name(DetectionPipeline.ALERTS_SINK_UID);
            outputs.deadLetters().sinkTo(experimentalSink(cfg, "dead-letter", TopicNamedSerializer.of(
                            new DeadLetterSerializer(deadLetterTopic, cfg.deadLetterMaxBytes()), deadLetterTopic)))
                    .uid(DetectionPipeline.DEAD_LETTER_SINK_UID).name(DetectionPipeline.DEAD_LETTER_SINK_UID);
            outputs.scores().sinkTo(experimentalSink(cfg, "scores",
                            TopicNamedSerializer.of(new ScoreSerializer(scoresTopic), scoresTopic)))
                    .uid(DetectionPipeline.SCORES_SINK_UID).name(DetectionPipeline.SCORES_SINK_UID);
        }
        job = env.executeAsync("bench-" + settings.name());
        LOG.info("Started {} as {}: {}", settings.name(), job.getJobID(), settings.describe());
    }

    private <T> KafkaSink<T> experimentalSink(JobConfig cfg, String name, TopicNamedSerializer<T> serializer) {
        Properties props = cfg.kafkaSettings().toProperties();
        props.setProperty(ProducerConfig.TRANSACTION_TIMEOUT_CONFIG,
                Long.toString(cfg.get(JobOptions.KAFKA_TRANSACTION_TIMEOUT).toMillis()));
        var builder = KafkaSink.<T>builder().setKafkaProducerConfig(props)
                .setBootstrapServers(cfg.bootstrapServers()).setDeliveryGuarantee(cfg.delivery().guarantee())
                .setRecordSerializer(serializer);
        if (cfg.delivery() == DeliveryMode.EXACTLY_ONCE) {
            builder.setTransactionalIdPrefix(KafkaOutputSinks.transactionalIdPrefix(cfg, name))
                    .setTransactionNamingStrategy(settings.transactionNaming());
        }
        return builder.build();
    }

    private JobConfig jobConfig() {
        Map<String, String> o = new HashMap<>();
        o.put(JobOptions.KAFKA_BOOTSTRAP_SERVERS.key(), broker.bootstrapServers());
        o.put(JobOptions.KAFKA_FRAMES_TOPIC.key(), framesTopic);
        o.put(JobOptions.KAFKA_ALERTS_TOPIC.key(), alertsTopic);
        o.put(JobOptions.KAFKA_SCORES_TOPIC.key(), scoresTopic);
        o.put(JobOptions.KAFKA_DEAD_LETTER_TOPIC.key(), deadLetterTopic);
        o.put(JobOptions.KAFKA_CONTROL_TOPIC.key(), settings.name() + "-control");
        o.put(JobOptions.KAFKA_AUDIT_TOPIC.key(), settings.name() + "-audit");
        o.put(JobOptions.KAFKA_GROUP_ID.key(), "bench-" + settings.name());
        o.put(JobOptions.KAFKA_STARTING_OFFSETS.key(), "EARLIEST");
        o.put(JobOptions.DELIVERY_GUARANTEE.key(), settings.delivery().name());
        o.put(JobOptions.CHECKPOINT_INTERVAL.key(), settings.checkpointInterval().toMillis() + " ms");
        o.put(JobOptions.SCORES_ENABLED.key(), "true");
        o.put(JobOptions.PARALLELISM.key(), Integer.toString(settings.parallelism()));
        o.put(JobOptions.INFERENCE_DEVICE.key(), settings.device());
        o.put(JobOptions.INFERENCE_INTRA_OP_THREADS.key(), Integer.toString(settings.intraOpThreads()));
        o.put(JobOptions.BATCH_MAX_SIZE.key(), Integer.toString(settings.batchMaxSize()));
        o.put(JobOptions.BATCH_MAX_WAIT.key(), settings.batchMaxWaitMs() + " ms");
        o.put(JobOptions.MODEL_PATH.key(), model.onnxPath().toString());
        o.putAll(settings.extraOptions());
        return JobConfig.from(Configuration.fromMap(o));
    }

    /**
     * Waits until the preloaded backlog is decided and measures its steady part: from {@code warmUpSeconds} after
     * the first decision (or the 10th percentile, if later) to the 95th percentile of decision times.
     */
    DrainResult awaitDrain(long n, Duration timeout, double warmUpSeconds) throws Exception {
        String prefix = settings.name() + ".drain";
        OutputRecorder.PhaseLog log = recorder.phase(prefix);
        try (CpuSampler sampler = new CpuSampler(250)) {
            boolean complete = recorder.awaitScores(prefix, n, timeout);
            if (!complete) {
                LOG.warn("{}: only {} of {} backlog frames decided within {}", settings.name(), log.scoreCount(), n,
                        timeout);
            }
            checkRecorder();
            long[] decisions = log.scores().stream().mapToLong(OutputRecorder.Observation::detectionMs).sorted()
                    .toArray();
            if (decisions.length < 20) {
                throw new IllegalStateException(settings.name() + ": only " + decisions.length
                        + " frames decided; see bench-output/bench.log");
            }
            long t10 = Math.max(decisions[decisions.length / 10], decisions[0] + (long) (warmUpSeconds * 1000));
            long t95 = decisions[decisions.length * 95 / 100];
            if (t10 >= t95) {
                t10 = decisions[decisions.length / 10];
            }
            CpuMeter.Snapshot[] w = sampler.window(t10, t95);
            long from = w == null ? t10 : w[0].epochMillis();
            long to = w == null ? t95 : w[1].epochMillis();
            long inWindow = 0;
            for (long d : decisions) {
                if (d >= from && d <= to) {
                    inWindow++;
                }
            }
            double seconds = (to - from) / 1000.0;
            Map<String, Double> cpu = new LinkedHashMap<>();
            List<String> top = new ArrayList<>();
            double gc = Double.NaN;
            double jit = Double.NaN;
            if (w != null && inWindow > 0) {
                gc = (w[1].gcPauseMillis() - w[0].gcPauseMillis()) / seconds;
                jit = (w[1].jitMillis() - w[0].jitMillis()) / seconds;
                double framesInWindow = inWindow;
                CpuMeter.between(w[0], w[1]).forEach((k, v) -> cpu.put(k, v / 1e3 / framesInWindow));
                top = CpuMeter.topThreads(w[0], w[1], 12);
            }
            return new DrainResult(n, decisions.length, log.duplicates(), inWindow / Math.max(1e-3, seconds),
                    seconds, cpu, gc, jit, top);
        }
    }

    /** CPU use over {@code seconds} while the job runs without input. */
    IdleResult measureIdle(double seconds) throws InterruptedException {
        CpuMeter.Snapshot a = CpuMeter.snapshot();
        Thread.sleep((long) (seconds * 1000));
        CpuMeter.Snapshot b = CpuMeter.snapshot();
        double wallNanos = (b.epochMillis() - a.epochMillis()) * 1e6;
        Map<String, Double> byGroup = new LinkedHashMap<>();
        CpuMeter.between(a, b).forEach((k, v) -> {
            if (v > 0) {
                byGroup.put(k, 100.0 * v / wallNanos);
            }
        });
        return new IdleResult(wallNanos / 1e9, byGroup.getOrDefault("total", 0.0), byGroup);
    }

    /**
     * Offers frames at {@code rate} for {@code seconds}, waits for their decisions to become readable and
     * returns the latency of those captured after the first {@code skipSeconds}.
     */
    LoadResult offer(String label, double rate, double seconds, double skipSeconds) throws Exception {
        String prefix = settings.name() + "." + label;
        long sent = 0;
        long start = System.nanoTime();
        long end = start + (long) (seconds * 1e9);
        double period = 1e9 / rate;
        long startMs = System.currentTimeMillis();
        AtomicReference<Exception> error = new AtomicReference<>();
        while (true) {
            long due = start + (long) (sent * period);
            if (due >= end) {
                break;
            }
            long now = System.nanoTime();
            if (due > now) {
                LockSupport.parkNanos(due - now);
                continue;
            }
            producer.send(frames.next(framesTopic, prefix), (m, e) -> {
                if (e != null) {
                    error.compareAndSet(null, e);
                }
            });
            sent++;
        }
        producer.flush();
        double sendSeconds = (System.nanoTime() - start) / 1e9;
        if (error.get() != null) {
            throw new IllegalStateException("sending frames failed: " + error.get().getMessage(), error.get());
        }
        Duration wait = settings.checkpointInterval().multipliedBy(3).plusSeconds(30);
        recorder.awaitScores(prefix, sent, wait);
        checkRecorder();
        OutputRecorder.PhaseLog log = recorder.phase(prefix);
        long measuredFrom = startMs + (long) (skipSeconds * 1000);
        List<OutputRecorder.Observation> scores = log.scores();
        double[] latency = scores.stream().filter(o -> o.captureMs() >= measuredFrom)
                .mapToDouble(o -> o.receiveMs() - o.captureMs()).toArray();
        double[] decision = scores.stream().filter(o -> o.captureMs() >= measuredFrom)
                .mapToDouble(o -> o.detectionMs() - o.captureMs()).toArray();
        double[] alerts = log.alerts().stream().filter(o -> o.captureMs() >= measuredFrom)
                .mapToDouble(o -> o.receiveMs() - o.captureMs()).toArray();
        Percentiles p = new Percentiles(latency);
        Percentiles d = new Percentiles(decision);
        Percentiles a = new Percentiles(alerts);
        return new LoadResult(label, settings.delivery().name(), rate, sent / sendSeconds, sent, scores.size(),
                log.duplicates(), Math.max(0, sent - scores.size()), p.count(), p.get(50), p.get(95), p.get(99),
                p.max(), d.get(50), d.get(99), a.count(), a.get(50), a.get(95), a.get(99), p.values());
    }

    /** Frames offered in the background until {@link #stop()}; for the soak. */
    final class BackgroundOffer implements AutoCloseable {
        private final Thread thread;
        private final AtomicLong sent = new AtomicLong();
        private final AtomicReference<Exception> error = new AtomicReference<>();
        private volatile boolean stopped;

        private BackgroundOffer(String prefix, double rate) {
            thread = new Thread(() -> {
                long start = System.nanoTime();
                double period = 1e9 / rate;
                while (!stopped && error.get() == null) {
                    long due = start + (long) (sent.get() * period);
                    long now = System.nanoTime();
                    if (due > now) {
                        LockSupport.parkNanos(Math.min(due - now, 50_000_000L));
                        continue;
                    }
                    producer.send(frames.next(framesTopic, prefix), (m, e) -> {
                        if (e != null) {
                            error.compareAndSet(null, e);
                        }
                    });
                    sent.incrementAndGet();
                }
                producer.flush();
            }, "bench-offer");
            thread.setDaemon(true);
            thread.start();
        }

        long sent() {
            return sent.get();
        }

        Exception error() {
            return error.get();
        }

        void stop() throws InterruptedException {
            stopped = true;
            thread.join(30_000);
        }

        @Override
        public void close() throws InterruptedException {
            stop();
        }
    }

    /** Starts offering {@code rate} frames/s under {@code label}; decisions are only counted and histogrammed. */
    BackgroundOffer offerInBackground(String label, double rate) {
        String prefix = settings.name() + "." + label;
        recorder.streaming(prefix);
        return new BackgroundOffer(prefix, rate);
    }

    OutputRecorder.PhaseLog phaseLog(String label) {
        return recorder.phase(settings.name() + "." + label);
    }

    void checkRecorder() {
        if (recorder.failure() != null) {
            throw new IllegalStateException("reading the job's output failed: " + recorder.failure(),
                    recorder.failure());
        }
        if (job != null) {
            try {
                var status = job.getJobStatus().get(10, TimeUnit.SECONDS);
                if (status.isGloballyTerminalState()) {
                    throw new IllegalStateException(settings.name() + ": the job ended (" + status
                            + "); see bench-output/bench.log");
                }
            } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
                LOG.warn("cannot read the job status", e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    @Override
    public void close() throws Exception {
        try {
            if (job != null) {
                try {
                    job.cancel().get(30, TimeUnit.SECONDS);
                } catch (Exception e) {
                    LOG.info("cancelling {}: {}", settings.name(), e.toString());
                }
            }
        } finally {
            if (recorder != null) {
                recorder.close();
            }
            try {
                broker.admin().deleteTopics(List.of(framesTopic, alertsTopic, scoresTopic, deadLetterTopic)).all()
                        .get(30, TimeUnit.SECONDS);
            } catch (Exception e) {
                LOG.info("deleting the topics of {}: {}", settings.name(), e.toString());
            }
        }
    }
}
