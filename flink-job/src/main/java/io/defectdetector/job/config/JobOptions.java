package io.defectdetector.job.config;

import static org.apache.flink.configuration.ConfigOptions.key;

import io.defectdetector.frame.KafkaClientSettings;
import io.defectdetector.job.deadletter.DeadLetterSerializer;
import io.defectdetector.job.inference.DeviceSpec;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;
import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.MemorySize;
import org.apache.flink.util.TimeUtils;

/**
 * Every setting of the detection job, as typed Flink options with dash-separated keys. The job's command line
 * takes them as {@code --<key> <value>}; {@code docs/configuration.md} lists them (a test keeps it complete).
 */
public final class JobOptions {

    /** Configuration keys starting with this are handed to every Kafka client with the prefix removed. */
    public static final String KAFKA_PROPERTY_PREFIX = "kafka.";

    // ---- Kafka connection and topics ----

    public static final ConfigOption<String> KAFKA_BOOTSTRAP_SERVERS = key("kafka-bootstrap-servers")
            .stringType()
            .noDefaultValue()
            .withDescription("Required. Kafka brokers as host:port[,host:port...]. Used for the frames source and "
                    + "every sink; security settings (SASL, TLS) go in kafka-config or kafka.* properties.");

    public static final ConfigOption<String> KAFKA_FRAMES_TOPIC = key("kafka-frames-topic")
            .stringType()
            .defaultValue("frames")
            .withDescription("Topic the camera frames are read from (docs/wire-format.md). Must differ from every "
                    + "output topic, or the job would read its own output.");

    public static final ConfigOption<String> KAFKA_ALERTS_TOPIC = key("kafka-alerts-topic")
            .stringType()
            .defaultValue("alerts")
            .withDescription("Topic the JSON defect alerts are written to, keyed by camera id. Consumers must read "
                    + "with isolation.level=read_committed when delivery-guarantee is EXACTLY_ONCE.");

    public static final ConfigOption<String> KAFKA_DEAD_LETTER_TOPIC = key("kafka-dead-letter-topic")
            .stringType()
            .defaultValue("dead-letter")
            .withDescription("Topic rejected frame records are copied to, unchanged (up to dead-letter-max-bytes), with "
                    + "dlq-* headers saying why.");

    public static final ConfigOption<String> KAFKA_SCORES_TOPIC = key("kafka-scores-topic")
            .stringType()
            .defaultValue("scores")
            .withDescription("Topic of the per-frame score records; written only when scores-enabled is true.");

    public static final ConfigOption<String> KAFKA_CONTROL_TOPIC = key("kafka-control-topic")
            .stringType()
            .defaultValue("control")
            .withDescription("Topic of the JSON threshold commands (docs/operations.md); create it with one "
                    + "partition so commands apply in order. Refused commands go to kafka-dead-letter-topic. If it "
                    + "does not exist, detection runs on its current thresholds and the topic is read from its "
                    + "beginning within 30 s of its creation.");

    public static final ConfigOption<String> KAFKA_AUDIT_TOPIC = key("kafka-audit-topic")
            .stringType()
            .defaultValue("audit")
            .withDescription("Topic of the audit records: one JSON record per applied control command (who, when, "
                    + "old and new value), written once every parallel instance has applied it. Must exist "
                    + "whenever the control topic does (checked at start; create it before the control topic).");

    public static final ConfigOption<StartingOffsets> KAFKA_CONTROL_STARTING_OFFSETS =
            key("kafka-control-starting-offsets")
            .enumType(StartingOffsets.class)
            .defaultValue(StartingOffsets.LATEST)
            .withDescription("Where a job without checkpoint/savepoint starts reading the control topic. LATEST: "
                    + "only commands sent after the start (a fresh job starts from the model card's thresholds and "
                    + "never replays half a history); EARLIEST replays the topic. Ignored when restoring: the "
                    + "thresholds and the control offset come from the checkpoint.");

    public static final ConfigOption<String> KAFKA_GROUP_ID = key("kafka-group-id")
            .stringType()
            .defaultValue("defect-detector")
            .withDescription("Consumer group of the frames source. Offsets are committed to it on each completed "
                    + "checkpoint (for monitoring lag and for kafka-starting-offsets); they are not what a restored "
                    + "job resumes from (its checkpoint is). Two jobs on the same Kafka cluster must use different "
                    + "ids: with EXACTLY_ONCE it is also the default kafka-transactional-id-prefix.");

    public static final ConfigOption<StartingOffsets> KAFKA_STARTING_OFFSETS = key("kafka-starting-offsets")
            .enumType(StartingOffsets.class)
            .defaultValue(StartingOffsets.COMMITTED_OR_EARLIEST)
            .withDescription("Where a job without checkpoint/savepoint starts reading frames: COMMITTED_OR_EARLIEST "
                    + "(the group's committed offsets, else the earliest record), COMMITTED_OR_LATEST, EARLIEST or "
                    + "LATEST. Ignored when restoring: the checkpoint's offsets win.");

    public static final ConfigOption<String> KAFKA_CONFIG = key("kafka-config")
            .stringType()
            .noDefaultValue()
            .withDescription("Optional Kafka client properties file (e.g. security.protocol, sasl.*, ssl.*) applied "
                    + "to every Kafka client; kafka.* properties override it. Values are never logged. Must not set "
                    + "what a job option controls (bootstrap.servers, group.id, transactional.id, "
                    + "transaction.timeout.ms).");

    public static final ConfigOption<Boolean> KAFKA_TOPIC_CHECK_ENABLED = key("kafka-topic-check-enabled")
            .booleanType()
            .defaultValue(true)
            .withDescription("Before submitting, check with the job's Kafka settings that its topics exist: "
                    + "frames, alerts, dead-letter, scores (when scores-enabled) and, when the control topic "
                    + "exists, audit. A missing topic, a dead-letter topic whose max.message.bytes is below "
                    + "dead-letter-max-bytes, brokers whose transaction.max.timeout.ms is below "
                    + "kafka-transaction-timeout (EXACTLY_ONCE), or unreachable brokers fail the start with the "
                    + "option to fix "
                    + "instead of a job that restarts forever. Needs the brokers reachable from where main runs "
                    + "(the JobManager in application mode, else the flink run client); turn it off when they are "
                    + "not, or when the brokers auto-create the output topics (the frames topic must exist in any "
                    + "case).");

    public static final ConfigOption<Duration> KAFKA_TOPIC_CHECK_TIMEOUT = key("kafka-topic-check-timeout")
            .durationType()
            .defaultValue(Duration.ofSeconds(30))
            .withDescription("How long the start-time topic check (kafka-topic-check-enabled) waits for the "
                    + "brokers; if they do not answer in time the job is not started. 1 ms to 1 h.");

    // ---- Delivery and checkpoints ----

    public static final ConfigOption<DeliveryMode> DELIVERY_GUARANTEE = key("delivery-guarantee")
            .enumType(DeliveryMode.class)
            .defaultValue(DeliveryMode.EXACTLY_ONCE)
            .withDescription("EXACTLY_ONCE: outputs are written in Kafka transactions committed when a checkpoint "
                    + "completes, so read_committed consumers see each alert once, when the first checkpoint after "
                    + "its frame completes (up to checkpoint-interval plus that checkpoint's duration later). "
                    + "AT_LEAST_ONCE: outputs are visible at once, but after a "
                    + "failure the alerts since the last checkpoint are written again (same alert id).");

    public static final ConfigOption<String> KAFKA_TRANSACTIONAL_ID_PREFIX = key("kafka-transactional-id-prefix")
            .stringType()
            .noDefaultValue()
            .withDescription("Prefix of the Kafka transactional ids (EXACTLY_ONCE only); each sink appends its "
                    + "name (-alerts, -dead-letter, -scores, and -audit, -control-dead-letter for threshold "
                    + "commands). Default: the kafka-group-id, which is unique per job. "
                    + "Must be unique among all jobs writing to the same cluster, and not the start of another "
                    + "job's (not plant and plant-2: a sink aborts the open transactions whose ids start with its "
                    + "prefix; nor plant and plant-control, whose ids would collide outright: plant's refused-command "
                    + "sink writes plant-control-dead-letter-..., as plant-control's dead-letter sink does), and "
                    + "stable across restarts of one job, so a restarted job can abort the transactions its "
                    + "predecessor left open.");

    public static final ConfigOption<Duration> KAFKA_TRANSACTION_TIMEOUT = key("kafka-transaction-timeout")
            .durationType()
            .defaultValue(Duration.ofMinutes(10))
            .withDescription("transaction.timeout.ms of the EXACTLY_ONCE producers. Must exceed "
                    + "checkpoint-interval + checkpoint-timeout + restart-max-delay (a transaction stays open "
                    + "until the next checkpoint commits it, possibly across a restart), and must not exceed "
                    + "kafka-transaction-max-timeout (the broker refuses longer ones and the job fails).");

    public static final ConfigOption<Duration> KAFKA_TRANSACTION_MAX_TIMEOUT = key("kafka-transaction-max-timeout")
            .durationType()
            .defaultValue(Duration.ofMinutes(15))
            .withDescription("The brokers' transaction.max.timeout.ms (Kafka's default is 15 min). Raise it only "
                    + "together with the broker setting, to allow a longer kafka-transaction-timeout.");

    public static final ConfigOption<Duration> CHECKPOINT_INTERVAL = key("checkpoint-interval")
            .durationType()
            .defaultValue(Duration.ofSeconds(1))
            .withDescription("Time between checkpoints (at least 10 ms). With EXACTLY_ONCE this bounds alert "
                    + "latency from above: alerts become visible when the checkpoint after them completes (half an "
                    + "interval later on average). Longer intervals cost less and replay more frames after a "
                    + "failure.");

    public static final ConfigOption<Duration> NETWORK_BUFFER_TIMEOUT = key("network-buffer-timeout")
            .durationType()
            .defaultValue(Duration.ofMillis(5))
            .withDescription("How long a record may wait in a half-full network buffer between operators before it "
                    + "is sent (Flink's execution.buffer-timeout.interval, whose own default is 100 ms). Frames are "
                    + "few and large, so buffers rarely fill and every hop between subtasks would add up to this "
                    + "much latency; 0 flushes after every record (more CPU). At most 1 min.");

    public static final ConfigOption<Duration> CHECKPOINT_TIMEOUT = key("checkpoint-timeout")
            .durationType()
            .defaultValue(Duration.ofMinutes(1))
            .withDescription("A checkpoint that takes longer fails, and the job restarts from the last completed "
                    + "one (Flink tolerates no failed checkpoint unless execution.checkpointing."
                    + "tolerable-failed-checkpoints says otherwise). The job keeps no large state, so checkpoints "
                    + "normally take milliseconds.");

    public static final ConfigOption<Duration> RESTART_INITIAL_DELAY = key("restart-initial-delay")
            .durationType()
            .defaultValue(Duration.ofSeconds(1))
            .withDescription("Exponential-delay restart strategy: delay before the first restart after a failure; "
                    + "it doubles per consecutive failure up to restart-max-delay. Restarts are unlimited.");

    public static final ConfigOption<Duration> RESTART_MAX_DELAY = key("restart-max-delay")
            .durationType()
            .defaultValue(Duration.ofMinutes(1))
            .withDescription("Largest delay between restarts (at least restart-initial-delay). Counts against "
                    + "kafka-transaction-timeout.");

    /** Flink's upper bound on any operator's (maximum) parallelism. */
    static final int FLINK_PARALLELISM_LIMIT = 1 << 15;

    public static final ConfigOption<Integer> PARALLELISM = key("parallelism")
            .intType()
            .noDefaultValue()
            .withDescription("Parallelism of every operator (1 to 32768, Flink's limit). Default: the cluster's "
                    + "parallelism.default. Each parallel subtask holds one ONNX Runtime session, so memory and CPU "
                    + "threads scale with it; more subtasks than frames-topic partitions leave the extra ones idle.");

    public static final ConfigOption<Integer> MAX_PARALLELISM = key("max-parallelism")
            .intType()
            .defaultValue(128)
            .withDescription("The job's maximum parallelism (1 to 32768, at least parallelism): the number of key "
                    + "groups of its keyed state (alert debounce per camera, the threshold audit), so the highest "
                    + "parallelism the job can later be rescaled to from a savepoint. Fixed for the life of the "
                    + "job's state: a savepoint restores only into the same value. Flink would otherwise derive it "
                    + "from the first parallelism (128 up to 85 subtasks), so the default keeps savepoints taken "
                    + "without this option at up to 85 subtasks restorable; a job that ran at more must set the "
                    + "value Flink derived then (the next power of two of 1.5 x its parallelism, e.g. 256).");

    // ---- Model and inference ----

    public static final ConfigOption<String> MODEL_PATH = key("model-path")
            .stringType()
            .defaultValue("models/default/cae.onnx")
            .withDescription("The .onnx file (or a folder with exactly one) whose card <name>.card.json or "
                    + "model-card.json lies beside it, as a local path or a URI. Relative paths resolve against the "
                    + "working directory; a path must be readable on the client (checked at start) and on every "
                    + "TaskManager. A URI (s3://, gs://, hdfs://, file://...; written as Flink writes paths, not "
                    + "percent-encoded) is read through Flink's file systems, so its scheme needs the Flink "
                    + "filesystem plugin checkpoints to it would, on the client and on every TaskManager: the client "
                    + "copies the model, its card and golden/ to a temporary folder for the start checks (deleted "
                    + "once they are done), and every TaskManager reads the .onnx file from the URI.");

    public static final ConfigOption<Boolean> MODEL_VERIFY_GOLDEN = key("model-verify-golden")
            .booleanType()
            .defaultValue(true)
            .withDescription("At start, decode, preprocess and score the golden images model-export wrote beside "
                    + "the model (golden/golden.json) on the client, with ONNX Runtime on the CPU, and refuse to "
                    + "start unless they reproduce Python's values within the tolerances given there: catches a "
                    + "model whose preprocessing or export does not match this job. Skipped when the folder has no "
                    + "golden vectors.");

    public static final ConfigOption<String> INFERENCE_DEVICE = key("inference-device")
            .stringType()
            .defaultValue("auto")
            .withDescription("auto (CUDA when the GPU build of ONNX Runtime and a GPU are present, else CPU), cpu, "
                    + "cuda or cuda:<index> (CUDA required: a job jar without the GPU build is refused at start, and "
                    + "a subtask whose host cannot start CUDA fails). The active execution provider is reported "
                    + "by the executionProviderActive metric (label provider) and usingCuda.");

    public static final ConfigOption<Integer> INFERENCE_INTRA_OP_THREADS = key("inference-intra-op-threads")
            .intType()
            .defaultValue(1)
            .withDescription("ONNX Runtime threads per operator inside one session (>= 1). Every parallel subtask "
                    + "has its own session, so a TaskManager uses up to slots x this many cores.");

    public static final ConfigOption<Integer> INFERENCE_INTER_OP_THREADS = key("inference-inter-op-threads")
            .intType()
            .defaultValue(1)
            .withDescription("ONNX Runtime threads running independent graph nodes in parallel (>= 1); a CAE is a "
                    + "chain, so 1 is right for it.");

    public static final ConfigOption<Boolean> INFERENCE_WARM_UP = key("inference-warm-up")
            .booleanType()
            .defaultValue(true)
            .withDescription("Run the model on placeholder batches when a session opens (the largest batch and a "
                    + "single frame; on CUDA every batch size up to 128), so the first real frames do not pay "
                    + "for memory allocation and kernel selection.");

    public static final ConfigOption<MemorySize> INFERENCE_GPU_MEMORY_LIMIT = key("inference-gpu-memory-limit")
            .memoryType()
            .noDefaultValue()
            .withDescription("CUDA only: the most GPU memory each session's arena may take (e.g. 2gb), with arena "
                    + "growth by what is requested rather than by powers of two; the CUDA context and cuDNN's "
                    + "workspace come on top. Default: ONNX Runtime's (no limit, the arena keeps what it has grown "
                    + "to). Set it when several slots or jobs share a GPU. Ignored on CPU.");

    public static final ConfigOption<Integer> BATCH_MAX_SIZE = key("batch-max-size")
            .intType()
            .defaultValue(8)
            .withDescription("Most frames per inference call (1-4096); 1 disables batching. Larger batches pay off "
                    + "on a GPU; on a CPU the per-frame cost barely changes. Each subtask keeps one batch of model "
                    + "inputs and outputs in direct memory (4 bytes x batch x (C x H x W + the error map's H x W): "
                    + "1 MiB for the default model at 8), which Flink counts as task off-heap memory: set "
                    + "taskmanager.memory.task.off-heap.size to at least slots x that. On a cluster (the TaskManager "
                    + "memory settings the job's client sees) the job warns when the buffers borrow Flink's framework "
                    + "off-heap reserve and does not start when they exceed it too; nor when one batch buffer "
                    + "would pass 2 GiB.");

    public static final ConfigOption<Duration> BATCH_MAX_WAIT = key("batch-max-wait")
            .durationType()
            .defaultValue(Duration.ofMillis(20))
            .withDescription("Longest a frame waits for its batch to fill; adds at most this much latency when "
                    + "frames arrive slowly. 0 sends every frame on its own (no batching). Batches are also "
                    + "flushed before every checkpoint barrier, so none is lost or repeated on a failure. At most "
                    + "1 min.");

    // ---- Frames ----

    public static final ConfigOption<MemorySize> FRAME_MAX_BYTES = key("frame-max-bytes")
            .memoryType()
            .defaultValue(MemorySize.parse("16mb"))
            .withDescription("Largest accepted record value (1 byte - 2 gb); larger ones go to the dead-letter topic "
                    + "as OVERSIZED before decoding. The brokers' message.max.bytes (and the topic's "
                    + "max.message.bytes) must allow it too; consumers need no setting (docs/kafka.md).");

    public static final ConfigOption<Double> FRAME_ASPECT_TOLERANCE = key("frame-aspect-tolerance")
            .doubleType()
            .defaultValue(0.25)
            .withDescription("Frames are resized to the model's input; a frame whose aspect ratio differs from the "
                    + "model's by more than this factor (max(r, 1/r) > 1 + tolerance, r = frame ratio / model "
                    + "ratio) is rejected as WRONG_SHAPE instead of being squashed. 0 demands the exact ratio; must "
                    + "be >= 0. model-export trains a model of the frames' shape (run --size WxH) and refuses "
                    + "images further than 0.25 from it unless told --squash; its card then names the tolerance "
                    + "frames like its images need (input.min_frame_aspect_tolerance), and the job does not "
                    + "start below it.");

    // ---- Outputs ----

    public static final ConfigOption<Boolean> SCORES_ENABLED = key("scores-enabled")
            .booleanType()
            .defaultValue(false)
            .withDescription("Also write one small score record per frame to kafka-scores-topic (for dashboards "
                    + "and threshold tuning).");

    public static final ConfigOption<MemorySize> DEAD_LETTER_MAX_BYTES = key("dead-letter-max-bytes")
            .memoryType()
            .defaultValue(MemorySize.parse("960kb"))
            .withDescription("Largest dead letter (key, value and headers, 16 kb - 1 gb). A rejected record that "
                    + "would be larger is written without its value (then without its original headers, then its "
                    + "key), and its dlq-omitted header says what was left out and how many bytes. The default fits "
                    + "a stock dead-letter topic (max.message.bytes 1 MiB); to keep large frames whole, raise it "
                    + "together with that topic's max.message.bytes (the job raises its own producer's "
                    + "max.request.size and buffer.memory to match, and the topic check refuses a topic or brokers "
                    + "that would not take it: max.message.bytes, socket.request.max.bytes).");

    public static final ConfigOption<Boolean> ALERTS_THUMBNAILS_ENABLED = key("alerts-thumbnails-enabled")
            .booleanType()
            .defaultValue(true)
            .withDescription("Embed the error heatmap (a PNG of at most 64 pixels on its longer side, base64, a few "
                    + "kB) in each alert.");

    public static final ConfigOption<Boolean> INPUT_RANGE_CHECK = key("input-range-check")
            .booleanType()
            .defaultValue(true)
            .withDescription("Alert, with cause \"frame\", on frames whose preprocessed input is outside the model "
                    + "card's input range (brightness or contrast far from the good training images': a covered or "
                    + "blank camera, lights off, another product in view), whatever their score. Needs a card with "
                    + "thresholds.input_range (model-export writes one); false ignores the range, e.g. while the "
                    + "lighting is being changed on purpose.");

    public static final ConfigOption<Duration> INPUT_RANGE_ALERT_INTERVAL = key("input-range-alert-interval")
            .durationType()
            .defaultValue(Duration.ofMinutes(1))
            .withDescription("Per camera: its frames outside the input range alert on the first and then at most "
                    + "once per this much capture time, also across episodes (the others have alert false in their "
                    + "score records), so a blank camera, a dark line or one flickering at the range's edge does not "
                    + "flood the alerts topic. A capture time an hour or more behind the camera's last alert is "
                    + "taken as a reset of its clock and alerts. 0 alerts on every such frame.");

    private static final Pattern TOPIC_NAME = Pattern.compile("[A-Za-z0-9._-]{1,249}");
    private static final long MAX_FRAME_BYTES = Integer.MAX_VALUE;
    /**
     * Longest a frame may be held on purpose (batch-max-wait, network-buffer-timeout): both are meant in
     * milliseconds, and "5 min" for "5 ms" would hold every alert that long without anything failing.
     */
    private static final Duration MAX_FRAME_WAIT = Duration.ofMinutes(1);
    /** A producer holds a whole record in its buffer: beyond this, Kafka is the wrong place for it. */
    private static final long MAX_DEAD_LETTER_BYTES = 1L << 30;
    /** The longest start-time topic check: beyond it a broken start is not a fast failure any more. */
    private static final Duration MAX_TOPIC_CHECK_TIMEOUT = Duration.ofHours(1);

    /** Kafka properties a job option owns; setting them through kafka-config / kafka.* is refused. */
    private static final Map<String, ConfigOption<?>> OWNED_KAFKA_PROPERTIES = Map.of(
            "bootstrap.servers", KAFKA_BOOTSTRAP_SERVERS,
            "group.id", KAFKA_GROUP_ID,
            "transactional.id", KAFKA_TRANSACTIONAL_ID_PREFIX,
            "transaction.timeout.ms", KAFKA_TRANSACTION_TIMEOUT);

    private JobOptions() {
    }

    /** All options of this class (reflection: declaration order in practice, not guaranteed). */
    public static List<ConfigOption<?>> all() {
        List<ConfigOption<?>> options = new ArrayList<>();
        for (Field field : JobOptions.class.getFields()) {
            if (Modifier.isStatic(field.getModifiers()) && ConfigOption.class.isAssignableFrom(field.getType())) {
                try {
                    options.add((ConfigOption<?>) field.get(null));
                } catch (IllegalAccessException e) {
                    throw new IllegalStateException(e);
                }
            }
        }
        return options;
    }

    public static ConfigOption<?> byKey(String key) {
        for (ConfigOption<?> option : all()) {
            if (option.key().equals(key)) {
                return option;
            }
        }
        return null;
    }

    /** The default as docs/configuration.md shows it, or "(none)". */
    public static String describeDefault(ConfigOption<?> option) {
        if (!option.hasDefaultValue()) {
            return "(none)";
        }
        Object value = option.defaultValue();
        if (value instanceof Duration duration) {
            return TimeUtils.formatWithHighestUnit(duration);
        }
        if (value instanceof MemorySize size) {
            return size.toString();
        }
        return String.valueOf(value);
    }

    /** The {@code kafka.*} pass-through properties of a configuration, prefix removed. Secrets in clear. */
    public static Map<String, String> kafkaPassThrough(Configuration conf) {
        Map<String, String> props = new LinkedHashMap<>();
        for (Map.Entry<String, String> e : conf.toMap().entrySet()) {
            if (e.getKey().startsWith(KAFKA_PROPERTY_PREFIX)) {
                props.put(e.getKey().substring(KAFKA_PROPERTY_PREFIX.length()), e.getValue());
            }
        }
        return props;
    }

    /**
     * Checks every option and their combinations; throws one IllegalArgumentException listing all problems,
     * each naming its option. Never includes Kafka property values in the message (they may be secrets).
     */
    public static void validate(Configuration conf) {
        List<String> problems = new ArrayList<>();

        String servers = read(conf, KAFKA_BOOTSTRAP_SERVERS, problems);
        if (servers == null || servers.isBlank()) {
            problems.add("kafka-bootstrap-servers is required (host:port[,host:port...])");
        } else {
            for (String server : servers.split(",")) {
                if (!server.trim().matches(".+:\\d{1,5}")) {
                    problems.add("kafka-bootstrap-servers: '" + server.trim() + "' is not host:port");
                }
            }
        }

        Map<String, ConfigOption<String>> topics = new LinkedHashMap<>();
        for (ConfigOption<String> topic : List.of(KAFKA_FRAMES_TOPIC, KAFKA_ALERTS_TOPIC, KAFKA_DEAD_LETTER_TOPIC,
                KAFKA_SCORES_TOPIC, KAFKA_CONTROL_TOPIC, KAFKA_AUDIT_TOPIC)) {
            String name = read(conf, topic, problems);
            if (name == null || !TOPIC_NAME.matcher(name).matches() || name.equals(".") || name.equals("..")) {
                problems.add(topic.key() + ": '" + name + "' is not a valid Kafka topic name "
                        + "(1-249 characters from [A-Za-z0-9._-])");
            } else if (topics.containsKey(name)) {
                problems.add(topic.key() + " and " + topics.get(name).key() + " are both '" + name
                        + "'; every topic must be different");
            } else {
                topics.put(name, topic);
            }
        }

        String groupId = read(conf, KAFKA_GROUP_ID, problems);
        if (groupId != null && groupId.isBlank()) {
            problems.add("kafka-group-id must not be blank");
        }
        read(conf, KAFKA_STARTING_OFFSETS, problems);
        read(conf, KAFKA_CONTROL_STARTING_OFFSETS, problems);
        DeliveryMode delivery = read(conf, DELIVERY_GUARANTEE, problems);

        String prefix = read(conf, KAFKA_TRANSACTIONAL_ID_PREFIX, problems);
        if (prefix != null && prefix.isBlank()) {
            problems.add("kafka-transactional-id-prefix must not be blank when set");
        }

        checkKafkaProperties(conf, problems);
        read(conf, KAFKA_TOPIC_CHECK_ENABLED, problems);
        Duration topicCheckTimeout = read(conf, KAFKA_TOPIC_CHECK_TIMEOUT, problems);
        if (topicCheckTimeout != null && (topicCheckTimeout.isNegative() || topicCheckTimeout.isZero()
                || topicCheckTimeout.compareTo(MAX_TOPIC_CHECK_TIMEOUT) > 0)) {
            problems.add("kafka-topic-check-timeout must be between 1 ms and " + format(MAX_TOPIC_CHECK_TIMEOUT)
                    + ", got " + format(topicCheckTimeout));
        }

        Duration interval = read(conf, CHECKPOINT_INTERVAL, problems);
        if (interval != null && interval.toMillis() < 10) {
            problems.add("checkpoint-interval must be at least 10 ms, got " + format(interval));
        }
        Duration bufferTimeout = read(conf, NETWORK_BUFFER_TIMEOUT, problems);
        if (bufferTimeout != null && (bufferTimeout.isNegative() || bufferTimeout.compareTo(MAX_FRAME_WAIT) > 0)) {
            problems.add("network-buffer-timeout must be between 0 ms and " + format(MAX_FRAME_WAIT) + " (a frame "
                    + "may wait this long at every hop; milliseconds are meant), got " + format(bufferTimeout));
        }
        Duration checkpointTimeout = read(conf, CHECKPOINT_TIMEOUT, problems);
        if (checkpointTimeout != null && checkpointTimeout.toMillis() < 10) {
            problems.add("checkpoint-timeout must be at least 10 ms, got " + format(checkpointTimeout));
        }
        Duration initialDelay = read(conf, RESTART_INITIAL_DELAY, problems);
        Duration maxDelay = read(conf, RESTART_MAX_DELAY, problems);
        if (initialDelay != null && initialDelay.isNegative()) {
            problems.add("restart-initial-delay must not be negative");
        }
        if (initialDelay != null && maxDelay != null && maxDelay.compareTo(initialDelay) < 0) {
            problems.add("restart-max-delay (" + format(maxDelay) + ") must be at least restart-initial-delay ("
                    + format(initialDelay) + ")");
        }
        Duration txTimeout = read(conf, KAFKA_TRANSACTION_TIMEOUT, problems);
        Duration txMax = read(conf, KAFKA_TRANSACTION_MAX_TIMEOUT, problems);
        if (delivery == DeliveryMode.EXACTLY_ONCE && txTimeout != null) {
            if (txMax != null && txTimeout.compareTo(txMax) > 0) {
                problems.add("kafka-transaction-timeout (" + format(txTimeout) + ") exceeds the brokers' "
                        + "transaction.max.timeout.ms given by kafka-transaction-max-timeout (" + format(txMax)
                        + "); the broker would refuse the transactions");
            }
            if (interval != null && checkpointTimeout != null && maxDelay != null) {
                Duration needed = interval.plus(checkpointTimeout).plus(maxDelay);
                if (txTimeout.compareTo(needed) <= 0) {
                    problems.add("kafka-transaction-timeout (" + format(txTimeout) + ") must exceed "
                            + "checkpoint-interval + checkpoint-timeout + restart-max-delay (" + format(needed)
                            + "), or transactions could expire before their checkpoint commits them");
                }
            }
        }

        Integer parallelism = read(conf, PARALLELISM, problems);
        if (parallelism != null && (parallelism < 1 || parallelism > FLINK_PARALLELISM_LIMIT)) {
            problems.add("parallelism must be between 1 and " + FLINK_PARALLELISM_LIMIT
                    + " (Flink's limit), got " + parallelism);
        }
        Integer maxParallelism = read(conf, MAX_PARALLELISM, problems);
        if (maxParallelism != null && (maxParallelism < 1 || maxParallelism > FLINK_PARALLELISM_LIMIT)) {
            problems.add("max-parallelism must be between 1 and " + FLINK_PARALLELISM_LIMIT
                    + " (Flink's limit), got " + maxParallelism);
        } else if (maxParallelism != null && parallelism != null && parallelism > maxParallelism) {
            problems.add("parallelism " + parallelism + " is above max-parallelism " + maxParallelism + ": raise "
                    + "max-parallelism only for a job started without state (a savepoint restores only into the "
                    + "max-parallelism it was taken with), else keep parallelism at most " + maxParallelism);
        }

        String modelPath = read(conf, MODEL_PATH, problems);
        if (modelPath != null && modelPath.isBlank()) {
            problems.add("model-path must not be blank");
        }
        String device = read(conf, INFERENCE_DEVICE, problems);
        if (device != null) {
            try {
                DeviceSpec.parse(device);
            } catch (RuntimeException e) {
                problems.add("inference-device: " + e.getMessage());
            }
        }
        atLeast(conf, INFERENCE_INTRA_OP_THREADS, 1, problems);
        atLeast(conf, INFERENCE_INTER_OP_THREADS, 1, problems);
        read(conf, INFERENCE_WARM_UP, problems);
        read(conf, MODEL_VERIFY_GOLDEN, problems);
        MemorySize gpuLimit = read(conf, INFERENCE_GPU_MEMORY_LIMIT, problems);
        if (gpuLimit != null && gpuLimit.getBytes() < 1) {
            problems.add("inference-gpu-memory-limit must be at least 1 byte when set");
        }
        Integer batch = read(conf, BATCH_MAX_SIZE, problems);
        if (batch != null && (batch < 1 || batch > 4096)) {
            problems.add("batch-max-size must be between 1 and 4096, got " + batch);
        }
        Duration wait = read(conf, BATCH_MAX_WAIT, problems);
        if (wait != null && (wait.isNegative() || wait.compareTo(MAX_FRAME_WAIT) > 0)) {
            problems.add("batch-max-wait must be between 0 ms and " + format(MAX_FRAME_WAIT) + " (a frame may wait "
                    + "this long for its batch; milliseconds are meant), got " + format(wait));
        }

        MemorySize maxBytes = read(conf, FRAME_MAX_BYTES, problems);
        if (maxBytes != null && (maxBytes.getBytes() < 1 || maxBytes.getBytes() > MAX_FRAME_BYTES)) {
            problems.add("frame-max-bytes must be between 1 byte and " + MAX_FRAME_BYTES + " bytes, got "
                    + maxBytes.getBytes() + " bytes");
        }
        Double tolerance = read(conf, FRAME_ASPECT_TOLERANCE, problems);
        if (tolerance != null && (tolerance.isNaN() || tolerance.isInfinite() || tolerance < 0)) {
            problems.add("frame-aspect-tolerance must be a finite number >= 0, got " + tolerance);
        }
        MemorySize deadLetterMax = read(conf, DEAD_LETTER_MAX_BYTES, problems);
        if (deadLetterMax != null && (deadLetterMax.getBytes() < DeadLetterSerializer.MIN_MAX_BYTES
                || deadLetterMax.getBytes() > MAX_DEAD_LETTER_BYTES)) {
            problems.add("dead-letter-max-bytes must be between " + DeadLetterSerializer.MIN_MAX_BYTES + " and "
                    + MAX_DEAD_LETTER_BYTES + " bytes, got " + deadLetterMax.getBytes() + " bytes");
        }
        read(conf, SCORES_ENABLED, problems);
        read(conf, ALERTS_THUMBNAILS_ENABLED, problems);
        read(conf, INPUT_RANGE_CHECK, problems);
        Duration faultInterval = read(conf, INPUT_RANGE_ALERT_INTERVAL, problems);
        if (faultInterval != null && faultInterval.isNegative()) {
            problems.add("input-range-alert-interval must not be negative, got " + format(faultInterval));
        }

        if (!problems.isEmpty()) {
            throw new IllegalArgumentException("Invalid job configuration:\n  - " + String.join("\n  - ", problems));
        }
    }

    /**
     * The kafka-config file and kafka.* properties, merged (the properties win), with the job's defaults for what
     * neither sets ({@link #KAFKA_CLIENT_DEFAULTS}). Throws if the file is unreadable.
     */
    public static KafkaClientSettings kafkaSettings(Configuration conf) {
        String file = conf.get(KAFKA_CONFIG);
        Path path = file == null ? null : Path.of(file);
        KafkaClientSettings settings = KafkaClientSettings.load(path, kafkaPassThrough(conf));
        for (Map.Entry<String, String> d : KAFKA_CLIENT_DEFAULTS.entrySet()) {
            settings = settings.get(d.getKey()).isPresent() ? settings : settings.with(d.getKey(), d.getValue());
        }
        return settings;
    }

    /**
     * Kafka client properties the job sets unless kafka-config or kafka.* does. metadata.recovery.strategy none:
     * with the client's default (rebootstrap), kafka-clients 4.2's admin clients (the Kafka sources' enumerators,
     * the topic check) rebootstrap in a tight loop while no broker accepts connections (152,000 INFO lines in a
     * 25-second local run, docs/configuration.md); without it a client retries its brokers with the reconnect
     * backoff.
     */
    static final Map<String, String> KAFKA_CLIENT_DEFAULTS = Map.of("metadata.recovery.strategy", "none");

    private static void checkKafkaProperties(Configuration conf, List<String> problems) {
        String file = read(conf, KAFKA_CONFIG, problems);
        if (file != null) {
            Path path = Path.of(file);
            if (!Files.isRegularFile(path) || !Files.isReadable(path)) {
                problems.add("kafka-config: " + path.toAbsolutePath() + " is not a readable file");
                return;
            }
        }
        KafkaClientSettings settings;
        try {
            settings = kafkaSettings(conf);
        } catch (RuntimeException e) {
            problems.add("kafka-config: " + e.getMessage());
            return;
        }
        for (String property : settings.asMap().keySet()) {
            ConfigOption<?> owner = OWNED_KAFKA_PROPERTIES.get(property.toLowerCase(Locale.ROOT));
            if (owner != null) {
                problems.add("Kafka property '" + property + "' (from kafka-config or kafka.*) is controlled by "
                        + "the option " + owner.key() + "; set that option instead");
            }
        }
        problems.addAll(KafkaPropertyCheck.problems(settings.asMap()));
    }

    private static void atLeast(Configuration conf, ConfigOption<Integer> option, int min, List<String> problems) {
        Integer value = read(conf, option, problems);
        if (value != null && value < min) {
            problems.add(option.key() + " must be >= " + min + ", got " + value);
        }
    }

    /** Reads one option, turning Flink's parse error into a problem that names the option and the allowed form. */
    private static <T> T read(Configuration conf, ConfigOption<T> option, List<String> problems) {
        try {
            T value = conf.get(option);
            // Flink reads a bare number as milliseconds: "--checkpoint-timeout 60" would mean 60 ms. 0 needs no unit.
            String raw = option.defaultValue() instanceof Duration ? conf.toMap().get(option.key()) : null;
            if (raw != null && raw.trim().matches("-?\\d+") && !raw.trim().matches("0+")) {
                problems.add(option.key() + ": '" + raw.trim() + "' has no unit; write e.g. '" + raw.trim()
                        + " s' or '" + raw.trim() + " ms'");
                return null;
            }
            return value;
        } catch (RuntimeException e) {
            String raw = conf.toMap().get(option.key());
            problems.add(option.key() + ": cannot parse '" + raw + "' as " + expectedForm(option));
            return null;
        }
    }

    private static String expectedForm(ConfigOption<?> option) {
        if (option == DELIVERY_GUARANTEE) {
            return "one of " + List.of(DeliveryMode.values());
        }
        if (option == KAFKA_STARTING_OFFSETS || option == KAFKA_CONTROL_STARTING_OFFSETS) {
            return "one of " + List.of(StartingOffsets.values());
        }
        if (option == PARALLELISM || option == MAX_PARALLELISM) {
            return "an integer";
        }
        if (option == INFERENCE_GPU_MEMORY_LIMIT) {
            return "a size such as '512mb' or '2gb'";
        }
        Object sample = option.defaultValue();
        if (sample instanceof Duration) {
            return "a duration such as '500 ms', '2 s' or '10 min'";
        }
        if (sample instanceof MemorySize) {
            return "a size such as '1048576', '512kb' or '16mb'";
        }
        if (sample instanceof Boolean) {
            return "true or false";
        }
        if (sample instanceof Integer) {
            return "an integer";
        }
        return sample instanceof Double ? "a number" : "a value";
    }

    private static String format(Duration d) {
        return TimeUtils.formatWithHighestUnit(d);
    }
}
