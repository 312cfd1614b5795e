package io.defectdetector.kafka;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.BindException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.config.SaslConfigs;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.security.plain.PlainLoginModule;
import org.apache.kafka.common.utils.Time;
import org.apache.kafka.common.utils.Utils;
import org.apache.kafka.metadata.storage.Formatter;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A single-node Kafka (KRaft, combined broker + controller) running inside this JVM on 127.0.0.1, with its data
 * in a temporary directory that {@link #close()} deletes.
 *
 * <p>It runs {@link KafkaRaftServer}, the server {@code kafka-server-start.sh} runs, after formatting the storage
 * as {@code kafka-storage.sh format} does; no test-only code paths. Settings differ from a stock broker only where
 * a single node needs it (replication factors and ISR 1), where tests need speed (no initial rebalance delay,
 * few internal-topic partitions, a small log-cleaner buffer), and in two deliberate choices:
 * <ul>
 *   <li>{@code auto.create.topics.enable=false}: topics are created with {@link #createTopic}, so a misspelt
 *       topic fails fast instead of silently creating a new one, as on a managed production cluster;</li>
 *   <li>{@code message.max.bytes} = 20 MiB, so frames up to the wire format's 16 MiB limit fit (producers still
 *       need {@code max.request.size} raised to send them).</li>
 * </ul>
 *
 * <p>{@link #startSaslPlain} starts one whose client listener requires SASL_PLAINTEXT with mechanism PLAIN (the
 * controller listener stays PLAINTEXT); {@link #clientProperties()}, and so {@link #admin()} and
 * {@link #createTopic}, then authenticate as a broker-internal admin user.
 */
public final class LocalKafkaBroker implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(LocalKafkaBroker.class);

    /** Largest record batch the broker accepts: the 16 MiB frame limit plus headers and batch overhead. */
    public static final int MAX_MESSAGE_BYTES = 20 * 1024 * 1024;
    private static final String HOST = "127.0.0.1";
    private static final int NODE_ID = 1;
    private static final int START_ATTEMPTS = 5;
    private static final String SASL_LISTENER = "SASL_PLAINTEXT";
    private static final String ADMIN_USER = "local-kafka-admin";
    /** The Kafka principal of {@link #clientProperties()} on a SASL/PLAIN broker, e.g. for super.users. */
    public static final String ADMIN_PRINCIPAL = "User:" + ADMIN_USER;

    /** Replaced by {@link #restart}; null while stopped. */
    private KafkaRaftServer server;
    private final KafkaConfig config;
    private final Path dataDir;
    private final String bootstrapServers;
    /** Security settings of this object's own clients (empty for PLAINTEXT); secrets in clear. */
    private final Map<String, String> clientSecurity;
    private Admin admin;
    private boolean closed;

    private LocalKafkaBroker(KafkaRaftServer server, KafkaConfig config, Path dataDir, String bootstrapServers,
            Map<String, String> clientSecurity) {
        this.server = server;
        this.config = config;
        this.dataDir = dataDir;
        this.bootstrapServers = bootstrapServers;
        this.clientSecurity = clientSecurity;
    }

    /** Starts a broker on a free port. */
    public static LocalKafkaBroker start() {
        return start(Map.of());
    }

    /** Starts a broker on a free port; {@code brokerConfigOverrides} (server.properties keys) win over ours. */
    public static LocalKafkaBroker start(Map<String, String> brokerConfigOverrides) {
        return start(0, brokerConfigOverrides);
    }

    /**
     * @param port client port on 127.0.0.1, or 0 for a free one
     * @param brokerConfigOverrides server.properties keys that win over the defaults described on this class
     */
    public static LocalKafkaBroker start(int port, Map<String, String> brokerConfigOverrides) {
        return start(port, null, brokerConfigOverrides);
    }

    /**
     * Starts a broker on a free port whose client listener accepts only SASL_PLAINTEXT with mechanism PLAIN, for
     * these users (name to password) and an admin user of its own with a random password, which
     * {@link #clientProperties()} uses. A client with a wrong password fails with a
     * {@code SaslAuthenticationException}. Names are letters, digits, '-' and '_'; passwords must not contain
     * '"' or a backslash (they are quoted in the JAAS configuration as they are).
     *
     * @param brokerConfigOverrides server.properties keys that win over ours
     */
    public static LocalKafkaBroker startSaslPlain(Map<String, String> users,
            Map<String, String> brokerConfigOverrides) {
        Map<String, String> all = new LinkedHashMap<>();
        all.put(ADMIN_USER, Uuid.randomUuid().toString());
        users.forEach((user, password) -> {
            if (!user.matches("[A-Za-z0-9_-]+") || password.contains("\"") || password.contains("\\")) {
                throw new IllegalArgumentException("SASL/PLAIN user '" + user + "': the name must be letters, "
                        + "digits, '-' and '_', the password without '\"' and '\\'");
            }
            if (all.put(user, password) != null) {
                throw new IllegalArgumentException("user " + user + " is the broker's own");
            }
        });
        return start(0, all, brokerConfigOverrides);
    }

    /** {@code saslPlainUsers}: null for a PLAINTEXT client listener; else the users, the admin first. */
    private static LocalKafkaBroker start(int port, Map<String, String> saslPlainUsers,
            Map<String, String> brokerConfigOverrides) {
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("port must be 0..65535, got " + port);
        }
        RuntimeException last = null;
        // Free ports are found by binding and releasing them, so another process can take one in between;
        // then the broker fails to bind and we simply try other ports.
        for (int attempt = 1; attempt <= START_ATTEMPTS; attempt++) {
            try {
                return startOnce(port == 0 ? freePort() : port, freePort(), saslPlainUsers, brokerConfigOverrides);
            } catch (RuntimeException e) {
                last = e;
                if (!causedByBindFailure(e)) {
                    throw e;
                }
                if (port != 0) {
                    throw new IllegalStateException("cannot bind Kafka to " + HOST + ":" + port
                            + " (port in use?)", e);
                }
                LOG.info("Port taken while starting local Kafka (attempt {}), retrying", attempt);
            }
        }
        throw last;
    }

    private static LocalKafkaBroker startOnce(int brokerPort, int controllerPort, Map<String, String> saslPlainUsers,
            Map<String, String> overrides) {
        Path dataDir;
        try {
            dataDir = Files.createTempDirectory("local-kafka-");
        } catch (IOException e) {
            throw new IllegalStateException("cannot create a temporary directory for Kafka", e);
        }
        KafkaRaftServer server = null;
        try {
            Map<String, String> props = brokerConfig(dataDir, brokerPort, controllerPort);
            Map<String, String> clientSecurity = Map.of();
            if (saslPlainUsers != null) {
                props.putAll(saslPlainListener(brokerPort, controllerPort, saslPlainUsers));
                Map.Entry<String, String> admin = saslPlainUsers.entrySet().iterator().next();
                clientSecurity = Map.of(CommonClientConfigs.SECURITY_PROTOCOL_CONFIG, SASL_LISTENER,
                        SaslConfigs.SASL_MECHANISM, "PLAIN",
                        SaslConfigs.SASL_JAAS_CONFIG, plainJaasConfig(admin.getKey(), admin.getValue()));
            }
            props.putAll(overrides);
            KafkaConfig config = new KafkaConfig(props, false);
            format(config, dataDir);
            long started = System.nanoTime();
            server = new KafkaRaftServer(config, Time.SYSTEM);
            server.startup();
            String bootstrap = HOST + ":" + brokerPort;
            LOG.info("Local Kafka started on {} in {} ms (data in {})", bootstrap,
                    (System.nanoTime() - started) / 1_000_000, dataDir);
            return new LocalKafkaBroker(server, config, dataDir, bootstrap, clientSecurity);
        } catch (RuntimeException e) {
            stopQuietly(server);
            deleteQuietly(dataDir);
            throw e;
        } catch (Exception e) {
            stopQuietly(server);
            deleteQuietly(dataDir);
            throw new IllegalStateException("cannot start local Kafka: " + e.getMessage(), e);
        }
    }

    private static Map<String, String> brokerConfig(Path dataDir, int brokerPort, int controllerPort) {
        Map<String, String> p = new LinkedHashMap<>();
        p.put("process.roles", "broker,controller");
        p.put("node.id", Integer.toString(NODE_ID));
        p.put("listeners", "PLAINTEXT://" + HOST + ":" + brokerPort + ",CONTROLLER://" + HOST + ":" + controllerPort);
        p.put("advertised.listeners", "PLAINTEXT://" + HOST + ":" + brokerPort);
        p.put("listener.security.protocol.map", "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT");
        p.put("inter.broker.listener.name", "PLAINTEXT");
        p.put("controller.listener.names", "CONTROLLER");
        p.put("controller.quorum.voters", NODE_ID + "@" + HOST + ":" + controllerPort);
        p.put("log.dirs", dataDir.resolve("logs").toString());
        p.put("metadata.log.dir", dataDir.resolve("metadata").toString());
        // One node: every internal topic has one replica.
        p.put("offsets.topic.replication.factor", "1");
        p.put("transaction.state.log.replication.factor", "1");
        p.put("transaction.state.log.min.isr", "1");
        p.put("share.coordinator.state.topic.replication.factor", "1");
        p.put("share.coordinator.state.topic.min.isr", "1");
        p.put("default.replication.factor", "1");
        p.put("min.insync.replicas", "1");
        // Fast to start and to form groups; 50 partitions per internal topic only cost time here.
        p.put("group.initial.rebalance.delay.ms", "0");
        p.put("offsets.topic.num.partitions", "4");
        p.put("transaction.state.log.num.partitions", "4");
        p.put("num.partitions", "1");
        p.put("auto.create.topics.enable", "false");
        p.put("message.max.bytes", Integer.toString(MAX_MESSAGE_BYTES));
        p.put("replica.fetch.max.bytes", Integer.toString(MAX_MESSAGE_BYTES));
        // The default 128 MiB dedupe buffer is sized for production compaction.
        p.put("log.cleaner.dedupe.buffer.size", Integer.toString(2 * 1024 * 1024));
        p.put("num.network.threads", "2");
        p.put("num.io.threads", "4");
        p.put("background.threads", "2");
        return p;
    }

    /** The client listener as SASL_PLAINTEXT/PLAIN; the first user is the one the broker itself uses. */
    private static Map<String, String> saslPlainListener(int brokerPort, int controllerPort,
            Map<String, String> users) {
        Map<String, String> p = new LinkedHashMap<>();
        p.put("listeners", SASL_LISTENER + "://" + HOST + ":" + brokerPort + ",CONTROLLER://" + HOST + ":"
                + controllerPort);
        p.put("advertised.listeners", SASL_LISTENER + "://" + HOST + ":" + brokerPort);
        p.put("listener.security.protocol.map", SASL_LISTENER + ":SASL_PLAINTEXT,CONTROLLER:PLAINTEXT");
        p.put("inter.broker.listener.name", SASL_LISTENER);
        p.put("sasl.enabled.mechanisms", "PLAIN");
        p.put("sasl.mechanism.inter.broker.protocol", "PLAIN");
        Map.Entry<String, String> admin = users.entrySet().iterator().next();
        StringBuilder jaas = new StringBuilder(PlainLoginModule.class.getName()).append(" required username=\"")
                .append(admin.getKey()).append("\" password=\"").append(admin.getValue()).append('"');
        users.forEach((user, password) -> jaas.append(" user_").append(user).append("=\"").append(password)
                .append('"'));
        p.put("listener.name." + SASL_LISTENER.toLowerCase(Locale.ROOT) + ".plain.sasl.jaas.config",
                jaas.append(';').toString());
        return p;
    }

    /** {@code sasl.jaas.config} of a SASL/PLAIN client. */
    public static String plainJaasConfig(String username, String password) {
        return PlainLoginModule.class.getName() + " required username=\"" + username + "\" password=\"" + password
                + "\";";
    }

    private static void format(KafkaConfig config, Path dataDir) throws Exception {
        String metadataDir = config.metadataLogDir();
        new Formatter()
                .setPrintStream(new PrintStream(OutputStream.nullOutputStream()))
                .setNodeId(NODE_ID)
                .setClusterId(Uuid.randomUuid().toString())
                .setControllerListenerName("CONTROLLER")
                .setMetadataLogDirectory(metadataDir)
                .setDirectories(List.of(dataDir.resolve("logs").toString(), metadataDir))
                .setHasDynamicQuorum(false)
                .run();
    }

    private static int freePort() {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getByName(HOST))) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new IllegalStateException("cannot find a free port on " + HOST, e);
        }
    }

    private static boolean causedByBindFailure(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof BindException
                    || (t.getMessage() != null && t.getMessage().contains("Address already in use"))) {
                return true;
            }
        }
        return false;
    }

    public String bootstrapServers() {
        return bootstrapServers;
    }

    /**
     * {@code bootstrap.servers}, plus on a SASL broker the security settings of its admin user; add serializers,
     * group ids, etc.
     */
    public Properties clientProperties() {
        Properties props = new Properties();
        props.put(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        props.putAll(clientSecurity);
        return props;
    }

    /** The temporary directory holding logs and metadata; deleted by {@link #close()}. */
    public Path dataDirectory() {
        return dataDir;
    }

    /** Creates a topic with replication factor 1; does nothing if it exists already (whatever its partitions). */
    public synchronized void createTopic(String name, int partitions) {
        createTopic(name, partitions, Map.of());
    }

    /** As {@link #createTopic(String, int)} with topic configs, e.g. {@code cleanup.policy=compact}. */
    public synchronized void createTopic(String name, int partitions, Map<String, String> topicConfig) {
        if (closed) {
            throw new IllegalStateException("broker is closed");
        }
        NewTopic topic = new NewTopic(name, Optional.of(partitions), Optional.empty()).configs(topicConfig);
        try {
            admin().createTopics(List.of(topic)).all().get();
        } catch (ExecutionException e) {
            if (!(e.getCause() instanceof TopicExistsException)) {
                throw new IllegalStateException("cannot create topic " + name + ": " + e.getCause().getMessage(),
                        e.getCause());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while creating topic " + name, e);
        }
    }

    /** An admin client shared by this object's helpers; closed with the broker, so do not close it. */
    public synchronized Admin admin() {
        if (admin == null) {
            admin = Admin.create(clientProperties());
        }
        return admin;
    }

    /**
     * Shuts the broker down cleanly, as a rolling restart does, waits {@code downFor}, and starts it again on the
     * same ports with the same data (topics, committed offsets, transactions' state). Clients see it go away and
     * come back.
     */
    public synchronized void restart(Duration downFor) throws InterruptedException {
        if (closed) {
            throw new IllegalStateException("broker is closed");
        }
        stopQuietly(server);
        server = null;
        LOG.info("Local Kafka on {} stopped for {} ms", bootstrapServers, downFor.toMillis());
        Thread.sleep(downFor.toMillis());
        long started = System.nanoTime();
        // The listening port may linger briefly after the shutdown: retry binding it for a while.
        RuntimeException last = null;
        for (int attempt = 1; attempt <= 20; attempt++) {
            KafkaRaftServer next = new KafkaRaftServer(config, Time.SYSTEM);
            try {
                next.startup();
                server = next;
                LOG.info("Local Kafka on {} started again in {} ms", bootstrapServers,
                        (System.nanoTime() - started) / 1_000_000);
                return;
            } catch (RuntimeException e) {
                stopQuietly(next);
                if (!causedByBindFailure(e)) {
                    throw e;
                }
                last = e;
                Thread.sleep(250);
            }
        }
        throw new IllegalStateException("cannot bind Kafka to " + bootstrapServers + " again", last);
    }

    /** Stops the broker and deletes its data directory. Idempotent. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        if (admin != null) {
            admin.close();
        }
        stopQuietly(server);
        deleteQuietly(dataDir);
        LOG.info("Local Kafka on {} stopped", bootstrapServers);
    }

    private static void stopQuietly(KafkaRaftServer server) {
        if (server == null) {
            return;
        }
        try {
            server.shutdown();
            server.awaitShutdown();
        } catch (RuntimeException e) {
            LOG.warn("Error while stopping local Kafka", e);
        }
    }

    private static void deleteQuietly(Path dir) {
        try {
            Utils.delete(dir.toFile());
        } catch (IOException e) {
            LOG.warn("Cannot delete {}", dir, e);
        }
    }

    @Override
    public String toString() {
        return "LocalKafkaBroker{" + bootstrapServers + (clientSecurity.isEmpty() ? "" : ", SASL_PLAINTEXT")
                + (closed ? ", closed" : "") + "}";
    }
}
