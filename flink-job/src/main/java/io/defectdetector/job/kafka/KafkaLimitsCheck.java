package io.defectdetector.job.kafka;

import io.defectdetector.job.config.DeliveryMode;
import io.defectdetector.job.config.JobConfig;
import io.defectdetector.job.config.JobOptions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.flink.util.TimeUtils;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.DescribeClusterOptions;
import org.apache.kafka.clients.admin.DescribeConfigsOptions;
import org.apache.kafka.common.KafkaFuture;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.errors.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Kafka settings the job's own must fit, read at start by the topic check ({@link TopicPreflight}) with its admin
 * client. Each mismatch would otherwise make the job restart forever:
 * <ul>
 *   <li>the dead-letter topic's {@code max.message.bytes} and the brokers' {@code socket.request.max.bytes}
 *       below dead-letter-max-bytes: the broker refuses the first dead letter that large, again at every
 *       restart on the same rejected frame;</li>
 *   <li>with EXACTLY_ONCE, the brokers' {@code transaction.max.timeout.ms} below kafka-transaction-timeout: no
 *       sink can start a transaction.</li>
 * </ul>
 * Best effort: reading configurations needs DescribeConfigs on the topic and the cluster, which the job needs
 * nowhere else, and a managed service may not offer it. Whatever cannot be read is not checked, and a warning
 * says which. Only brokers that do not answer in time fail the check, as they fail the topic check.
 */
final class KafkaLimitsCheck {
    private static final Logger LOG = LoggerFactory.getLogger(KafkaLimitsCheck.class);
    static final String TRANSACTION_MAX_TIMEOUT_MS = "transaction.max.timeout.ms";
    static final String SOCKET_REQUEST_MAX_BYTES = "socket.request.max.bytes";

    private KafkaLimitsCheck() {
    }

    /** What does not fit, one sentence each naming what to change; empty when all fits or nothing could be read. */
    static List<String> problems(JobConfig cfg, Admin admin, long deadlineNanos, boolean deadLetterTopicExists) {
        List<ConfigResource> resources = new ArrayList<>();
        ConfigResource topic = new ConfigResource(ConfigResource.Type.TOPIC,
                cfg.get(JobOptions.KAFKA_DEAD_LETTER_TOPIC));
        if (deadLetterTopicExists) {
            resources.add(topic);
        }
        ConfigResource broker = anyBroker(cfg, admin, deadlineNanos);
        if (broker != null) {
            resources.add(broker);
        }
        Map<ConfigResource, Config> configs = describe(cfg, admin, resources, deadlineNanos);

        List<String> problems = new ArrayList<>();
        long deadLetterMax = cfg.deadLetterMaxBytes();
        String deadLetterOption = JobOptions.DEAD_LETTER_MAX_BYTES.key();
        OptionalLong topicMax = value(configs, topic, TopicConfig.MAX_MESSAGE_BYTES_CONFIG);
        if (topicMax.isPresent() && topicMax.getAsLong() < deadLetterMax) {
            problems.add(JobOptions.KAFKA_DEAD_LETTER_TOPIC.key() + ": topic '" + topic.name() + "' takes records "
                    + "up to " + topicMax.getAsLong() + " bytes (max.message.bytes), but dead letters may be "
                    + deadLetterMax + " bytes (" + deadLetterOption + "): the first one that large would fail the "
                    + "job at every restart; lower " + deadLetterOption + " to at most " + topicMax.getAsLong()
                    + " bytes or raise the topic's max.message.bytes");
        }
        OptionalLong requestMax = value(configs, broker, SOCKET_REQUEST_MAX_BYTES);
        long request = deadLetterMax + KafkaOutputSinks.REQUEST_HEADROOM;
        if (requestMax.isPresent() && requestMax.getAsLong() < request) {
            problems.add(deadLetterOption + " (" + deadLetterMax + " bytes) needs produce requests of up to "
                    + request + " bytes, above the brokers' " + SOCKET_REQUEST_MAX_BYTES + " ("
                    + requestMax.getAsLong() + "); lower " + deadLetterOption + " or raise the brokers' setting");
        }
        OptionalLong transactionMax = value(configs, broker, TRANSACTION_MAX_TIMEOUT_MS);
        Duration timeout = cfg.get(JobOptions.KAFKA_TRANSACTION_TIMEOUT);
        if (cfg.delivery() == DeliveryMode.EXACTLY_ONCE && transactionMax.isPresent()
                && timeout.toMillis() > transactionMax.getAsLong()) {
            String brokerMax = TimeUtils.formatWithHighestUnit(Duration.ofMillis(transactionMax.getAsLong()));
            problems.add(JobOptions.KAFKA_TRANSACTION_TIMEOUT.key() + " (" + TimeUtils.formatWithHighestUnit(timeout)
                    + ") is above the brokers' " + TRANSACTION_MAX_TIMEOUT_MS + " (" + brokerMax + "): every "
                    + "exactly-once sink would fail to start its transactions and the job would restart forever; "
                    + "set " + JobOptions.KAFKA_TRANSACTION_TIMEOUT.key() + " and "
                    + JobOptions.KAFKA_TRANSACTION_MAX_TIMEOUT.key() + " to at most " + brokerMax
                    + ", or raise the brokers' setting");
        }
        return problems;
    }

    /** One broker of the cluster (they share these settings in any sane setup), or null when none can be named. */
    private static ConfigResource anyBroker(JobConfig cfg, Admin admin, long deadlineNanos) {
        Collection<Node> nodes = await(cfg, admin.describeCluster(new DescribeClusterOptions()
                .timeoutMs(remainingMs(deadlineNanos))).nodes(), deadlineNanos, "the cluster's brokers");
        if (nodes == null) {
            return null; // await said why
        }
        if (nodes.isEmpty()) {
            LOG.warn("No broker listed by {}: {} and {} are not checked", cfg.bootstrapServers(),
                    TRANSACTION_MAX_TIMEOUT_MS, SOCKET_REQUEST_MAX_BYTES);
            return null;
        }
        return new ConfigResource(ConfigResource.Type.BROKER, nodes.iterator().next().idString());
    }

    private static Map<ConfigResource, Config> describe(JobConfig cfg, Admin admin,
            List<ConfigResource> resources, long deadlineNanos) {
        if (resources.isEmpty()) {
            return Map.of();
        }
        Map<ConfigResource, KafkaFuture<Config>> futures = admin.describeConfigs(resources,
                new DescribeConfigsOptions().timeoutMs(remainingMs(deadlineNanos))).values();
        Map<ConfigResource, Config> configs = new HashMap<>();
        futures.forEach((resource, future) -> {
            Config config = await(cfg, future, deadlineNanos,
                    "the configuration of " + resource.type().name().toLowerCase(Locale.ROOT) + " '"
                            + resource.name() + "'");
            if (config != null) {
                configs.put(resource, config);
            }
        });
        return configs;
    }

    private static OptionalLong value(Map<ConfigResource, Config> configs, ConfigResource resource, String name) {
        Config config = resource == null ? null : configs.get(resource);
        ConfigEntry entry = config == null ? null : config.get(name);
        if (entry == null || entry.value() == null) {
            if (config != null) {
                LOG.warn("{} '{}' reports no {}: it is not checked", resource.type(), resource.name(), name);
            }
            return OptionalLong.empty();
        }
        try {
            return OptionalLong.of(Long.parseLong(entry.value().trim()));
        } catch (NumberFormatException e) {
            LOG.warn("{} '{}' reports {}={}, not a number: it is not checked", resource.type(), resource.name(),
                    name, entry.value());
            return OptionalLong.empty();
        }
    }

    /** The future's value; null, with a warning, when the brokers refuse the request; throws on no answer. */
    private static <T> T await(JobConfig cfg, KafkaFuture<T> future, long deadlineNanos, String what) {
        try {
            return future.get(Math.max(0, deadlineNanos - System.nanoTime()), TimeUnit.NANOSECONDS);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof TimeoutException) {
                throw TopicPreflight.unanswered(cfg, e.getCause());
            }
            LOG.warn("Could not read {} ({}): the settings it holds are not checked against the job's", what,
                    e.getCause().toString());
            return null;
        } catch (java.util.concurrent.TimeoutException e) {
            throw TopicPreflight.unanswered(cfg, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while checking the Kafka settings", e);
        }
    }

    private static int remainingMs(long deadlineNanos) {
        return (int) Math.max(1, Math.min(Integer.MAX_VALUE,
                TimeUnit.NANOSECONDS.toMillis(deadlineNanos - System.nanoTime())));
    }
}
