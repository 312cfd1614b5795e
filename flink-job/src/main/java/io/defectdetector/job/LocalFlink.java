package io.defectdetector.job;

import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.JobManagerOptions;
import org.apache.flink.configuration.RestOptions;
import org.apache.flink.configuration.TaskManagerOptions;

/**
 * A Flink that runs inside this JVM (the demo's and the benchmarks' MiniCluster, the tests', the savepoint tool's)
 * listening on the loopback interface only. By default its REST endpoint, BLOB server and TaskManager data ports
 * listen on every interface of the host, reachable from the network although nothing outside uses them.
 */
public final class LocalFlink {
    public static final String LOOPBACK = "127.0.0.1";

    private LocalFlink() {
    }

    /** Binds the local cluster's server sockets to 127.0.0.1; returns {@code conf}. */
    public static Configuration loopbackOnly(Configuration conf) {
        conf.set(RestOptions.BIND_ADDRESS, LOOPBACK);
        conf.set(RestOptions.ADDRESS, LOOPBACK);
        conf.set(JobManagerOptions.BIND_HOST, LOOPBACK); // the BLOB server binds here
        conf.set(TaskManagerOptions.BIND_HOST, LOOPBACK);
        conf.set(TaskManagerOptions.HOST, LOOPBACK);
        return conf;
    }
}
