package io.defectdetector.job.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.Map;
import org.apache.flink.configuration.Configuration;
import org.junit.jupiter.api.Test;

class JobArgumentsTest {

    @Test
    void takesSpaceAndEqualsFormsAndBareBooleans() {
        JobConfig cfg = JobArguments.parse(new String[] {
            "--kafka-bootstrap-servers", "broker:9092", "--batch-max-size=4", "--scores-enabled",
            "--checkpoint-interval", "500 ms", "--alerts-thumbnails-enabled", "false"});

        assertThat(cfg.bootstrapServers()).isEqualTo("broker:9092");
        assertThat(cfg.get(JobOptions.BATCH_MAX_SIZE)).isEqualTo(4);
        assertThat(cfg.get(JobOptions.SCORES_ENABLED)).isTrue();
        assertThat(cfg.get(JobOptions.ALERTS_THUMBNAILS_ENABLED)).isFalse();
        assertThat(cfg.get(JobOptions.CHECKPOINT_INTERVAL)).isEqualTo(Duration.ofMillis(500));
    }

    @Test
    void passesKafkaPropertiesThroughInBothForms() {
        JobConfig cfg = JobArguments.parse(new String[] {
            "--kafka-bootstrap-servers", "b:1", "--kafka-property", "security.protocol=SASL_SSL",
            "--kafka-property", "sasl.jaas.config=org.Foo required password=\"p=w\";",
            "--kafka.client.rack", "rack-1"});

        assertThat(cfg.kafkaSettings().asMap())
                .containsEntry("security.protocol", "SASL_SSL")
                .containsEntry("sasl.jaas.config", "org.Foo required password=\"p=w\";")
                .containsEntry("client.rack", "rack-1");
        assertThat(cfg.toString()).doesNotContain("p=w");
    }

    @Test
    void rejectsUnknownOptionWithASuggestion() {
        assertThatThrownBy(() -> JobArguments.parse(new String[] {"--batch-max-sise", "4"}))
                .hasMessageContaining("unknown option --batch-max-sise; did you mean --batch-max-size?");
    }

    @Test
    void rejectsMissingValueAndRepeatedOption() {
        assertThatThrownBy(() -> JobArguments.parse(new String[] {"--model-path"}))
                .hasMessageContaining("--model-path needs a value");
        assertThatThrownBy(() -> JobArguments.parse(new String[] {"--model-path", "a", "--model-path", "b"}))
                .hasMessageContaining("--model-path is given more than once");
    }

    @Test
    void neverEchoesAMalformedKafkaProperty() {
        assertThatThrownBy(() -> JobArguments.parse(new String[] {"--kafka-property", "hunter2"}))
                .hasMessageNotContaining("hunter2");
    }

    @Test
    void reportsInvalidValuesNamingTheOption() {
        assertThatThrownBy(() -> JobArguments.parse(new String[] {
            "--kafka-bootstrap-servers", "b:1", "--kafka-transaction-timeout", "20 min"}))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("kafka-transaction-timeout (20 min) exceeds");
    }

    @Test
    void usageListsEveryOptionWithItsDefault() {
        String usage = JobArguments.usage();
        for (var option : JobOptions.all()) {
            assertThat(usage).contains("--" + option.key() + " (default " + JobOptions.describeDefault(option));
        }
    }

    @Test
    void aMisspeltJobOptionInTheFlinkConfigurationIsRefusedNotIgnored() {
        Configuration cluster = Configuration.fromMap(Map.of("batch-max-sise", "4", "my-own-key", "x",
                "taskmanager.numberOfTaskSlots", "2"));
        assertThatThrownBy(() -> JobArguments.parse(new String[] {"--kafka-bootstrap-servers", "k:9092"}, cluster))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("Flink configuration key 'batch-max-sise' is not a job option; did you mean "
                        + "batch-max-size?");
        Configuration fine = Configuration.fromMap(Map.of("batch-max-size", "4", "my-own-key", "x"));
        assertThat(JobArguments.parse(new String[] {"--kafka-bootstrap-servers", "k:9092"}, fine)
                .get(JobOptions.BATCH_MAX_SIZE)).isEqualTo(4);
    }
}
