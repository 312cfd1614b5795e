package io.defectdetector.job.kafka;

import io.defectdetector.job.config.JobConfig;
import io.defectdetector.job.config.JobOptions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.util.TimeUtils;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.DescribeTopicsOptions;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.KafkaFuture;
import org.apache.kafka.common.config.SaslConfigs;
import org.apache.kafka.common.errors.TopicAuthorizationException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Checks, before a job is submitted, that the Kafka topics it reads and writes exist, so a missing topic is a
 * start-up error naming the option to fix instead of a job whose source or sink fails and restarts forever on
 * the cluster (as {@code ModelPreflight} does for the model). A missing frames topic fails the source's
 * enumerator; a missing output topic fails its sink at its first record, and a missing audit topic at the first
 * control command, long after the start.
 *
 * <p>With the same admin client, {@link KafkaLimitsCheck} compares the cluster's size and transaction limits
 * with the job's settings.
 *
 * <p>The control topic itself may be absent (the job then runs on its current thresholds and picks the topic up
 * when it is created, see {@code ControlKafka}); but when it exists, the audit topic must too.
 *
 * <p>It asks the brokers with the job's own client settings (kafka-config, kafka.*: the same SASL/TLS and the same
 * principal as the job's clients), so it needs Describe on each topic, which the Read and Write the job needs
 * already include. Setting values are never put in a message; Kafka's own exceptions hide password-type values.
 * The brokers must answer within kafka-topic-check-timeout: a job that cannot reach them would not run either,
 * and failing here says so at once. The price: a start (including an application-mode JobManager failover, which
 * runs main again) during a broker outage fails instead of waiting; kafka-topic-check-enabled=false restores
 * waiting.
 */
public final class TopicPreflight {
    private static final Logger LOG = LoggerFactory.getLogger(TopicPreflight.class);
    /** Added to the admin's own timeout as a last bound on waiting for its futures. */
    private static final Duration GRACE = Duration.ofSeconds(5);

    private TopicPreflight() {
    }

    /** @throws IllegalArgumentException naming each missing topic and its option, or why the brokers did not answer */
    public static void check(JobConfig cfg) {
        if (!cfg.get(JobOptions.KAFKA_TOPIC_CHECK_ENABLED)) {
            LOG.info("Kafka topic check skipped ({}=false)", JobOptions.KAFKA_TOPIC_CHECK_ENABLED.key());
            return;
        }
        // Topic names are unique (JobOptions.validate), so each names one option.
        Map<String, ConfigOption<String>> topics = new LinkedHashMap<>();
        for (ConfigOption<String> option : List.of(JobOptions.KAFKA_FRAMES_TOPIC, JobOptions.KAFKA_ALERTS_TOPIC,
                JobOptions.KAFKA_DEAD_LETTER_TOPIC, JobOptions.KAFKA_SCORES_TOPIC, JobOptions.KAFKA_CONTROL_TOPIC,
                JobOptions.KAFKA_AUDIT_TOPIC)) {
            if (option != JobOptions.KAFKA_SCORES_TOPIC || cfg.get(JobOptions.SCORES_ENABLED)) {
                topics.put(cfg.get(option), option);
            }
        }
        Map<ConfigOption<String>, Found> found;
        List<String> limits;
        // One deadline for every request, so that the whole check ends within kafka-topic-check-timeout.
        long deadline = System.nanoTime() + cfg.get(JobOptions.KAFKA_TOPIC_CHECK_TIMEOUT).plus(GRACE).toNanos();
        Admin admin = openAdmin(cfg);
        try {
            found = describe(cfg, admin, topics, deadline);
            limits = KafkaLimitsCheck.problems(cfg, admin, deadline,
                    found.get(JobOptions.KAFKA_DEAD_LETTER_TOPIC) == Found.EXISTS);
        } finally {
            // Nothing is pending once every future is done; after a timeout, abandon the calls at once.
            admin.close(Duration.ZERO);
        }

        List<String> problems = new ArrayList<>();
        require(cfg, found, JobOptions.KAFKA_FRAMES_TOPIC, "Read", "", problems);
        require(cfg, found, JobOptions.KAFKA_ALERTS_TOPIC, "Write", "", problems);
        // Refused control commands go to the same dead-letter topic as refused frames.
        require(cfg, found, JobOptions.KAFKA_DEAD_LETTER_TOPIC, "Write", "", problems);
        if (cfg.get(JobOptions.SCORES_ENABLED)) {
            require(cfg, found, JobOptions.KAFKA_SCORES_TOPIC, "Write", " (scores-enabled is true)", problems);
        }
        problems.addAll(limits);
        String control = cfg.get(JobOptions.KAFKA_CONTROL_TOPIC);
        switch (found.get(JobOptions.KAFKA_CONTROL_TOPIC)) {
            case EXISTS -> require(cfg, found, JobOptions.KAFKA_AUDIT_TOPIC, "Write", " (the control topic '"
                    + control + "' exists, and every applied command writes its audit record there)", problems);
            case MISSING -> LOG.info("Control topic '{}' ({}) does not exist: thresholds stay as they are until it "
                    + "is created; create {} first", control, JobOptions.KAFKA_CONTROL_TOPIC.key(),
                    JobOptions.KAFKA_AUDIT_TOPIC.key());
            // The control source subscribes by pattern and only sees topics it may describe: to the job, this
            // topic is absent, as it was before this check existed; not a reason to refuse the start.
            case NOT_AUTHORIZED -> LOG.warn("The job's Kafka principal may not describe the control topic '{}' "
                    + "({}): no threshold command will be read until it may (grant Read on the topic)", control,
                    JobOptions.KAFKA_CONTROL_TOPIC.key());
        }
        if (!problems.isEmpty()) {
            throw new IllegalArgumentException("Kafka topics or brokers not ready for this job on "
                    + cfg.bootstrapServers() + " (checked before starting; "
                    + JobOptions.KAFKA_TOPIC_CHECK_ENABLED.key() + "=false skips the check):\n  - "
                    + String.join("\n  - ", problems));
        }
        Map<String, Found> byTopic = new LinkedHashMap<>();
        topics.forEach((topic, option) -> byTopic.put(topic, found.get(option)));
        LOG.info("Kafka topics on {}: {}", cfg.bootstrapServers(), byTopic);
    }

    private enum Found { EXISTS, MISSING, NOT_AUTHORIZED }

    private static void require(JobConfig cfg, Map<ConfigOption<String>, Found> found, ConfigOption<String> option,
            String access, String why, List<String> problems) {
        String topic = cfg.get(option);
        switch (found.get(option)) {
            case EXISTS -> {
            }
            case MISSING -> problems.add(option.key() + ": topic '" + topic + "' does not exist" + why
                    + "; create it, or set " + option.key() + " to the topic the job should use");
            case NOT_AUTHORIZED -> problems.add(option.key() + ": the job's Kafka principal may not describe topic '"
                    + topic + "'" + why + "; grant it " + access + " on the topic (" + access + " includes Describe) "
                    + "and check that it exists, or check the credentials in kafka-config / kafka.*");
        }
    }

    private static Admin openAdmin(JobConfig cfg) {
        try {
            return Admin.create(adminProperties(cfg, cfg.get(JobOptions.KAFKA_TOPIC_CHECK_TIMEOUT)));
        } catch (KafkaException e) {
            if (cfg.kafkaSettings().get(SaslConfigs.SASL_JAAS_CONFIG).isPresent() && quotesJaasConfig(e)) {
                // Kafka's parser quotes the offending part of sasl.jaas.config, which may be the password: no
                // message of it, and no cause, since the job prints the stack trace.
                throw new IllegalArgumentException("Cannot check the Kafka topics: Kafka cannot parse "
                        + "sasl.jaas.config (its text is not shown, as it holds credentials). Its form is "
                        + "'<LoginModule class> required key=\"value\" ...;': every value in double quotes (a "
                        + "password with spaces or special characters otherwise breaks it) and a ';' at the end.");
            }
            throw new IllegalArgumentException("Cannot check the Kafka topics: no Kafka client can be created "
                    + "from kafka-bootstrap-servers '" + cfg.bootstrapServers() + "' and the settings of "
                    + "kafka-config / kafka.*: " + explain(e), e);
        }
    }

    /** One describeTopics round trip for all topics; throws if the brokers do not answer it. */
    private static Map<ConfigOption<String>, Found> describe(JobConfig cfg, Admin admin,
            Map<String, ConfigOption<String>> topics, long deadline) {
        Duration timeout = cfg.get(JobOptions.KAFKA_TOPIC_CHECK_TIMEOUT);
        Map<String, KafkaFuture<TopicDescription>> futures = admin.describeTopics(topics.keySet(),
                new DescribeTopicsOptions().timeoutMs((int) timeout.toMillis())).topicNameValues();
        Map<ConfigOption<String>, Found> found = new LinkedHashMap<>();
        for (Map.Entry<String, ConfigOption<String>> topic : topics.entrySet()) {
            found.put(topic.getValue(), outcome(cfg, futures.get(topic.getKey()), deadline));
        }
        return found;
    }

    private static Found outcome(JobConfig cfg, KafkaFuture<TopicDescription> future, long deadline) {
        try {
            future.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            return Found.EXISTS;
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof UnknownTopicOrPartitionException) {
                return Found.MISSING;
            }
            if (cause instanceof TopicAuthorizationException) {
                return Found.NOT_AUTHORIZED;
            }
            throw unanswered(cfg, cause);
        } catch (java.util.concurrent.TimeoutException e) {
            throw unanswered(cfg, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while checking the Kafka topics", e);
        }
    }

    static IllegalArgumentException unanswered(JobConfig cfg, Throwable cause) {
        String servers = "kafka-bootstrap-servers '" + cfg.bootstrapServers() + "'";
        String what = cause instanceof org.apache.kafka.common.errors.TimeoutException
                || cause instanceof java.util.concurrent.TimeoutException
                ? "no answer from " + servers + " within kafka-topic-check-timeout ("
                        + TimeUtils.formatWithHighestUnit(cfg.get(JobOptions.KAFKA_TOPIC_CHECK_TIMEOUT)) + ")"
                : "the request to " + servers + " failed";
        return new IllegalArgumentException("Cannot check the Kafka topics: " + what + ": " + explain(cause)
                + ". Check that the brokers are up and reachable from where the job is started, and the security "
                + "settings in kafka-config / kafka.* (a TLS or SASL mismatch can look like no answer); "
                + JobOptions.KAFKA_TOPIC_CHECK_ENABLED.key() + "=false skips the check.", cause);
    }

    /**
     * Whether Kafka's message comes from its parser of sasl.jaas.config ("Value not specified for key '...' in
     * JAAS config", "JAAS config property contains ..."), which quotes the text; not its "no 'KafkaClient' entry
     * in the JAAS configuration", which says the setting is missing.
     */
    private static boolean quotesJaasConfig(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            String message = t.getMessage();
            if (message != null && (message.contains("in JAAS config") || message.contains("JAAS config property"))
                    && !message.contains("JAAS configuration")) {
                return true;
            }
        }
        return false;
    }

    private static String explain(Throwable e) {
        Throwable root = e;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        String text = e.getClass().getSimpleName() + ": " + e.getMessage();
        return root == e ? text : text + " (" + root.getClass().getSimpleName() + ": " + root.getMessage() + ")";
    }

    /** The job's client settings, secrets in clear: handed to the admin client only, never logged. */
    private static Properties adminProperties(JobConfig cfg, Duration timeout) {
        Properties props = cfg.kafkaSettings().toProperties();
        props.setProperty(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, cfg.bootstrapServers());
        props.putIfAbsent(CommonClientConfigs.CLIENT_ID_CONFIG,
                cfg.get(JobOptions.KAFKA_GROUP_ID).trim() + "-topic-check");
        String millis = Long.toString(timeout.toMillis());
        props.setProperty(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, millis);
        props.setProperty(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, millis);
        return props;
    }
}
