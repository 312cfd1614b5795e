package io.defectdetector.job.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.apache.flink.configuration.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class JobOptionsTest {

    private static Configuration conf(String... keyValues) {
        Map<String, String> map = new HashMap<>();
        map.put("kafka-bootstrap-servers", "localhost:9092");
        for (int i = 0; i < keyValues.length; i += 2) {
            map.put(keyValues[i], keyValues[i + 1]);
        }
        return Configuration.fromMap(map);
    }

    @Test
    void defaultsAreValidOnceBootstrapServersAreGiven() {
        assertThatCode(() -> JobOptions.validate(conf())).doesNotThrowAnyException();
        JobConfig cfg = JobConfig.from(conf());
        assertThat(cfg.delivery()).isEqualTo(DeliveryMode.EXACTLY_ONCE);
        assertThat(cfg.get(JobOptions.KAFKA_TRANSACTION_TIMEOUT)).isEqualTo(Duration.ofMinutes(10));
        assertThat(cfg.get(JobOptions.KAFKA_STARTING_OFFSETS)).isEqualTo(StartingOffsets.COMMITTED_OR_EARLIEST);
        assertThat(cfg.transactionalIdPrefix()).isEqualTo("defect-detector");
        assertThat(cfg.frameLimits().maxBytes()).isEqualTo(16 * 1024 * 1024);
    }

    @Test
    void requiresBootstrapServers() {
        assertThatThrownBy(() -> JobOptions.validate(new Configuration()))
                .hasMessageContaining("kafka-bootstrap-servers is required");
        assertThatThrownBy(() -> JobOptions.validate(conf("kafka-bootstrap-servers", "localhost")))
                .hasMessageContaining("kafka-bootstrap-servers: 'localhost' is not host:port");
    }

    @Test
    void topicCheckTimeoutMustBeBetweenOneMillisecondAndAnHour() {
        assertThatThrownBy(() -> JobOptions.validate(conf("kafka-topic-check-timeout", "0 s")))
                .hasMessageContaining("kafka-topic-check-timeout must be between 1 ms and 1 h, got 0 ms");
        assertThatThrownBy(() -> JobOptions.validate(conf("kafka-topic-check-timeout", "2 h")))
                .hasMessageContaining("kafka-topic-check-timeout must be between 1 ms and 1 h, got 2 h");
        assertThat(JobConfig.from(conf("kafka-topic-check-timeout", "5 s")).get(JobOptions.KAFKA_TOPIC_CHECK_TIMEOUT))
                .isEqualTo(Duration.ofSeconds(5));
    }

    @Test
    void refusesAWaitThatLooksLikeMinutesForMilliseconds() {
        assertThatThrownBy(() -> JobOptions.validate(conf("batch-max-wait", "5 min", "network-buffer-timeout", "2 h")))
                .hasMessageContaining("batch-max-wait must be between 0 ms and 1 min (a frame may wait this long "
                        + "for its batch; milliseconds are meant), got 5 min")
                .hasMessageContaining("network-buffer-timeout must be between 0 ms and 1 min")
                .hasMessageContaining("got 2 h");
        assertThatCode(() -> JobOptions.validate(conf("batch-max-wait", "1 min", "network-buffer-timeout", "60 s")))
                .doesNotThrowAnyException();
    }

    @Test
    void rejectsBatchSizeBelowOne() {
        assertThatThrownBy(() -> JobOptions.validate(conf("batch-max-size", "0")))
                .hasMessageContaining("batch-max-size must be between 1 and 4096, got 0");
    }

    @Test
    void rejectsUnknownDeliveryGuaranteeListingTheAllowedValues() {
        assertThatThrownBy(() -> JobOptions.validate(conf("delivery-guarantee", "NONE")))
                .hasMessageContaining("delivery-guarantee: cannot parse 'NONE' as one of [EXACTLY_ONCE, AT_LEAST_ONCE]");
    }

    @Test
    void acceptsDeliveryGuaranteeInAnyCase() {
        assertThat(JobConfig.from(conf("delivery-guarantee", "at_least_once")).delivery())
                .isEqualTo(DeliveryMode.AT_LEAST_ONCE);
    }

    @Test
    void rejectsTransactionTimeoutAboveTheBrokerCap() {
        assertThatThrownBy(() -> JobOptions.validate(conf("kafka-transaction-timeout", "16 min")))
                .hasMessageContaining("kafka-transaction-timeout (16 min) exceeds")
                .hasMessageContaining("kafka-transaction-max-timeout (15 min)");
        assertThatCode(() -> JobOptions.validate(conf("kafka-transaction-timeout", "16 min",
                "kafka-transaction-max-timeout", "30 min"))).doesNotThrowAnyException();
    }

    @Test
    void rejectsTransactionTimeoutNotExceedingCheckpointPlusRestartTime() {
        assertThatThrownBy(() -> JobOptions.validate(conf("kafka-transaction-timeout", "2 min",
                "checkpoint-interval", "30 s", "checkpoint-timeout", "1 min", "restart-max-delay", "30 s")))
                .hasMessageContaining("kafka-transaction-timeout (2 min) must exceed checkpoint-interval + "
                        + "checkpoint-timeout + restart-max-delay (2 min)");
    }

    @Test
    void ignoresTransactionTimeoutForAtLeastOnce() {
        assertThatCode(() -> JobOptions.validate(conf("delivery-guarantee", "AT_LEAST_ONCE",
                "kafka-transaction-timeout", "1 h"))).doesNotThrowAnyException();
    }

    @Test
    void rejectsUnparsableDurationsNamingTheOption() {
        assertThatThrownBy(() -> JobOptions.validate(conf("checkpoint-interval", "soon")))
                .hasMessageContaining("checkpoint-interval: cannot parse 'soon' as a duration");
        assertThatThrownBy(() -> JobOptions.validate(conf("checkpoint-interval", "5 ms")))
                .hasMessageContaining("checkpoint-interval must be at least 10 ms");
    }

    @Test
    void rejectsTopicsThatCollideOrAreInvalid() {
        assertThatThrownBy(() -> JobOptions.validate(conf("kafka-alerts-topic", "frames")))
                .hasMessageContaining("kafka-alerts-topic and kafka-frames-topic are both 'frames'");
        assertThatThrownBy(() -> JobOptions.validate(conf("kafka-scores-topic", "my scores")))
                .hasMessageContaining("kafka-scores-topic: 'my scores' is not a valid Kafka topic name");
    }

    @Test
    void listsEveryProblemAtOnce() {
        assertThatThrownBy(() -> JobOptions.validate(conf("batch-max-size", "0", "inference-intra-op-threads", "0",
                "frame-aspect-tolerance", "-1", "inference-device", "tpu", "parallelism", "0")))
                .hasMessageContaining("batch-max-size")
                .hasMessageContaining("inference-intra-op-threads must be >= 1, got 0")
                .hasMessageContaining("frame-aspect-tolerance must be a finite number >= 0")
                .hasMessageContaining("inference-device: device 'tpu'")
                .hasMessageContaining("parallelism must be between 1 and 32768 (Flink's limit), got 0");
        assertThatThrownBy(() -> JobOptions.validate(conf("parallelism", "100000")))
                .hasMessageContaining("parallelism must be between 1 and 32768 (Flink's limit), got 100000");
    }

    @Test
    void refusesADurationWithoutAUnitInsteadOfReadingMilliseconds() {
        assertThatThrownBy(() -> JobOptions.validate(conf("checkpoint-timeout", "60")))
                .hasMessageContaining("checkpoint-timeout: '60' has no unit; write e.g. '60 s' or '60 ms'");
        assertThatCode(() -> JobOptions.validate(conf("checkpoint-timeout", "60 s", "batch-max-wait", "0 ms")))
                .doesNotThrowAnyException();
        assertThatCode(() -> JobOptions.validate(conf("batch-max-wait", "0"))).as("0 is 0 in any unit")
                .doesNotThrowAnyException();
        assertThatThrownBy(() -> JobOptions.validate(conf("inference-gpu-memory-limit", "2 gigs")))
                .hasMessageContaining("inference-gpu-memory-limit: cannot parse '2 gigs' as a size such as '512mb'");
    }

    @Test
    void refusesAParallelismAboveTheMaxParallelism() {
        assertThatThrownBy(() -> JobOptions.validate(conf("parallelism", "200")))
                .hasMessageContaining("parallelism 200 is above max-parallelism 128");
        assertThatCode(() -> JobOptions.validate(conf("parallelism", "200", "max-parallelism", "256")))
                .doesNotThrowAnyException();
        assertThatThrownBy(() -> JobOptions.validate(conf("max-parallelism", "0")))
                .hasMessageContaining("max-parallelism must be between 1 and 32768 (Flink's limit), got 0");
    }

    @Test
    void refusesKafkaPropertiesThatAJobOptionControls() {
        assertThatThrownBy(() -> JobOptions.validate(conf("kafka.transaction.timeout.ms", "60000")))
                .hasMessageContaining("'transaction.timeout.ms'")
                .hasMessageContaining("kafka-transaction-timeout");
    }

    @Test
    void mergesKafkaConfigFileWithPassThroughPropertiesWhichWin(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("client.properties");
        Files.writeString(file, "security.protocol=SASL_SSL\nsasl.jaas.config=secret-jaas\nclient.rack=a\n");

        JobConfig cfg = JobConfig.from(conf("kafka-config", file.toString(), "kafka.client.rack", "b"));

        assertThat(cfg.kafkaSettings().asMap()).containsEntry("security.protocol", "SASL_SSL")
                .containsEntry("sasl.jaas.config", "secret-jaas").containsEntry("client.rack", "b");
        assertThat(cfg.toString()).doesNotContain("secret-jaas").contains("security.protocol=SASL_SSL");
    }

    @Test
    void clientsDoNotRebootstrapUnlessTheSettingsAskForIt(@TempDir Path dir) throws Exception {
        assertThat(JobConfig.from(conf()).kafkaSettings().asMap())
                .containsEntry("metadata.recovery.strategy", "none");
        Path file = Files.writeString(dir.resolve("client.properties"), "metadata.recovery.strategy=rebootstrap\n");
        assertThat(JobConfig.from(conf("kafka-config", file.toString())).kafkaSettings().asMap())
                .containsEntry("metadata.recovery.strategy", "rebootstrap");
        assertThat(JobConfig.from(conf("kafka.metadata.recovery.strategy", "rebootstrap")).kafkaSettings().asMap())
                .containsEntry("metadata.recovery.strategy", "rebootstrap");
    }

    @Test
    void reportsMissingKafkaConfigFile(@TempDir Path dir) {
        assertThatThrownBy(() -> JobOptions.validate(conf("kafka-config", dir.resolve("nope").toString())))
                .hasMessageContaining("kafka-config: ")
                .hasMessageContaining("is not a readable file");
    }

    @Test
    void explicitTransactionalIdPrefixWinsOverGroupId() {
        assertThat(JobConfig.from(conf("kafka-group-id", "plant-7")).transactionalIdPrefix()).isEqualTo("plant-7");
        assertThat(JobConfig.from(conf("kafka-group-id", "plant-7", "kafka-transactional-id-prefix", "tx"))
                .transactionalIdPrefix()).isEqualTo("tx");
    }

    @Test
    void everyOptionHasADescription() {
        assertThat(JobOptions.all()).hasSizeGreaterThan(25)
                .allSatisfy(o -> assertThat(o.description().toString()).as(o.key()).hasSizeGreaterThan(20));
    }
}
