package io.defectdetector.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.SaslAuthenticationException;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

class LocalKafkaBrokerTest {
    @RegisterExtension
    static final LocalKafkaExtension KAFKA = new LocalKafkaExtension();

    @Test
    void deliversRecordsWithHeadersFromProducerToConsumer() throws Exception {
        LocalKafkaBroker broker = KAFKA.broker();
        broker.createTopic("plain", 2);
        try (KafkaProducer<String, String> producer = producer(broker, null)) {
            for (int i = 0; i < 10; i++) {
                ProducerRecord<String, String> record = new ProducerRecord<>("plain", "cam-" + (i % 2), "v" + i);
                record.headers().add("frame-id", ("f" + i).getBytes(StandardCharsets.UTF_8));
                producer.send(record).get();
            }
        }
        List<ConsumerRecord<String, String>> got = consume(broker, "plain", 10, "read_uncommitted");
        assertThat(got).extracting(ConsumerRecord::value)
                .containsExactlyInAnyOrder("v0", "v1", "v2", "v3", "v4", "v5", "v6", "v7", "v8", "v9");
        assertThat(got).allSatisfy(r -> assertThat(r.headers().lastHeader("frame-id")).isNotNull());
    }

    @Test
    void createTopicIsIdempotent() throws Exception {
        LocalKafkaBroker broker = KAFKA.broker();
        broker.createTopic("twice", 3);
        broker.createTopic("twice", 3);
        assertThat(broker.admin().describeTopics(List.of("twice")).allTopicNames().get().get("twice").partitions())
                .hasSize(3);
    }

    @Test
    void readCommittedConsumerSeesCommittedTransactionsOnly() throws Exception {
        LocalKafkaBroker broker = KAFKA.broker();
        broker.createTopic("tx", 1);
        try (KafkaProducer<String, String> producer = producer(broker, "tx-test-" + UUID.randomUUID())) {
            producer.initTransactions();
            producer.beginTransaction();
            producer.send(new ProducerRecord<>("tx", "k", "aborted-1"));
            producer.send(new ProducerRecord<>("tx", "k", "aborted-2"));
            producer.flush();
            producer.abortTransaction();
            producer.beginTransaction();
            producer.send(new ProducerRecord<>("tx", "k", "committed-1"));
            producer.send(new ProducerRecord<>("tx", "k", "committed-2"));
            producer.commitTransaction();
        }
        assertThat(consume(broker, "tx", 2, "read_committed")).extracting(ConsumerRecord::value)
                .containsExactly("committed-1", "committed-2");
        assertThat(consume(broker, "tx", 4, "read_uncommitted")).extracting(ConsumerRecord::value)
                .contains("aborted-1", "committed-2");
    }

    @Test
    void acceptsRecordsLargerThanStockBrokerLimit() throws Exception {
        LocalKafkaBroker broker = KAFKA.broker();
        broker.createTopic("large", 1);
        String big = "x".repeat(5 * 1024 * 1024);
        try (KafkaProducer<String, String> producer = producer(broker, null)) {
            producer.send(new ProducerRecord<>("large", "k", big)).get();
        }
        assertThat(consume(broker, "large", 1, "read_uncommitted").get(0).value()).hasSize(big.length());
    }

    @Test
    void secondBrokerInSameJvmGetsOwnPortAndCloseDeletesItsData() throws Exception {
        Path dataDir;
        try (LocalKafkaBroker second = LocalKafkaBroker.start()) {
            assertThat(second.bootstrapServers()).isNotEqualTo(KAFKA.bootstrapServers()).startsWith("127.0.0.1:");
            dataDir = second.dataDirectory();
            assertThat(dataDir).isDirectory();
            second.createTopic("only-on-second", 1);
            try (KafkaProducer<String, String> producer = producer(second, null)) {
                producer.send(new ProducerRecord<>("only-on-second", "k", "v")).get();
            }
            assertThat(KAFKA.broker().admin().listTopics().names().get()).doesNotContain("only-on-second");
        }
        assertThat(Files.exists(dataDir)).isFalse();
    }

    @Test
    void startsOnAGivenPortAndExplainsWhenThatPortIsTaken() throws Exception {
        int port;
        try (java.net.ServerSocket probe = new java.net.ServerSocket(0, 1, java.net.InetAddress.getByName("127.0.0.1"))) {
            port = probe.getLocalPort();
        }
        try (LocalKafkaBroker fixed = LocalKafkaBroker.start(port, Map.of())) {
            assertThat(fixed.bootstrapServers()).isEqualTo("127.0.0.1:" + port);
            assertThatThrownBy(() -> LocalKafkaBroker.start(port, Map.of()))
                    .hasMessageContaining("cannot bind Kafka to 127.0.0.1:" + port);
        }
    }

    @Test
    void saslPlainBrokerServesItsUsersAndItsOwnHelpersAndRefusesAWrongPassword() throws Exception {
        try (LocalKafkaBroker sasl = LocalKafkaBroker.startSaslPlain(Map.of("app", "app-secret"), Map.of())) {
            sasl.createTopic("sasl", 1);  // the broker's own admin authenticates
            Properties app = sasl.clientProperties();
            app.put("sasl.jaas.config", LocalKafkaBroker.plainJaasConfig("app", "app-secret"));
            try (Admin admin = Admin.create(app)) {
                assertThat(admin.listTopics().names().get()).contains("sasl");
            }
            Properties wrong = sasl.clientProperties();
            wrong.put("sasl.jaas.config", LocalKafkaBroker.plainJaasConfig("app", "not-the-secret"));
            try (Admin admin = Admin.create(wrong)) {
                assertThat(admin.listTopics().names()).failsWithin(Duration.ofSeconds(30))
                        .withThrowableOfType(ExecutionException.class)
                        .withCauseInstanceOf(SaslAuthenticationException.class);
            }
            Properties plaintext = new Properties();
            plaintext.put("bootstrap.servers", sasl.bootstrapServers());
            plaintext.put("default.api.timeout.ms", "3000");
            plaintext.put("request.timeout.ms", "2000");
            try (Admin admin = Admin.create(plaintext)) {
                assertThat(admin.listTopics().names()).as("a client without SASL")
                        .failsWithin(Duration.ofSeconds(30));
            }
        }
    }

    @Test
    void doesNotCreateTopicsOnDemand() throws Exception {
        Properties props = KAFKA.broker().clientProperties();
        props.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, "1000");
        props.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        props.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(props)) {
            assertThat(producer.send(new ProducerRecord<>("never-created", "k", "v")))
                    .failsWithin(Duration.ofSeconds(10));
        }
        assertThat(KAFKA.broker().admin().listTopics().names().get()).doesNotContain("never-created");
    }

    private static KafkaProducer<String, String> producer(LocalKafkaBroker broker, String transactionalId) {
        Properties props = broker.clientProperties();
        props.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        props.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        props.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, Integer.toString(LocalKafkaBroker.MAX_MESSAGE_BYTES));
        if (transactionalId != null) {
            props.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, transactionalId);
        }
        return new KafkaProducer<>(props);
    }

    private static List<ConsumerRecord<String, String>> consume(LocalKafkaBroker broker, String topic, int expected,
            String isolation) {
        Properties props = broker.clientProperties();
        props.put(ConsumerConfig.GROUP_ID_CONFIG, "test-" + UUID.randomUUID());
        props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, isolation);
        props.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        props.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        List<ConsumerRecord<String, String>> got = new ArrayList<>();
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(props)) {
            consumer.subscribe(List.of(topic));
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (got.size() < expected && System.nanoTime() < deadline) {
                consumer.poll(Duration.ofMillis(200)).forEach(got::add);
            }
            // One more short poll: nothing beyond the expected records may arrive.
            consumer.poll(Duration.ofMillis(300)).forEach(got::add);
        }
        return got;
    }
}
