package io.defectdetector.kafka;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Runs a {@link LocalKafkaBroker} until Ctrl-C (or SIGTERM), for the demo and manual experiments. Prints
 * {@code bootstrap.servers=HOST:PORT} on stdout once the topics exist.
 */
@Command(name = "local-kafka", mixinStandardHelpOptions = true,
        description = "Runs a single-node KRaft Kafka broker on 127.0.0.1 until interrupted. Its data lives in a "
                + "temporary directory that is deleted on exit.")
public final class LocalKafkaMain implements Callable<Integer> {

    @Option(names = "--port", defaultValue = "0",
            description = "Client port on 127.0.0.1; 0 picks a free port (default: ${DEFAULT-VALUE}).")
    int port;

    @Option(names = "--topics", split = ",", paramLabel = "NAME[:PARTITIONS]",
            description = "Topics to create, e.g. frames:4,alerts:1,scores:1,dead-letter:1,control:1 "
                    + "(partitions default to 1).")
    List<String> topics = new ArrayList<>();

    @Option(names = "--broker-config", paramLabel = "KEY=VALUE",
            description = "Broker setting (server.properties key) overriding the local defaults; repeatable.")
    Map<String, String> brokerConfig = new LinkedHashMap<>();

    @Option(names = "--bootstrap-file", paramLabel = "PATH",
            description = "Also write the bootstrap address to this file once the broker is ready (for scripts).")
    Path bootstrapFile;

    private final CountDownLatch stopped = new CountDownLatch(1);

    public static void main(String[] args) {
        // Before any logger exists: quiet Kafka's INFO chatter unless the user configured logging.
        if (System.getProperty("log4j2.configurationFile") == null) {
            System.setProperty("log4j2.configurationFile", "classpath:local-kafka-log4j2.xml");
        }
        System.exit(new CommandLine(new LocalKafkaMain()).execute(args));
    }

    @Override
    public Integer call() throws Exception {
        Map<String, Integer> wanted = parseTopics(topics);
        LocalKafkaBroker broker = LocalKafkaBroker.start(port, brokerConfig);
        Thread hook = new Thread(() -> {
            broker.close();
            // stdout, not the logger: log4j stops in its own shutdown hook, possibly before this one.
            System.out.println("Local Kafka stopped, data deleted.");
            stopped.countDown();
        }, "local-kafka-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        wanted.forEach(broker::createTopic);
        if (bootstrapFile != null) {
            Files.writeString(bootstrapFile, broker.bootstrapServers() + "\n", StandardCharsets.UTF_8);
        }
        System.out.println("bootstrap.servers=" + broker.bootstrapServers());
        System.out.println("topics=" + wanted);
        System.out.println("Press Ctrl-C to stop.");
        System.out.flush();
        stopped.await();
        return 0;
    }

    /** {@code name[:partitions]} entries, in order. */
    static Map<String, Integer> parseTopics(List<String> specs) {
        Map<String, Integer> parsed = new LinkedHashMap<>();
        for (String raw : specs) {
            String spec = raw.trim();
            if (spec.isEmpty()) {
                continue;
            }
            int colon = spec.lastIndexOf(':');
            String name = colon < 0 ? spec : spec.substring(0, colon);
            int partitions = 1;
            if (colon >= 0) {
                try {
                    partitions = Integer.parseInt(spec.substring(colon + 1));
                } catch (NumberFormatException e) {
                    partitions = -1;
                }
            }
            if (name.isEmpty() || partitions < 1) {
                throw new IllegalArgumentException("topic must be NAME or NAME:PARTITIONS with PARTITIONS >= 1, got '"
                        + spec + "'");
            }
            parsed.put(name, partitions);
        }
        return parsed;
    }
}
