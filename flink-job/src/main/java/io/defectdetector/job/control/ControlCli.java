package io.defectdetector.job.control;

import com.fasterxml.jackson.databind.JsonNode;
import io.defectdetector.job.thresholds.ThresholdsSavepointCli;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.Callable;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine;

/**
 * {@code thresholds send}: checks a control command with the job's own validation, sends it to the control
 * topic and, unless {@code --no-wait}, waits for its audit record, which appears once every parallel instance of
 * the job has applied it. The live way of tuning from a shell (docs/operations.md); any Kafka producer works as
 * well, this one only refuses a bad command before it reaches the dead-letter topic and confirms the good ones.
 *
 * <p>Exit codes: 0 applied (or sent, with --no-wait), 1 Kafka failure or no audit record in time, 2 refused.
 */
@Command(name = "send", mixinStandardHelpOptions = true,
        description = "Sends one threshold command (JSON) to the job's control topic and waits until it is applied.")
public final class ControlCli implements Callable<Integer> {
    @Spec
    CommandLine.Model.CommandSpec spec;

    @Parameters(index = "0", paramLabel = "JSON", description = "The command, e.g. "
            + "'{\"action\":\"set\",\"target\":\"camera:cam-01\",\"by\":\"alice\",\"image_score\":1.3}'.")
    String command;

    @Mixin
    KafkaClientOptions kafka;

    @Option(names = "--topic", defaultValue = "control", description = "Control topic. Default: ${DEFAULT-VALUE}.")
    String topic;

    @Option(names = "--audit-topic", defaultValue = "audit", description = "Audit topic. Default: ${DEFAULT-VALUE}.")
    String auditTopic;

    @Option(names = "--timeout", defaultValue = "30s", paramLabel = "DURATION", converter = DurationConverter.class,
            description = "How long to wait for the audit record, with its unit (e.g. 10s). Default: "
                    + "${DEFAULT-VALUE}.")
    Duration timeout;

    @Option(names = "--no-wait", description = "Do not wait for the audit record.")
    boolean noWait;

    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }

    public static CommandLine commandLine() {
        return CliErrors.oneLine(new CommandLine(new ControlCli()), "error");
    }

    @Override
    public Integer call() throws Exception {
        try {
            ControlCommandParser.parse(command);
        } catch (ControlCommandException e) {
            spec.commandLine().getErr().println("refused (" + e.reason().code() + "): " + e.getMessage());
            return ThresholdsSavepointCli.REFUSED;
        }
        Properties base = kafka.properties();
        try (KafkaConsumer<byte[], byte[]> audit = consumer(base)) {
            // Both topics are checked before the command goes out: a producer would wait a minute for a misspelt
            // one, or create it where the brokers allow that, and the job would never see the command.
            boolean noControlTopic;
            try {
                noControlTopic = audit.partitionsFor(topic, timeout).isEmpty();
            } catch (org.apache.kafka.common.errors.TimeoutException e) {
                spec.commandLine().getErr().println("error: no answer from the brokers within "
                        + DurationConverter.format(timeout) + ": check --bootstrap-servers and that the Kafka "
                        + "settings match the listener (TLS, SASL); nothing was sent");
                return ThresholdsSavepointCli.FAILED;
            }
            if (noControlTopic) {
                spec.commandLine().getErr().println("error: the control topic '" + topic + "' does not exist on "
                        + "this cluster: give the job's kafka-control-topic with --topic (nothing was sent)");
                return ThresholdsSavepointCli.REFUSED;
            }
            if (!noWait && !atAuditEnd(audit)) {
                spec.commandLine().getErr().println("error: the audit topic '" + auditTopic + "' does not exist on "
                        + "this cluster: give the job's kafka-audit-topic with --audit-topic (nothing was sent)");
                return ThresholdsSavepointCli.REFUSED;
            }
            String auditId = send(base);
            spec.commandLine().getOut().println("sent " + auditId);
            if (noWait) {
                return 0;
            }
            JsonNode applied = awaitAudit(audit, auditId, timeout);
            if (applied == null) {
                spec.commandLine().getErr().println("no audit record for " + auditId + " within "
                        + DurationConverter.format(timeout) + ": is the job running and reading " + topic
                        + "? Refused commands go to its dead-letter topic.");
                return ThresholdsSavepointCli.FAILED;
            }
            spec.commandLine().getOut().println(ControlJson.MAPPER.writerWithDefaultPrettyPrinter()
                    .writeValueAsString(applied));
            return 0;
        }
    }

    private String send(Properties base) throws Exception {
        Properties props = new Properties();
        props.putAll(base);
        props.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        props.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        props.put(ProducerConfig.ACKS_CONFIG, "all");
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(props)) {
            RecordMetadata m = producer.send(new ProducerRecord<>(topic, null, null,
                    command.getBytes(StandardCharsets.UTF_8))).get();
            return m.topic() + "-" + m.partition() + "-" + m.offset();
        }
    }

    private static KafkaConsumer<byte[], byte[]> consumer(Properties base) {
        Properties props = new Properties();
        props.putAll(base);
        props.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        props.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        props.put(ConsumerConfig.ALLOW_AUTO_CREATE_TOPICS_CONFIG, "false"); // a misspelt name must not become a topic
        return new KafkaConsumer<>(props);
    }

    /**
     * Positions the consumer at the audit topic's current end, before the command is sent, so its record cannot
     * be missed. @return false when there is no such topic
     */
    private boolean atAuditEnd(KafkaConsumer<byte[], byte[]> consumer) {
        List<TopicPartition> partitions = consumer.partitionsFor(auditTopic, timeout).stream()
                .map(p -> new TopicPartition(auditTopic, p.partition())).toList();
        consumer.assign(partitions);
        Map<TopicPartition, Long> end = consumer.endOffsets(partitions, timeout);
        end.forEach(consumer::seek);
        return !partitions.isEmpty();
    }

    private static JsonNode awaitAudit(KafkaConsumer<byte[], byte[]> consumer, String auditId, Duration wait) {
        long deadline = System.nanoTime() + wait.toNanos();
        while (System.nanoTime() < deadline) {
            for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                JsonNode json = ControlJson.read(new String(r.value(), StandardCharsets.UTF_8));
                if (auditId.equals(json.path("audit_id").asText())) {
                    return json;
                }
            }
        }
        return null;
    }
}
