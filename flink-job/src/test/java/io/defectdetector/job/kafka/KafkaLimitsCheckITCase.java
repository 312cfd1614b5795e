package io.defectdetector.job.kafka;

import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.defectdetector.job.config.JobConfig;
import io.defectdetector.job.testing.PipelineTestSupport;
import io.defectdetector.job.testing.PipelineTestSupport.Topics;
import io.defectdetector.kafka.LocalKafkaBroker;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.common.acl.AccessControlEntry;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.acl.AclPermissionType;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.resource.PatternType;
import org.apache.kafka.common.resource.ResourcePattern;
import org.apache.kafka.common.resource.ResourceType;
import org.junit.jupiter.api.Test;

/**
 * The cluster limits on a broker with ACLs (KRaft's StandardAuthorizer): the job's principal may use its topics
 * but not read configurations (DescribeConfigs denied), as on some managed services. The limits it cannot read
 * are skipped, not a reason to refuse the start; the broker's admin, who may read them, is refused on the same
 * settings, so the settings do not fit.
 */
class KafkaLimitsCheckITCase {
    private static final String USER = "detector";
    private static final String PASSWORD = "pw-" + UUID.randomUUID();

    @Test
    void limitsThePrincipalMayNotReadAreSkippedNotRefused() throws Exception {
        try (LocalKafkaBroker broker = LocalKafkaBroker.startSaslPlain(Map.of(USER, PASSWORD), Map.of(
                "authorizer.class.name", "org.apache.kafka.metadata.authorizer.StandardAuthorizer",
                // the controller listener's ANONYMOUS principal and the broker's own admin
                "super.users", "User:ANONYMOUS;" + LocalKafkaBroker.ADMIN_PRINCIPAL,
                "transaction.max.timeout.ms", "300000"))) {
            Topics topics = Topics.withPrefix("acl");
            topics.create(broker, 1);
            try (Admin admin = Admin.create(broker.clientProperties())) {
                admin.incrementalAlterConfigs(Map.of(new ConfigResource(ConfigResource.Type.TOPIC,
                        topics.deadLetter()), List.of(new AlterConfigOp(new ConfigEntry(
                        TopicConfig.MAX_MESSAGE_BYTES_CONFIG, "100000"), AlterConfigOp.OpType.SET)))).all().get();
                String principal = "User:" + USER;
                admin.createAcls(List.of(
                        acl(ResourceType.TOPIC, "*", principal, AclOperation.ALL, AclPermissionType.ALLOW),
                        acl(ResourceType.CLUSTER, "kafka-cluster", principal, AclOperation.ALL,
                                AclPermissionType.ALLOW),
                        acl(ResourceType.TOPIC, "*", principal, AclOperation.DESCRIBE_CONFIGS,
                                AclPermissionType.DENY),
                        acl(ResourceType.CLUSTER, "kafka-cluster", principal, AclOperation.DESCRIBE_CONFIGS,
                                AclPermissionType.DENY))).all().get();
            }

            JobConfig asAdmin = config(broker, topics, broker.clientProperties());
            assertThatThrownBy(() -> TopicPreflight.check(asAdmin))
                    .hasMessageContaining("takes records up to 100000 bytes (max.message.bytes)")
                    .hasMessageContaining("is above the brokers' transaction.max.timeout.ms (5 min)");

            Properties detector = new Properties();
            detector.put("security.protocol", "SASL_PLAINTEXT");
            detector.put("sasl.mechanism", "PLAIN");
            detector.put("sasl.jaas.config", LocalKafkaBroker.plainJaasConfig(USER, PASSWORD));
            assertThatCode(() -> TopicPreflight.check(config(broker, topics, detector)))
                    .doesNotThrowAnyException();
        }
    }

    private static JobConfig config(LocalKafkaBroker broker, Topics topics, Properties client) {
        Map<String, String> options = new HashMap<>(Map.of("kafka-control-topic", "acl-control",
                "kafka-audit-topic", "acl-audit", "kafka-topic-check-timeout", "20 s"));
        client.forEach((k, v) -> {
            if (!k.equals("bootstrap.servers")) {
                options.put("kafka." + k, v.toString());
            }
        });
        return PipelineTestSupport.config(broker, "acl", topics, PipelineTestSupport.DEFAULT_MODEL, options);
    }

    private static AclBinding acl(ResourceType type, String name, String principal, AclOperation operation,
            AclPermissionType permission) {
        return new AclBinding(new ResourcePattern(type, name, PatternType.LITERAL),
                new AccessControlEntry(principal, "*", operation, permission));
    }
}
