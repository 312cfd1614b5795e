package io.defectdetector.bench;

import com.sun.management.GarbageCollectionNotificationInfo;
import java.lang.management.BufferPoolMXBean;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryUsage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import javax.management.NotificationEmitter;
import javax.management.NotificationListener;
import javax.management.openmbean.CompositeData;

/**
 * Memory readings for the soak: heap right after each GC (the lowest since the last reading, which tracks the
 * live set through G1's young-collection sawtooth), heap after an explicit full GC when asked, direct buffers
 * (ONNX Runtime tensors, Kafka and Flink network buffers) and the process's resident set (catches native leaks
 * that no Java figure shows).
 */
final class MemoryWatch implements AutoCloseable {
    private final List<Runnable> unregister = new ArrayList<>();
    private volatile long lowestAfterGc = Long.MAX_VALUE;
    private volatile long gcCount;

    MemoryWatch() {
        for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
            if (gc instanceof NotificationEmitter emitter) {
                NotificationListener listener = (n, handback) -> {
                    if (GarbageCollectionNotificationInfo.GARBAGE_COLLECTION_NOTIFICATION.equals(n.getType())) {
                        var info = GarbageCollectionNotificationInfo.from((CompositeData) n.getUserData());
                        long used = 0;
                        for (Map.Entry<String, MemoryUsage> e : info.getGcInfo().getMemoryUsageAfterGc().entrySet()) {
                            if (isHeapPool(e.getKey())) {
                                used += e.getValue().getUsed();
                            }
                        }
                        synchronized (this) {
                            lowestAfterGc = Math.min(lowestAfterGc, used);
                            gcCount++;
                        }
                    }
                };
                emitter.addNotificationListener(listener, null, null);
                unregister.add(() -> {
                    try {
                        emitter.removeNotificationListener(listener);
                    } catch (Exception e) {
                        // closing
                    }
                });
            }
        }
    }

    private static boolean isHeapPool(String name) {
        for (var pool : ManagementFactory.getMemoryPoolMXBeans()) {
            if (pool.getName().equals(name)) {
                return pool.getType() == java.lang.management.MemoryType.HEAP;
            }
        }
        return false;
    }

    /** The lowest heap-after-GC since the last call, in bytes (-1 when no GC ran), and resets it. */
    synchronized long takeLowestAfterGc() {
        long v = lowestAfterGc == Long.MAX_VALUE ? -1 : lowestAfterGc;
        lowestAfterGc = Long.MAX_VALUE;
        return v;
    }

    long gcCount() {
        return gcCount;
    }

    static long heapUsed() {
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    }

    /** Heap in use right after a full collection: the live set. */
    static long liveHeapAfterFullGc() {
        System.gc();
        return heapUsed();
    }

    static long directBuffers() {
        long sum = 0;
        for (BufferPoolMXBean pool : ManagementFactory.getPlatformMXBeans(BufferPoolMXBean.class)) {
            sum += pool.getMemoryUsed();
        }
        return sum;
    }

    /** VmRSS of this process from /proc (bytes), or -1 off Linux. */
    static long residentSetBytes() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
                }
            }
        } catch (Exception e) {
            // not Linux
        }
        return -1;
    }

    @Override
    public void close() {
        unregister.forEach(Runnable::run);
    }
}
