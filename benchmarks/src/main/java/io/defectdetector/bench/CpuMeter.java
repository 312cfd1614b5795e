package io.defectdetector.bench;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.lang.management.ThreadMXBean;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * CPU time of this process and of its threads, grouped by what they do. On a shared machine wall-clock rates
 * swing with the neighbours' load, while CPU time per frame barely moves; and the per-group split shows where a
 * pipeline spends what the bare model does not (decode, Kafka, Flink's own threads, the in-process broker).
 * The JVM's own threads are read from /proc: "jit" (compiler threads), "gc" (collector threads); "jvm-other" is
 * the rest of the process total (VM thread, threads that ended within the window).
 */
public final class CpuMeter {
    /** Thread groups, matched on thread names in this order. */
    public enum Group {
        INFERENCE_TASK("Flink task threads: decode, preprocess, ONNX Runtime (1 intra-op thread runs here), "
                + "detection, sink writes"),
        ORT_POOL("ONNX Runtime intra-op worker threads (only with more than 1 intra-op thread)"),
        KAFKA_SOURCE("Kafka source fetchers of the job"),
        KAFKA_SINK("Kafka producers of the job's sinks"),
        FLINK_RUNTIME("the rest of Flink: checkpoint coordinator, timers, RPC, mailbox"),
        BROKER("the in-process Kafka broker (runs on another machine in production)"),
        HARNESS("the benchmark itself: frame producer, result consumer, samplers"),
        OTHER("any other thread");

        final String description;

        Group(String description) {
            this.description = description;
        }

        public String description() {
            return description;
        }
    }

    private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();

    /** A point-in-time reading: process CPU and per-thread CPU by thread id. */
    public record Snapshot(long epochMillis, long processCpuNanos, Map<Long, Long> threadCpu,
            Map<Long, Group> groups, Map<Long, String> names, long gcPauseMillis, long jitMillis,
            Map<String, Long> nativeCpu) {
    }

    /** Clock ticks per second of /proc's utime and stime (USER_HZ, 100 on Linux). */
    private static final long TICKS_PER_SECOND = 100;

    private CpuMeter() {
    }

    public static long processCpuNanos() {
        var os = ManagementFactory.getOperatingSystemMXBean();
        if (os instanceof com.sun.management.OperatingSystemMXBean sun) {
            return sun.getProcessCpuTime();
        }
        return -1;
    }

    public static Snapshot snapshot() {
        long wall = System.currentTimeMillis();
        long process = processCpuNanos();
        Map<Long, Long> cpu = new HashMap<>();
        Map<Long, Group> groups = new HashMap<>();
        Map<Long, String> names = new HashMap<>();
        long[] ids = THREADS.getAllThreadIds();
        ThreadInfo[] infos = THREADS.getThreadInfo(ids);
        for (int i = 0; i < ids.length; i++) {
            if (infos[i] == null) {
                continue;
            }
            long t = THREADS.getThreadCpuTime(ids[i]);
            if (t >= 0) {
                cpu.put(ids[i], t);
                groups.put(ids[i], classify(infos[i].getThreadName()));
                names.put(ids[i], infos[i].getThreadName());
            }
        }
        long gc = 0;
        for (var bean : ManagementFactory.getGarbageCollectorMXBeans()) {
            gc += Math.max(0, bean.getCollectionTime());
        }
        var jit = ManagementFactory.getCompilationMXBean();
        return new Snapshot(wall, process, cpu, groups, names, gc,
                jit != null && jit.isCompilationTimeMonitoringSupported() ? jit.getTotalCompilationTime() : 0,
                jvmInternalCpu());
    }

    /**
     * CPU of the JVM's own native threads, which ThreadMXBean does not list, from /proc/self/task: "jit" (C1/C2
     * compiler threads), "gc" (GC workers, G1 concurrent and refinement threads), keyed "kind/tid". Empty off
     * Linux. Resolution: 10 ms per thread.
     */
    private static Map<String, Long> jvmInternalCpu() {
        Map<String, Long> out = new HashMap<>();
        java.io.File[] tasks = new java.io.File("/proc/self/task").listFiles();
        if (tasks == null) {
            return out;
        }
        for (java.io.File task : tasks) {
            try {
                String stat = java.nio.file.Files.readString(task.toPath().resolve("stat"));
                int open = stat.indexOf('(');
                int close = stat.lastIndexOf(')');
                String comm = stat.substring(open + 1, close);
                String kind = comm.startsWith("C1 CompilerThre") || comm.startsWith("C2 CompilerThre") ? "jit"
                        : comm.startsWith("GC Thread") || comm.startsWith("G1 ") ? "gc" : null;
                if (kind == null) {
                    continue;
                }
                String[] f = stat.substring(close + 2).split(" ");
                long ticks = Long.parseLong(f[11]) + Long.parseLong(f[12]);
                out.put(kind + "/" + task.getName(), ticks * 1_000_000_000L / TICKS_PER_SECOND);
            } catch (java.io.IOException | RuntimeException e) {
                // the thread ended meanwhile
            }
        }
        return out;
    }

    /**
     * CPU nanoseconds per group between two snapshots, plus "jit", "gc", "jvm-other" and "total". Threads born in between count from zero; threads that died in between are lost (and
     * land in the jvm remainder), so keep windows over steady phases.
     */
    public static Map<String, Long> between(Snapshot a, Snapshot b) {
        Map<String, Long> out = new LinkedHashMap<>();
        for (Group g : Group.values()) {
            out.put(key(g), 0L);
        }
        long threads = 0;
        for (Map.Entry<Long, Long> e : b.threadCpu().entrySet()) {
            long delta = e.getValue() - a.threadCpu().getOrDefault(e.getKey(), 0L);
            if (delta > 0) {
                out.merge(key(b.groups().get(e.getKey())), delta, Long::sum);
                threads += delta;
            }
        }
        long jit = 0;
        long gc = 0;
        for (Map.Entry<String, Long> e : b.nativeCpu().entrySet()) {
            long delta = Math.max(0, e.getValue() - a.nativeCpu().getOrDefault(e.getKey(), 0L));
            if (e.getKey().startsWith("jit/")) {
                jit += delta;
            } else {
                gc += delta;
            }
        }
        long total = b.processCpuNanos() - a.processCpuNanos();
        out.put("jit", jit);
        out.put("gc", gc);
        out.put("jvm-other", Math.max(0, total - threads - jit - gc));
        out.put("total", total);
        return out;
    }

    /** The {@code limit} threads that used the most CPU between two snapshots, as "name: ms". */
    public static List<String> topThreads(Snapshot a, Snapshot b, int limit) {
        List<Map.Entry<Long, Long>> deltas = new ArrayList<>();
        for (Map.Entry<Long, Long> e : b.threadCpu().entrySet()) {
            deltas.add(Map.entry(e.getKey(), e.getValue() - a.threadCpu().getOrDefault(e.getKey(), 0L)));
        }
        deltas.sort(Map.Entry.<Long, Long>comparingByValue().reversed());
        List<String> out = new ArrayList<>();
        for (Map.Entry<Long, Long> e : deltas.subList(0, Math.min(limit, deltas.size()))) {
            out.add(String.format(Locale.ROOT, "%s [%s]: %.0f ms", b.names().get(e.getKey()),
                    key(b.groups().get(e.getKey())), e.getValue() / 1e6));
        }
        return out;
    }

    public static String key(Group g) {
        return g.name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    static Group classify(String name) {
        String n = name.toLowerCase(Locale.ROOT);
        if (n.contains("bench-")) {
            return Group.HARNESS;
        }
        if (n.contains("source data fetcher")) {
            return Group.KAFKA_SOURCE;
        }
        if (n.startsWith("kafka-producer-network-thread")) {
            return Group.KAFKA_SINK;
        }
        if (n.startsWith("source: ") || n.contains(" -> ") || n.startsWith("batch-inference")
                || n.startsWith("detect-defects") || n.startsWith("decode-frames") || n.contains("sink: ")
                || n.contains("writer")) {
            return Group.INFERENCE_TASK;
        }
        if (n.startsWith("onnxruntime") || n.startsWith("ort")) {
            return Group.ORT_POOL;
        }
        if (n.contains("kafka") || n.contains("broker") || n.contains("controller") || n.contains("raft")
                || n.contains("log-cleaner") || n.contains("executor-") || n.contains("requesthandler")
                || n.contains("request-handler") || n.contains("data-plane") || n.contains("quorum")
                || n.contains("transactionmarker") || n.contains("txnmarker") || n.contains("groupcoordinator") || n.contains("group-coordinator")
                || n.contains("expirationreaper") || n.contains("scheduler") || n.startsWith("logdirfailurehandler")
                || n.contains("replica") || n.contains("metadata") || n.contains("share-")) {
            return Group.BROKER;
        }
        if (n.startsWith("flink-") || n.contains("pekko") || n.contains("akka") || n.contains("checkpoint")
                || n.contains("mailbox") || n.contains("timer") || n.contains("jobmanager")
                || n.contains("taskmanager") || n.contains("mini-cluster") || n.contains("cluster-io")
                || n.contains("rpc") || n.contains("asyncoperations") || n.contains("output flusher")
                || n.contains("time trigger") || n.contains("processing time")) {
            return Group.FLINK_RUNTIME;
        }
        return Group.OTHER;
    }
}
