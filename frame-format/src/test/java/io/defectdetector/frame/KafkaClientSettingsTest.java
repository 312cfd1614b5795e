package io.defectdetector.frame;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.config.ConfigDef;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class KafkaClientSettingsTest {
    private static final String JAAS = "org.apache.kafka.common.security.scram.ScramLoginModule required "
            + "username=\"detector\" password=\"hunter2-jaas\";";

    @Test
    void overridesWinOverTheFile(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("client.properties");
        Files.writeString(file, "bootstrap.servers=kafka-1:9093\nsecurity.protocol=SASL_SSL\nacks=1\n");
        KafkaClientSettings settings = KafkaClientSettings.load(file, List.of("acks=all", "client.id=a=b"));
        assertThat(settings.toProperties())
                .containsEntry("bootstrap.servers", "kafka-1:9093")
                .containsEntry("security.protocol", "SASL_SSL")
                .containsEntry("acks", "all")
                .containsEntry("client.id", "a=b");
    }

    @Test
    void worksWithoutAFile() {
        KafkaClientSettings settings = KafkaClientSettings.load(null, Map.of("bootstrap.servers", "127.0.0.1:9092"));
        assertThat(settings.get("bootstrap.servers")).contains("127.0.0.1:9092");
    }

    @Test
    void redactsEverySecretButKeepsOrdinarySettingsReadable() {
        KafkaClientSettings settings = KafkaClientSettings.of(Map.of(
                "bootstrap.servers", "kafka-1:9093",
                "sasl.mechanism", "SCRAM-SHA-512",
                "sasl.jaas.config", JAAS,
                "ssl.truststore.password", "hunter2-trust",
                "ssl.key.password", "hunter2-key",
                "ssl.keystore.key", "-----BEGIN PRIVATE KEY-----hunter2-pem",
                "sasl.oauthbearer.client.credentials.client.secret", "hunter2-secret",
                "SASL.LOGIN.TOKEN", "hunter2-token",
                "sasl.oauthbearer.assertion.private.key.passphrase", "hunter2-passphrase"));
        for (String shown : List.of(settings.redacted(), settings.toString())) {
            assertThat(shown).doesNotContain("hunter2")
                    .contains("bootstrap.servers=kafka-1:9093", "sasl.mechanism=SCRAM-SHA-512")
                    .contains("sasl.jaas.config=******", "ssl.truststore.password=******");
        }
        assertThat(settings.toProperties()).containsEntry("sasl.jaas.config", JAAS);
    }

    @Test
    void classifiesSensitiveKeysCaseInsensitively() {
        assertThat(KafkaClientSettings.isSensitive("ssl.keystore.password")).isTrue();
        assertThat(KafkaClientSettings.isSensitive("Sasl.Jaas.Config")).isTrue();
        assertThat(KafkaClientSettings.isSensitive("ssl.key.password")).isTrue();
        assertThat(KafkaClientSettings.isSensitive("bootstrap.servers")).isFalse();
        assertThat(KafkaClientSettings.isSensitive("security.protocol")).isFalse();
    }

    @Test
    void hidesTheValuesOfKeysKafkaDoesNotKnowSuchAsAMisspeltJaasConfig() {
        KafkaClientSettings settings = KafkaClientSettings.of(Map.of(
                "sasl.jaas.confg", "PlainLoginModule required username=\"u\" password=\"hunter2\";",
                "my.plugin.setting", "hunter2-plugin",
                "security.protocol", "SASL_SSL", "client.rack", "eu-1a"));

        assertThat(settings.redacted()).doesNotContain("hunter2")
                .contains("sasl.jaas.confg=******", "my.plugin.setting=******")
                .contains("security.protocol=SASL_SSL", "client.rack=eu-1a");
    }

    @Test
    void hidesEverySettingKafkasClientsDeclareAsAPassword() {
        List<String> passwords = new ArrayList<>();
        for (ConfigDef def : List.of(ProducerConfig.configDef(), ConsumerConfig.configDef(),
                AdminClientConfig.configDef())) {
            def.configKeys().forEach((name, key) -> {
                if (key.type == ConfigDef.Type.PASSWORD) {
                    passwords.add(name);
                }
            });
        }
        assertThat(passwords).contains("sasl.oauthbearer.assertion.private.key.passphrase", "ssl.keystore.password");
        assertThat(passwords).allSatisfy(key -> assertThat(KafkaClientSettings.isSensitive(key)).as(key).isTrue());
    }

    @Test
    void rejectsOverrideWithoutEqualsSignWithoutEchoingIt() {
        assertThatThrownBy(() -> KafkaClientSettings.parseOverrides(List.of("sasl.jaas.config" + JAAS.replace("=", ""))))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageNotContaining("hunter2");
    }

    @Test
    void isImmutable() {
        KafkaClientSettings base = KafkaClientSettings.of(Map.of("acks", "1"));
        KafkaClientSettings changed = base.with("acks", "all");
        base.toProperties().put("acks", "0");
        assertThat(base.get("acks")).contains("1");
        assertThat(changed.get("acks")).contains("all");
    }
}
