package io.defectdetector.job.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Kafka client properties the sources and sinks would refuse (the topic check's admin client reads only its own)
 * stop the start, naming the property and never its value.
 */
class KafkaPropertyCheckTest {
    private static final String SECRET = "S3cr3t-value";

    @Test
    void valuesTheClientsRefuseAreNamedWithoutTheValue() {
        Map<String, String> props = new LinkedHashMap<>();
        props.put("compression.type", "brotli" + SECRET);     // producer only
        props.put("isolation.level", "read_uncommited");     // consumer only
        props.put("request.timeout.ms", SECRET);             // not a number
        assertThat(KafkaPropertyCheck.problems(props)).hasSize(3)
                .anySatisfy(p -> assertThat(p).startsWith("Kafka property 'compression.type' has a value the Kafka "
                        + "clients refuse").contains("[none, gzip, snappy, lz4, zstd]"))
                .anySatisfy(p -> assertThat(p).startsWith("Kafka property 'isolation.level'"))
                .anySatisfy(p -> assertThat(p).startsWith("Kafka property 'request.timeout.ms'")
                        .endsWith("expected: int [0,...] (Not a number of type INT)"))
                .allSatisfy(p -> assertThat(p).doesNotContain(SECRET).doesNotContain("uncommited"));
    }

    @Test
    void kafkasReasonIsGivenWhereItDoesNotQuoteTheValue() {
        Map<String, String> props = new LinkedHashMap<>();
        props.put("ssl.enabled.protocols", "TLSv1.3,TLSv1.3");
        props.put("acks", SECRET);
        // a value written to look like Kafka's own message around it
        props.put("request.timeout.ms", "x for configuration request.timeout.ms: " + SECRET);
        assertThat(KafkaPropertyCheck.problems(props)).hasSize(3)
                .anySatisfy(p -> assertThat(p).startsWith("Kafka property 'request.timeout.ms'")
                        .endsWith("expected: int [0,...] (Not a number of type INT)"))
                .anySatisfy(p -> assertThat(p).startsWith("Kafka property 'ssl.enabled.protocols'")
                        .endsWith("expected: list (Configuration 'ssl.enabled.protocols' values must not be "
                                + "duplicated.)"))
                .anySatisfy(p -> assertThat(p).startsWith("Kafka property 'acks'").endsWith("[all, -1, 0, 1]"))
                .allSatisfy(p -> assertThat(p).doesNotContain(SECRET));
    }

    @Test
    void aNearMissOfAClientSettingOrABareWordIsATypo() {
        assertThat(KafkaPropertyCheck.problems(Map.of("sasl.jaas.confg", SECRET))).singleElement()
                .isEqualTo("Kafka property 'sasl.jaas.confg' is not a Kafka client setting; did you mean "
                        + "'sasl.jaas.config'?");
        assertThat(KafkaPropertyCheck.problems(Map.of("hunter2", ""))).singleElement().asString()
                .contains("a kafka-config line without '='").contains("not shown").doesNotContain("hunter2");
        assertThat(KafkaPropertyCheck.problems(Map.of("", "x"))).singleElement().asString()
                .contains("empty name");
    }

    @Test
    void validSettingsPluginsOwnAndTheConnectorsAreAccepted() {
        Map<String, String> props = new LinkedHashMap<>();
        props.put("security.protocol", "SASL_SSL");
        props.put("sasl.mechanism", "SCRAM-SHA-512");
        props.put("sasl.jaas.config", "org.apache.kafka.common.security.scram.ScramLoginModule required "
                + "username=\"u\" password=\"" + SECRET + "\";");
        props.put("ssl.truststore.password", SECRET);
        props.put("compression.type", "zstd");
        props.put("linger.ms", "5");
        props.put("client.rack", "r1");
        props.put("partition.discovery.interval.ms", "30000");   // the Flink Kafka source's own
        props.put("awsmsk.iam.role.session.name", "job");        // a plugin's, far from any client setting
        // a login callback that may exist only in the cluster's lib/: not loaded here
        props.put("sasl.client.callback.handler.class", "software.amazon.msk.auth.iam.IAMClientCallbackHandler");
        props.put("config.providers", "file");                   // config providers and their references
        props.put("config.providers.file.class", "org.apache.kafka.common.config.provider.FileConfigProvider");
        props.put("request.timeout.ms", "${file:/etc/kafka/client-timeouts.properties:request}");
        assertThat(KafkaPropertyCheck.problems(props)).isEmpty();
    }

    @Test
    void theJobsOptionsRunTheCheck() {
        assertThatThrownBy(() -> JobArguments.parse(new String[] {"--kafka-bootstrap-servers", "b:1",
            "--kafka.compression.type", "brotli"}))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("Kafka property 'compression.type' has a value the Kafka clients refuse");
    }

    @Test
    void aStrayArgumentAfterAKafkaValueIsNotEchoed() {
        assertThatThrownBy(() -> JobArguments.parse(new String[] {"--kafka-bootstrap-servers", "b:1",
            "--kafka.ssl.truststore.password", "first", SECRET}))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("unexpected argument after the value of --kafka.ssl.truststore.password")
                .hasMessageContaining("quote a value that has spaces")
                .hasMessageNotContaining(SECRET);
    }
}
