package io.watchkeeper.testing;

import java.lang.management.ManagementFactory;

/** The heap a test or benchmark has in use, read right after collecting. */
public final class Heap {

    private Heap() {
    }

    /**
     * Used heap after a full collection: the least of three readings, each taken right after {@code System.gc()} (which
     * returns once the collection is done), so that garbage freed by one collection's reference processing is gone too.
     */
    public static long usedAfterGc() {
        var memory = ManagementFactory.getMemoryMXBean();
        long used = Long.MAX_VALUE;
        for (int i = 0; i < 3; i++) {
            System.gc();
            used = Math.min(used, memory.getHeapMemoryUsage().getUsed());
        }
        return used;
    }
}
