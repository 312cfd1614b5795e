package io.defectdetector.kafka;

import java.util.Map;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * One {@link LocalKafkaBroker} per test class:
 * {@code @RegisterExtension static final LocalKafkaExtension KAFKA = new LocalKafkaExtension();}
 * Started before the first test, stopped (data deleted) after the last. Tests share it, so each should use its
 * own topic names.
 */
public final class LocalKafkaExtension implements BeforeAllCallback, AfterAllCallback {
    private final Map<String, String> brokerConfigOverrides;
    /** Null for a PLAINTEXT broker. */
    private final Map<String, String> saslPlainUsers;
    private LocalKafkaBroker broker;

    public LocalKafkaExtension() {
        this(Map.of());
    }

    public LocalKafkaExtension(Map<String, String> brokerConfigOverrides) {
        this(brokerConfigOverrides, null);
    }

    private LocalKafkaExtension(Map<String, String> brokerConfigOverrides, Map<String, String> saslPlainUsers) {
        this.brokerConfigOverrides = Map.copyOf(brokerConfigOverrides);
        this.saslPlainUsers = saslPlainUsers == null ? null : Map.copyOf(saslPlainUsers);
    }

    /** A broker whose clients must authenticate with SASL/PLAIN, as {@link LocalKafkaBroker#startSaslPlain}. */
    public static LocalKafkaExtension saslPlain(Map<String, String> users) {
        return new LocalKafkaExtension(Map.of(), users);
    }

    @Override
    public void beforeAll(ExtensionContext context) {
        if (broker == null) {
            broker = saslPlainUsers == null ? LocalKafkaBroker.start(brokerConfigOverrides)
                    : LocalKafkaBroker.startSaslPlain(saslPlainUsers, brokerConfigOverrides);
        }
    }

    @Override
    public void afterAll(ExtensionContext context) {
        if (broker != null) {
            broker.close();
            broker = null;
        }
    }

    /** The running broker; only between beforeAll and afterAll. */
    public LocalKafkaBroker broker() {
        if (broker == null) {
            throw new IllegalStateException("local Kafka is not running: register the extension on a static field "
                    + "and use it inside tests");
        }
        return broker;
    }

    public String bootstrapServers() {
        return broker().bootstrapServers();
    }
}
