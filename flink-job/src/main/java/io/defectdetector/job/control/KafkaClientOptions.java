package io.defectdetector.job.control;

import io.defectdetector.frame.KafkaClientSettings;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import picocli.CommandLine.Option;

/** The Kafka connection options the threshold tools share (a picocli mixin): brokers and the job's client settings. */
public final class KafkaClientOptions {
    @Option(names = "--bootstrap-servers", required = true, paramLabel = "HOST:PORT",
            description = "The Kafka cluster of the job.")
    String bootstrapServers;

    @Option(names = "--kafka-config", paramLabel = "FILE",
            description = "Kafka client properties (security settings), as the job's kafka-config.")
    Path kafkaConfig;

    @Option(names = "--kafka-property", paramLabel = "KEY=VALUE",
            description = "A Kafka client property overriding the file; repeatable.")
    List<String> kafkaProperties = new ArrayList<>();

    /** Client properties: the file, then the overrides, then the brokers. */
    Properties properties() {
        Properties props = KafkaClientSettings.load(kafkaConfig, kafkaProperties).toProperties();
        props.put("bootstrap.servers", bootstrapServers);
        return props;
    }
}
