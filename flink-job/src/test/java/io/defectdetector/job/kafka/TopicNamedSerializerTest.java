package io.defectdetector.job.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import io.defectdetector.job.alerts.AlertJson;
import io.defectdetector.job.alerts.ScoreRecord;
import io.defectdetector.job.config.JobConfig;
import io.defectdetector.job.config.JobOptions;
import io.defectdetector.job.control.ControlKafka;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.connector.kafka.lineage.KafkaDatasetFacet;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;

class TopicNamedSerializerTest {

    @Test
    void namesExactlyItsTopicForTransactionListing() {
        TopicNamedSerializer<ScoreRecord> serializer = TopicNamedSerializer.of(new ScoreSerializer("scores.a"),
                "scores.a");

        KafkaDatasetFacet facet = serializer.getKafkaDatasetFacet().orElseThrow();

        // A pattern, which the sink resolves against existing topics (a missing one is no error), matching only
        // the topic itself: not its prefixes, extensions, or names a '.' wildcard would match.
        Pattern pattern = facet.getTopicIdentifier().getTopicPattern();
        assertThat(facet.getTopicIdentifier().getTopics()).isNull();
        assertThat(List.of("scores.a", "scores-a", "scoresXa", "scores.ab", "xscores.a", "scores."))
                .filteredOn(t -> pattern.matcher(t).matches()).containsExactly("scores.a");
    }

    @Test
    void serializesExactlyAsTheWrappedSerializer() {
        ScoreRecord score = new ScoreRecord();
        score.setCameraId("cam-01");
        score.setFrameId("f-1");
        score.setScore(1.5f);
        ScoreSerializer plain = new ScoreSerializer("scores");

        ProducerRecord<byte[], byte[]> wrapped = TopicNamedSerializer.of(plain, "scores").serialize(score, null, null);
        ProducerRecord<byte[], byte[]> direct = plain.serialize(score, null, null);

        assertThat(wrapped.topic()).isEqualTo("scores");
        assertThat(wrapped.key()).isEqualTo(direct.key());
        assertThat(wrapped.value()).isEqualTo(direct.value());
        assertThat(AlertJson.scoreFromBytes(wrapped.value()).getFrameId()).isEqualTo("f-1");
    }

    @Test
    void exactlyOnceSinksOfTheJobBuildWithPooledTransactionalIds() {
        // The connector refuses POOLING at build time unless the serializer names its topic.
        JobConfig cfg = JobConfig.from(Configuration.fromMap(Map.of(
                JobOptions.KAFKA_BOOTSTRAP_SERVERS.key(), "localhost:9092",
                JobOptions.DELIVERY_GUARANTEE.key(), "EXACTLY_ONCE")));

        assertThat(KafkaOutputSinks.alerts(cfg)).isNotNull();
        assertThat(KafkaOutputSinks.deadLetters(cfg)).isNotNull();
        assertThat(KafkaOutputSinks.scores(cfg)).isNotNull();
        assertThat(ControlKafka.auditSink(cfg)).isNotNull();
        assertThat(ControlKafka.rejectSink(cfg)).isNotNull();
        assertThat(KafkaOutputSinks.TRANSACTION_NAMING.name()).isEqualTo("POOLING");
    }
}
