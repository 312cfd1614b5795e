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
    private LocalKafkaBroker broker;

    public LocalKafkaExtension() {
        this(Map.of());
    }

    public LocalKafkaExtension(Map<String, String> brokerConfigOverrides) {
        this.brokerConfigOverrides = Map.copyOf(brokerConfigOverrides);
    }

    @Override
    public void beforeAll(ExtensionContext context) {
        if (broker == null) {
            broker = LocalKafkaBroker.start(brokerConfigOverrides);
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
