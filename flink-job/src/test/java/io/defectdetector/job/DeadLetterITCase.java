package io.defectdetector.job;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.defectdetector.frame.FrameHeaders;
import io.defectdetector.frame.RejectReason;
import io.defectdetector.job.alerts.AlertJson;
import io.defectdetector.job.alerts.DefectAlert;
import io.defectdetector.job.alerts.ScoreRecord;
import io.defectdetector.job.config.JobConfig;
import io.defectdetector.job.kafka.TopicPreflight;
import io.defectdetector.job.testing.MalformedFrames;
import io.defectdetector.job.testing.PipelineTestSupport;
import io.defectdetector.job.testing.PipelineTestSupport.Topics;
import io.defectdetector.kafka.LocalKafkaExtension;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.flink.api.common.JobStatus;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.runtime.minicluster.MiniCluster;
import org.apache.flink.test.junit5.InjectMiniCluster;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.header.Header;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** (b) Malformed records of every kind go to the dead-letter topic while the job keeps scoring good frames. */
class DeadLetterITCase {
    @RegisterExtension
    static final LocalKafkaExtension KAFKA = new LocalKafkaExtension();
    @RegisterExtension
    static final MiniClusterExtension FLINK = new MiniClusterExtension(PipelineTestSupport::twoTaskManagers);

    private static final int GOOD_FRAMES = 20;

    @Test
    void sendsEachMalformedRecordUnchangedToTheDeadLetterTopicAndKeepsProcessingGoodFrames(
            @InjectMiniCluster MiniCluster cluster) throws Exception {
        Topics topics = Topics.withPrefix("dlq");
        topics.create(KAFKA.broker(), 2);
        JobConfig cfg = PipelineTestSupport.config(KAFKA.broker(), "dlq", topics,
                PipelineTestSupport.defaultModel(), Map.of("frame-max-bytes", MalformedFrames.MAX_BYTES + "b"));

        JobClient job = PipelineTestSupport.startKafkaJob(cfg, "dead-letter-it");
        try {
            Map<RejectReason, ProducerRecord<byte[], byte[]>> bad = MalformedFrames.oneOfEach(topics.frames(), "cam-1");
            List<String> goodIds = new ArrayList<>();
            try (KafkaProducer<byte[], byte[]> producer = PipelineTestSupport.producer(KAFKA.broker())) {
                for (ProducerRecord<byte[], byte[]> record : bad.values()) {
                    producer.send(record).get();
                }
                // Good frames only after every bad one is in: they prove the job survived the bad ones.
                for (int i = 0; i < GOOD_FRAMES; i++) {
                    String id = "good-" + i;
                    producer.send(MalformedFrames.good(topics.frames(), "cam-" + (i % 3), id, 256, 256));
                    goodIds.add(id);
                }
                producer.flush();
            }

            List<ConsumerRecord<byte[], byte[]>> dead = PipelineTestSupport.readCommitted(KAFKA.broker(),
                    topics.deadLetter(), r -> r.size() >= bad.size(), Duration.ofSeconds(90), Duration.ofSeconds(2));
            assertThat(dead).hasSize(RejectReason.values().length);
            Map<RejectReason, ConsumerRecord<byte[], byte[]>> byReason = new EnumMap<>(RejectReason.class);
            for (ConsumerRecord<byte[], byte[]> letter : dead) {
                byReason.put(RejectReason.valueOf(header(letter, FrameHeaders.DLQ_REASON)), letter);
            }
            assertThat(byReason).containsOnlyKeys(RejectReason.values());
            for (Map.Entry<RejectReason, ConsumerRecord<byte[], byte[]>> e : byReason.entrySet()) {
                ConsumerRecord<byte[], byte[]> letter = e.getValue();
                ProducerRecord<byte[], byte[]> sent = bad.get(e.getKey());
                String what = e.getKey().name();
                assertThat(letter.key()).as(what).isEqualTo(sent.key());
                assertThat(letter.value()).as(what).isEqualTo(sent.value());
                List<Header> headers = Arrays.asList(letter.headers().toArray());
                List<Header> sentHeaders = Arrays.asList(sent.headers().toArray());
                assertThat(headers.subList(0, sentHeaders.size())).as(what).isEqualTo(sentHeaders);
                assertThat(header(letter, FrameHeaders.DLQ_DETAIL)).as(what).isNotBlank();
                assertThat(header(letter, FrameHeaders.DLQ_SOURCE_TOPIC)).as(what).isEqualTo(topics.frames());
                assertThat(Integer.parseInt(header(letter, FrameHeaders.DLQ_SOURCE_PARTITION))).as(what)
                        .isBetween(0, 1);
                assertThat(Long.parseLong(header(letter, FrameHeaders.DLQ_SOURCE_OFFSET))).as(what)
                        .isNotNegative();
                assertThat(Long.parseLong(header(letter, FrameHeaders.DLQ_TIME))).as(what).isPositive();
            }
            System.out.println("Dead letters: " + byReason.entrySet().stream()
                    .map(e -> e.getKey() + " (" + header(e.getValue(), FrameHeaders.DLQ_DETAIL) + ")").toList());

            List<ConsumerRecord<byte[], byte[]>> scores = PipelineTestSupport.readCommitted(KAFKA.broker(),
                    topics.scores(), r -> r.size() >= GOOD_FRAMES, Duration.ofSeconds(90), Duration.ofSeconds(1));
            assertThat(scores).extracting(r -> AlertJson.scoreFromBytes(r.value()))
                    .extracting(ScoreRecord::getFrameId)
                    .containsExactlyInAnyOrderElementsOf(goodIds);

            // Well-formed is not the same as a view of the product: these flat grey frames are what a covered
            // lens sends, outside the default model's input range. Each camera alerts with cause "frame" on its
            // first (they all fall within input-range-alert-interval); every one is marked in its score record.
            assertThat(scores).extracting(r -> AlertJson.scoreFromBytes(r.value())).allSatisfy(
                    s -> assertThat(s.getCause()).isEqualTo(DefectAlert.CAUSE_FRAME));
            List<DefectAlert> alerts = PipelineTestSupport.readCommitted(KAFKA.broker(), topics.alerts(),
                    r -> r.size() >= 3, Duration.ofSeconds(60), Duration.ofSeconds(1)).stream()
                    .map(r -> AlertJson.fromBytes(r.value())).toList();
            assertThat(alerts).extracting(DefectAlert::getFrameId).containsExactlyInAnyOrder("good-0", "good-1",
                    "good-2");
            assertThat(alerts).allSatisfy(a -> {
                assertThat(a.getCause()).isEqualTo(DefectAlert.CAUSE_FRAME);
                assertThat(a.getInputLevel()).isCloseTo(128 / 255.0, within(1e-6));
                assertThat(a.getInputSpread()).isCloseTo(Math.log(1e-6), within(1e-6));
            });

            assertThat(job.getJobStatus().get()).isEqualTo(JobStatus.RUNNING);
            assertThat(cluster.getExecutionGraph(job.getJobID()).get().getFailureInfo())
                    .as("the job never failed or restarted").isNull();
        } finally {
            job.cancel().get();
        }
    }

    /**
     * Rejected frames above the producer's default max.request.size (1 MiB): one within dead-letter-max-bytes
     * arrives whole, a larger one without its value; neither fails the job, which would replay it forever.
     */
    @Test
    void largeRejectedFramesReachTheDeadLetterTopicWithoutFailingTheJob(@InjectMiniCluster MiniCluster cluster)
            throws Exception {
        Topics topics = Topics.withPrefix("big-dlq");
        topics.create(KAFKA.broker(), 1);
        JobConfig cfg = PipelineTestSupport.config(KAFKA.broker(), "big-dlq", topics,
                PipelineTestSupport.defaultModel(), Map.of("dead-letter-max-bytes", "4mb"));

        JobClient job = PipelineTestSupport.startKafkaJob(cfg, "large-dead-letters-it");
        try {
            // 2 MiB, 8:1 (WRONG_SHAPE for the square model); 6 MiB, 12:1: both under frame-max-bytes (16 MiB).
            ProducerRecord<byte[], byte[]> whole = MalformedFrames.good(topics.frames(), "cam-1", "wide", 4096, 512);
            ProducerRecord<byte[], byte[]> cut = MalformedFrames.good(topics.frames(), "cam-1", "wider", 8448, 704);
            try (KafkaProducer<byte[], byte[]> producer = PipelineTestSupport.producer(KAFKA.broker())) {
                producer.send(whole).get();
                producer.send(cut).get();
                producer.send(MalformedFrames.good(topics.frames(), "cam-1", "after", 256, 256)).get();
            }

            Map<String, ConsumerRecord<byte[], byte[]>> byFrame = deadLettersByFrameId(topics, "wide", "wider");
            ConsumerRecord<byte[], byte[]> first = byFrame.get("wide");
            assertThat(first.value()).isEqualTo(whole.value());
            assertThat(header(first, FrameHeaders.DLQ_OMITTED)).isNull();
            ConsumerRecord<byte[], byte[]> second = byFrame.get("wider");
            assertThat(header(second, FrameHeaders.DLQ_REASON)).isEqualTo(RejectReason.WRONG_SHAPE.name());
            assertThat(second.value()).isNull();
            assertThat(header(second, FrameHeaders.DLQ_OMITTED)).isEqualTo("value=" + cut.value().length);

            List<ConsumerRecord<byte[], byte[]>> scores = PipelineTestSupport.readCommitted(KAFKA.broker(),
                    topics.scores(), r -> !r.isEmpty(), Duration.ofSeconds(90), Duration.ofSeconds(1));
            assertThat(scores).extracting(r -> AlertJson.scoreFromBytes(r.value()).getFrameId())
                    .containsExactly("after");
            assertThat(cluster.getExecutionGraph(job.getJobID()).get().getFailureInfo())
                    .as("the job never failed or restarted").isNull();
        } finally {
            job.cancel().get();
        }
    }

    /**
     * The default settings against a dead-letter topic of a stock broker's size (max.message.bytes 1 MiB + 12):
     * a rejected frame just under dead-letter-max-bytes (960 KiB) is accepted whole by the broker, a 3 MiB one
     * arrives without its value.
     */
    @Test
    void withTheDefaultsAStockSizedDeadLetterTopicTakesEveryDeadLetter(@InjectMiniCluster MiniCluster cluster)
            throws Exception {
        Topics topics = Topics.withPrefix("stock-dlq");
        topics.create(KAFKA.broker(), 1);
        try (Admin admin = Admin.create(KAFKA.broker().clientProperties())) {
            admin.incrementalAlterConfigs(Map.of(new ConfigResource(ConfigResource.Type.TOPIC, topics.deadLetter()),
                    List.of(new AlterConfigOp(new ConfigEntry(TopicConfig.MAX_MESSAGE_BYTES_CONFIG, "1048588"),
                            AlterConfigOp.OpType.SET)))).all().get();
        }
        JobConfig cfg = PipelineTestSupport.config(KAFKA.broker(), "stock-dlq", topics,
                PipelineTestSupport.defaultModel(), Map.of());
        TopicPreflight.check(cfg);
        JobClient job = PipelineTestSupport.startKafkaJob(cfg, "stock-dead-letters-it");
        try {
            // 4:1 frames (WRONG_SHAPE): 960,000 bytes, whole; 3 MiB, without its value.
            ProducerRecord<byte[], byte[]> nearLimit = MalformedFrames.good(topics.frames(), "cam-1", "near", 1960,
                    490);
            ProducerRecord<byte[], byte[]> large = MalformedFrames.good(topics.frames(), "cam-1", "large", 3072, 1024);
            try (KafkaProducer<byte[], byte[]> producer = PipelineTestSupport.producer(KAFKA.broker())) {
                producer.send(nearLimit).get();
                producer.send(large).get();
            }
            Map<String, ConsumerRecord<byte[], byte[]>> byFrame = deadLettersByFrameId(topics, "near", "large");
            assertThat(byFrame.get("near").value()).isEqualTo(nearLimit.value());
            assertThat(byFrame.get("large").value()).isNull();
            assertThat(header(byFrame.get("large"), FrameHeaders.DLQ_OMITTED)).isEqualTo("value=" + 3072 * 1024);
            assertThat(cluster.getExecutionGraph(job.getJobID()).get().getFailureInfo())
                    .as("the job never failed or restarted").isNull();
        } finally {
            job.cancel().get();
        }
    }

    /** The dead letters, once exactly those of these frame ids are there (each once), by frame id. */
    private static Map<String, ConsumerRecord<byte[], byte[]>> deadLettersByFrameId(Topics topics,
            String... frameIds) {
        List<ConsumerRecord<byte[], byte[]>> dead = PipelineTestSupport.readCommitted(KAFKA.broker(),
                topics.deadLetter(), r -> r.size() >= frameIds.length, Duration.ofSeconds(90), Duration.ofSeconds(2));
        assertThat(dead).hasSize(frameIds.length);
        Map<String, ConsumerRecord<byte[], byte[]>> byFrame = new HashMap<>();
        dead.forEach(letter -> byFrame.put(header(letter, FrameHeaders.FRAME_ID), letter));
        assertThat(byFrame).containsOnlyKeys(frameIds);
        return byFrame;
    }

    private static String header(ConsumerRecord<byte[], byte[]> record, String name) {
        Header h = record.headers().lastHeader(name);
        return h == null ? null : new String(h.value(), StandardCharsets.UTF_8);
    }
}
