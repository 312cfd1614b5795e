package io.defectdetector.job.kafka;

import java.util.Objects;
import java.util.Optional;
import java.util.regex.Pattern;
import org.apache.flink.api.common.serialization.SerializationSchema;
import org.apache.flink.connector.kafka.lineage.DefaultKafkaDatasetFacet;
import org.apache.flink.connector.kafka.lineage.DefaultKafkaDatasetIdentifier;
import org.apache.flink.connector.kafka.lineage.KafkaDatasetFacet;
import org.apache.flink.connector.kafka.lineage.KafkaDatasetFacetProvider;
import org.apache.flink.connector.kafka.sink.KafkaRecordSerializationSchema;
import org.apache.kafka.clients.producer.ProducerRecord;

/**
 * A record serializer that also names the topic it writes to. The exactly-once sinks reuse a small pool of
 * transactional ids ({@code TransactionNamingStrategy.POOLING}); after a restart they find the transactions a
 * predecessor left open by listing the open transactions on their topics, so the sink must know its topic.
 * A topic that does not exist yet has none, so the sink also starts before its topic is created.
 * Serialization itself is the wrapped serializer's.
 */
public final class TopicNamedSerializer<T> implements KafkaRecordSerializationSchema<T>, KafkaDatasetFacetProvider {
    private static final long serialVersionUID = 1L;

    private final KafkaRecordSerializationSchema<T> delegate;
    private final String topic;

    private TopicNamedSerializer(KafkaRecordSerializationSchema<T> delegate, String topic) {
        this.delegate = Objects.requireNonNull(delegate, "delegate");
        this.topic = Objects.requireNonNull(topic, "topic");
    }

    public static <T> TopicNamedSerializer<T> of(KafkaRecordSerializationSchema<T> serializer, String topic) {
        return new TopicNamedSerializer<>(serializer, topic);
    }

    public String topic() {
        return topic;
    }

    @Override
    public void open(SerializationSchema.InitializationContext context, KafkaSinkContext sinkContext)
            throws Exception {
        delegate.open(context, sinkContext);
    }

    @Override
    public ProducerRecord<byte[], byte[]> serialize(T element, KafkaSinkContext context, Long timestamp) {
        return delegate.serialize(element, context, timestamp);
    }

    @Override
    public Optional<KafkaDatasetFacet> getKafkaDatasetFacet() {
        // An exact-match pattern rather than the name: the sink resolves a pattern against the topics that exist, so
        // a topic created after the start (the audit topic may be) has no open transactions instead of failing the
        // writer's start, as describing a missing named topic does.
        return Optional.of(new DefaultKafkaDatasetFacet(
                DefaultKafkaDatasetIdentifier.ofPattern(Pattern.compile(Pattern.quote(topic)))));
    }
}
