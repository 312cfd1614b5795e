package io.defectdetector.job.kafka;

import java.io.IOException;
import java.lang.reflect.Field;
import java.time.Duration;
import java.util.Collection;
import org.apache.flink.api.connector.sink2.Committer;
import org.apache.flink.api.connector.sink2.CommitterInitContext;
import org.apache.flink.api.connector.sink2.WriterInitContext;
import org.apache.flink.connector.kafka.sink.KafkaCommittable;
import org.apache.flink.connector.kafka.sink.KafkaSink;
import org.apache.flink.connector.kafka.sink.KafkaWriterState;
import org.apache.flink.connector.kafka.sink.TwoPhaseCommittingStatefulSink;
import org.apache.flink.core.io.SimpleVersionedSerializer;
import org.apache.flink.streaming.api.connector.sink2.CommittableMessage;
import org.apache.flink.streaming.api.connector.sink2.SupportsPostCommitTopology;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.lineage.LineageVertex;
import org.apache.flink.streaming.api.lineage.LineageVertexProvider;
import org.apache.kafka.clients.admin.Admin;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A {@link KafkaSink} with two faults of flink-connector-kafka 5.0.0-2.2 worked around; everything else is the
 * wrapped sink's (writer, committer, state serializers and post-commit topology), so savepoints are unchanged.
 * <ul>
 * <li>Its exactly-once writers do not keep an idle Kafka admin client. With pooled transactional ids the
 * connector's writer ({@code ExactlyOnceKafkaWriter}) opens one at start to list the open transactions it must
 * abort, and never closes it: every writer left one thread and one broker connection behind in the TaskManager,
 * so each failover added as many as the job has sink subtasks (30 after 4 restarts at parallelism 2). The client
 * is used only while the writer starts, so it is closed as soon as the writer is ready.</li>
 * <li>A checkpoint's transaction whose producer id the brokers no longer know does not fail the job over and over
 * ({@link ExpiredTransactionCommitter}).</li>
 * </ul>
 */
public final class PatchedKafkaSink<IN> implements TwoPhaseCommittingStatefulSink<IN, KafkaWriterState,
        KafkaCommittable>, SupportsPostCommitTopology<KafkaCommittable>, LineageVertexProvider {
    private static final long serialVersionUID = 1L;
    private static final Logger LOG = LoggerFactory.getLogger(PatchedKafkaSink.class);
    static final String ADMIN_FIELD = "adminClient";

    private final KafkaSink<IN> sink;

    public PatchedKafkaSink(KafkaSink<IN> sink) {
        this.sink = sink;
    }

    @Override
    public PrecommittingStatefulSinkWriter<IN, KafkaWriterState, KafkaCommittable> createWriter(
            WriterInitContext context) throws IOException {
        return withoutIdleAdmin(sink.createWriter(context));
    }

    @Override
    public PrecommittingStatefulSinkWriter<IN, KafkaWriterState, KafkaCommittable> restoreWriter(
            WriterInitContext context, Collection<KafkaWriterState> recoveredState) throws IOException {
        return withoutIdleAdmin(sink.restoreWriter(context, recoveredState));
    }

    @Override
    public SimpleVersionedSerializer<KafkaWriterState> getWriterStateSerializer() {
        return sink.getWriterStateSerializer();
    }

    @Override
    public Committer<KafkaCommittable> createCommitter(CommitterInitContext context) throws IOException {
        return new ExpiredTransactionCommitter(sink.createCommitter(context));
    }

    @Override
    public SimpleVersionedSerializer<KafkaCommittable> getCommittableSerializer() {
        return sink.getCommittableSerializer();
    }

    @Override
    public void addPostCommitTopology(DataStream<CommittableMessage<KafkaCommittable>> committables) {
        sink.addPostCommitTopology(committables);
    }

    @Override
    public LineageVertex getLineageVertex() {
        return sink.getLineageVertex();
    }

    /** Closes the writer's admin client, which it keeps after its start (the only time it uses it). */
    static <W> W withoutIdleAdmin(W writer) {
        Field field = adminField(writer.getClass());
        if (field == null) { // at-least-once and none: no admin client; a newer connector may have moved it
            return writer;
        }
        try {
            field.setAccessible(true);
            if (field.get(writer) instanceof Admin admin) {
                field.set(writer, null); // a later use would open a new one rather than use a closed one
                admin.close(Duration.ofSeconds(5));
            }
        } catch (ReflectiveOperationException | RuntimeException e) {
            LOG.warn("Could not close the Kafka sink writer's admin client (one idle client is left per writer): {}",
                    e.toString());
        }
        return writer;
    }

    private static Field adminField(Class<?> type) {
        for (Class<?> c = type; c != null; c = c.getSuperclass()) {
            for (Field f : c.getDeclaredFields()) {
                if (f.getName().equals(ADMIN_FIELD) && Admin.class.isAssignableFrom(f.getType())) {
                    return f;
                }
            }
        }
        return null;
    }
}
