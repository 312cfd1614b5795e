package io.defectdetector.job;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.RestOptions;
import org.apache.flink.runtime.minicluster.MiniCluster;
import org.apache.flink.runtime.minicluster.MiniClusterConfiguration;
import org.junit.jupiter.api.Test;

/**
 * A MiniCluster configured by {@link LocalFlink} (as the demo, the benchmarks, the tests and the savepoint tool
 * run theirs) listens on the loopback interface only: REST endpoint, BLOB server, TaskManager data ports. Read
 * from Linux's socket tables, for the sockets this JVM holds (each ITCase runs in a JVM of its own).
 */
class LocalFlinkITCase {
    private static final Pattern SOCKET = Pattern.compile("socket:\\[(\\d+)]");

    @Test
    void aLocalClusterListensOnLoopbackOnly() throws Exception {
        Configuration conf = LocalFlink.loopbackOnly(new Configuration());
        conf.set(RestOptions.PORT, 0); // any free port, as the MiniClusters of the demo and the tests use
        MiniCluster cluster = new MiniCluster(new MiniClusterConfiguration.Builder().setConfiguration(conf)
                .setNumTaskManagers(2).setNumSlotsPerTaskManager(2).build());
        cluster.start();
        try {
            List<String> listening = listeningAddressesOfThisJvm();
            System.out.println("Listening: " + listening);
            assertThat(listening).as("the REST endpoint at least").isNotEmpty()
                    .allMatch(LocalFlinkITCase::isLoopback, "a loopback address");
            int restPort = cluster.getRestAddress().get().getPort();
            assertThat(listening).anyMatch(a -> a.endsWith(":" + restPort));
        } finally {
            cluster.close();
        }
    }

    /** "address:port" (hex address as in /proc/net/tcp*, decimal port) of every listening socket of this JVM. */
    private static List<String> listeningAddressesOfThisJvm() throws IOException {
        Set<String> inodes = new HashSet<>();
        try (DirectoryStream<Path> fds = Files.newDirectoryStream(Path.of("/proc/self/fd"))) {
            for (Path fd : fds) {
                try {
                    Matcher m = SOCKET.matcher(Files.readSymbolicLink(fd).toString());
                    if (m.matches()) {
                        inodes.add(m.group(1));
                    }
                } catch (IOException closedMeanwhile) {
                    // a descriptor closed while listing
                }
            }
        }
        List<String> out = new ArrayList<>();
        for (String table : List.of("/proc/net/tcp", "/proc/net/tcp6")) {
            Path path = Path.of(table);
            if (!Files.exists(path)) {
                continue;
            }
            List<String> lines = Files.readAllLines(path);
            for (String line : lines.subList(1, lines.size())) { // after the header
                String[] f = line.trim().split("\\s+");
                if (f[3].equals("0A") && inodes.contains(f[9])) { // 0A: LISTEN
                    String[] local = f[1].split(":");
                    out.add(local[0] + ":" + Integer.parseInt(local[1], 16));
                }
            }
        }
        return out;
    }

    /** 127.0.0.0/8, ::1 or ::ffff:127.x.x.x, in /proc/net's byte order. */
    private static boolean isLoopback(String addressAndPort) {
        String a = addressAndPort.substring(0, addressAndPort.indexOf(':'));
        return a.length() == 8 ? a.endsWith("7F")
                : a.equals("00000000000000000000000001000000") || a.matches("0000000000000000FFFF0000..0000" + "7F");
    }
}
