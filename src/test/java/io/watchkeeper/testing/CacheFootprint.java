package io.watchkeeper.testing;

import java.lang.reflect.Field;

import org.openjdk.jol.info.ClassLayout;
import org.openjdk.jol.info.GraphLayout;

import io.watchkeeper.informer.Compactor;
import io.watchkeeper.informer.Timeline;

/**
 * The exact heap a cache takes, as JOL walks it: every published object, the namespace and label indexes (the parts
 * objects share counted once), and the {@link Compactor}'s pool entries.
 * Deterministic, unlike used-heap differences around a GC.
 */
public final class CacheFootprint {

    static {
        // the timeline's view is a record, whose field offsets JOL reads only this way on Java 17
        System.setProperty("jol.magicFieldOffset", "true");
    }

    private CacheFootprint() {
    }

    /**
     * The pool's entries now, after collecting what no cache uses any more: call before a cache fills, and give it to
     * {@link #of} so that the cache is charged for its own entries only (the pool is shared by every cache).
     */
    public static long poolBaseline() {
        for (int i = 0; i < 3; i++) {
            System.gc(); // what is measured: which parts no cache holds any more
        }
        return Compactor.SHARED.pooled();
    }

    /** Bytes of what {@code timeline} publishes, with the pool entries added since {@code baseline}. */
    public static long of(Timeline timeline, long baseline) {
        return GraphLayout.parseInstance(published(timeline)).totalSize() + poolEntries(baseline);
    }

    /**
     * What the {@link Compactor}'s pool adds beyond the parts (which the cached objects hold): per entry, its weak key
     * and the hash map's node and slot. Computed from the pool's size rather than walked, because a walk through weak
     * references also reaches whatever other references the collector has linked to them (a whole stopped informer's
     * garbage, once).
     */
    private static long poolEntries(long baseline) {
        try {
            long key = ClassLayout.parseClass(Class.forName(Compactor.class.getName() + "$Key")).instanceSize();
            long node = ClassLayout.parseClass(Class.forName("java.util.concurrent.ConcurrentHashMap$Node")).instanceSize();
            long entries = Math.max(0, Compactor.SHARED.pooled() - baseline);
            long slots = Long.highestOneBit(Math.max(1, entries * 4 / 3)) * 2; // the table doubles past 3/4 full
            return entries * (key + node) + slots * 4;
        } catch (ClassNotFoundException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Bytes of {@code objects} as they are (a plain informer's store, say), shared parts counted once. */
    public static long ofObjects(Object... objects) {
        return GraphLayout.parseInstance(objects).totalSize();
    }

    /** Where the bytes of {@code timeline}'s cache go: the {@code top} classes by total size, bytes per object cached. */
    public static String profile(Timeline timeline, long baseline, int top) {
        return profile(GraphLayout.parseInstance(published(timeline)), timeline.size(), top)
                + String.format("  %8.0f B                 the Compactor's pool entries (%d)%n", (double) poolEntries(baseline) / timeline.size(),
                        Compactor.SHARED.pooled() - baseline);
    }

    /** The same for {@code objects} as they are, per object of them. */
    public static String profileOfObjects(java.util.List<?> objects, int top) {
        return profile(GraphLayout.parseInstance(objects.toArray()), objects.size(), top);
    }

    private static String profile(GraphLayout layout, int per, int top) {
        var sizes = layout.getClassSizes();
        var counts = layout.getClassCounts();
        StringBuilder sb = new StringBuilder(String.format("  %,.0f bytes and %.1f objects per cached object; by class:%n",
                (double) layout.totalSize() / per, (double) layout.totalCount() / per));
        layout.getClasses().stream().sorted(java.util.Comparator.comparingLong((Class<?> c) -> sizes.count(c)).reversed()).limit(top)
                .forEach(c -> sb.append(String.format("  %8.0f B %6.1f objects  %s%n", (double) sizes.count(c) / per,
                        (double) counts.count(c) / per, c.getName())));
        return sb.toString();
    }

    private static Object published(Timeline timeline) {
        try {
            Field f = Timeline.class.getDeclaredField("published");
            f.setAccessible(true);
            return f.get(timeline);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("Timeline has no published view to measure", e);
        }
    }
}
