package io.defectdetector.factory.camera;

import io.defectdetector.frame.KafkaClientSettings;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * Producer properties for frames: throughput defaults first, then the user's settings (file, overrides — SASL,
 * TLS, anything), which win; the byte-array serializers are always ours.
 *
 * <ul>
 *   <li>{@code acks=all} + idempotence: a frame is the evidence a detection is scored against; losing or
 *       duplicating frames silently on a retry would corrupt both the alerts and the ground truth. On one broker
 *       it costs nothing measurable; on a replicated cluster it is the durable choice, and batching recovers
 *       the throughput.</li>
 *   <li>{@code batch.size} 512 KiB: a 256x256 gray frame is 64 KiB, so the 16 KiB default would send every frame
 *       alone; 512 KiB still fits a stock broker's 1 MiB {@code message.max.bytes}.</li>
 *   <li>{@code linger.ms} 5: at low rates at most 5 ms of added latency; at high rates batches fill first.</li>
 *   <li>{@code compression.type} none: raw pixels with sensor noise barely compress and PNG/JPEG already are;
 *       on a 2-core box the CPU is better spent producing. Override for slow links.</li>
 *   <li>{@code max.request.size} 17 MiB: frames up to the wire format's 16 MiB limit (the broker and topic must
 *       allow them too), {@code buffer.memory} 128 MiB to ride out broker hiccups without blocking.</li>
 * </ul>
 */
public final class ProducerSettings {
    private ProducerSettings() {
    }

    public static Map<String, String> defaults() {
        Map<String, String> d = new LinkedHashMap<>();
        d.put(ProducerConfig.ACKS_CONFIG, "all");
        d.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
        d.put(ProducerConfig.LINGER_MS_CONFIG, "5");
        d.put(ProducerConfig.BATCH_SIZE_CONFIG, Integer.toString(512 * 1024));
        d.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, "none");
        d.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, Integer.toString(17 * 1024 * 1024));
        d.put(ProducerConfig.BUFFER_MEMORY_CONFIG, Long.toString(128L * 1024 * 1024));
        d.put(ProducerConfig.CLIENT_ID_CONFIG, "camera-simulator");
        return d;
    }

    public static Properties build(KafkaClientSettings user) {
        Properties props = new Properties();
        props.putAll(defaults());
        props.putAll(user.asMap());
        if (!props.containsKey(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG)) {
            throw new IllegalArgumentException("bootstrap.servers is not set (give --bootstrap-servers or put it in "
                    + "the Kafka config file)");
        }
        props.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        props.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        return props;
    }
}
