package io.defectdetector.job.testing;

import io.defectdetector.job.DetectionPipeline;
import io.defectdetector.job.LocalFlink;
import io.defectdetector.job.config.JobConfig;
import io.defectdetector.kafka.LocalKafkaBroker;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.function.Predicate;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.TaskManagerOptions;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/** What the end-to-end cases share: the cluster shape, per-test topics and job options, Kafka clients. */
public final class PipelineTestSupport {
    /** The committed default model (models/default), as the job finds it from the module directory. */
    public static final Path DEFAULT_MODEL = Path.of("..", "models", "default", "cae.onnx");
    public static final int PARALLELISM = 2;

    private PipelineTestSupport() {
    }

    /** 2 TaskManagers x 2 slots; slots spread over both TaskManagers, so parallel subtasks use both. */
    public static MiniClusterResourceConfiguration twoTaskManagers() {
        Configuration conf = LocalFlink.loopbackOnly(new Configuration());
        conf.set(TaskManagerOptions.TASK_MANAGER_LOAD_BALANCE_MODE,
                TaskManagerOptions.TaskManagerLoadBalanceMode.SLOTS);
        return new MiniClusterResourceConfiguration.Builder()
                .setNumberTaskManagers(2)
                .setNumberSlotsPerTaskManager(2)
                .setConfiguration(conf)
                .build();
    }

    public static Path defaultModel() {
        if (!Files.isRegularFile(DEFAULT_MODEL)) {
            throw new IllegalStateException("the default model " + DEFAULT_MODEL.toAbsolutePath()
                    + " is missing: the end-to-end tests run the committed model");
        }
        return DEFAULT_MODEL;
    }

    /** Topic names of one test: {@code <prefix>-frames}, ... */
    public record Topics(String frames, String alerts, String deadLetter, String scores) {
        public static Topics withPrefix(String prefix) {
            return new Topics(prefix + "-frames", prefix + "-alerts", prefix + "-dead-letter", prefix + "-scores");
        }

        public void create(LocalKafkaBroker broker, int framePartitions) {
            broker.createTopic(frames, framePartitions);
            broker.createTopic(alerts, 2);
            broker.createTopic(deadLetter, 1);
            broker.createTopic(scores, 2);
        }
    }

    /** Job options for one test: its topics and group, 500 ms checkpoints, scores on, parallelism 2. */
    public static JobConfig config(LocalKafkaBroker broker, String prefix, Topics topics, Path model,
            Map<String, String> overrides) {
        Map<String, String> options = new HashMap<>();
        options.put("kafka-bootstrap-servers", broker.bootstrapServers());
        options.put("kafka-frames-topic", topics.frames());
        options.put("kafka-alerts-topic", topics.alerts());
        options.put("kafka-dead-letter-topic", topics.deadLetter());
        options.put("kafka-scores-topic", topics.scores());
        options.put("kafka-group-id", prefix);
        options.put("kafka-starting-offsets", "EARLIEST");
        options.put("checkpoint-interval", "500 ms");
        options.put("restart-initial-delay", "200 ms");
        options.put("restart-max-delay", "2 s");
        options.put("scores-enabled", "true");
        options.put("parallelism", Integer.toString(PARALLELISM));
        options.put("model-path", model.toString());
        options.putAll(overrides);
        return JobConfig.from(Configuration.fromMap(options));
    }

    /** The job as main assembles it (Kafka frames in, Kafka sinks out), started on the injected MiniCluster. */
    public static JobClient startKafkaJob(JobConfig cfg, String name) throws Exception {
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        DetectionPipeline.configureEnvironment(env, cfg);
        DetectionPipeline.sinkToKafka(DetectionPipeline.build(DetectionPipeline.kafkaFrames(env, cfg), cfg), cfg);
        return env.executeAsync(name);
    }

    public static KafkaProducer<byte[], byte[]> producer(LocalKafkaBroker broker) {
        Properties props = broker.clientProperties();
        props.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        props.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        props.put(ProducerConfig.LINGER_MS_CONFIG, "5");
        props.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, Integer.toString(LocalKafkaBroker.MAX_MESSAGE_BYTES));
        return new KafkaProducer<>(props);
    }

    /**
     * Reads a whole topic from the beginning as a read_committed consumer until {@code done} holds for what was
     * read, then keeps reading for {@code settle} to catch records that should not be there (duplicates).
     *
     * @throws AssertionError on timeout, with what was read so far
     */
    public static List<ConsumerRecord<byte[], byte[]>> readCommitted(LocalKafkaBroker broker, String topic,
            Predicate<List<ConsumerRecord<byte[], byte[]>>> done, Duration timeout, Duration settle) {
        return read(broker, topic, "read_committed", done, timeout, settle);
    }

    /** As {@link #readCommitted}, with the given isolation level (read_uncommitted sees open transactions). */
    public static List<ConsumerRecord<byte[], byte[]>> read(LocalKafkaBroker broker, String topic, String isolation,
            Predicate<List<ConsumerRecord<byte[], byte[]>>> done, Duration timeout, Duration settle) {
        Properties props = broker.clientProperties();
        props.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        props.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, isolation);
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        List<ConsumerRecord<byte[], byte[]>> records = new ArrayList<>();
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(props)) {
            List<TopicPartition> partitions = consumer.partitionsFor(topic).stream()
                    .map(p -> new TopicPartition(topic, p.partition())).toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            long deadline = System.nanoTime() + timeout.toNanos();
            while (!done.test(records)) {
                if (System.nanoTime() > deadline) {
                    throw new AssertionError("timed out after " + timeout + " reading " + topic + "; got "
                            + records.size() + " records");
                }
                consumer.poll(Duration.ofMillis(200)).forEach(records::add);
            }
            long settleEnd = System.nanoTime() + settle.toNanos();
            while (System.nanoTime() < settleEnd) {
                consumer.poll(Duration.ofMillis(200)).forEach(records::add);
            }
        }
        return records;
    }
}
