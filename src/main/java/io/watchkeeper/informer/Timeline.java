package io.watchkeeper.informer;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.informers.cache.Cache;
import io.fabric8.kubernetes.client.informers.cache.ItemStore;
import io.watchkeeper.informer.LabelSelectors.Selector;

/**
 * What one shared informer publishes, and how it got there: the objects readers see, the ordered changes since the
 * informer's last complete list, and the stream subscriptions following them.
 * <p>
 * The objects come from a {@link Source}: the item store of the fabric8 informer that lists and watches (the hub's
 * own, or a built-in controller's). A list (the first one, or a relist after {@code 410 Gone} or a failure) is not a
 * sequence of ordered changes: its items arrive in hash order, and deletions hidden by it surface all at once. So the
 * timeline is told when a list begins and when it is complete ({@link Source#beginList}, {@link Source#listed}); in
 * between, readers keep seeing the state before the list, and nothing is logged. A complete list starts a new
 * <em>epoch</em>: readers see the new state, the log is emptied, and every observer of the old epoch is told to start
 * over from a snapshot. Within an epoch each change gets the next sequence number, so a {@link Position} (epoch,
 * sequence) says exactly which changes a follower has; a position from another epoch, another informer or another
 * question can never be resumed.
 * <p>
 * Everything that changes the published state, the log or the observers happens under this object's lock, so a
 * snapshot or a replay and the registration of its observer are one step: the observer gets exactly the changes after
 * it, never one twice, never one missing.
 * <p>
 * The log is kept only while it may be needed: while anyone follows the timeline, and for {@link Budget#retention}
 * after the last follower left or the last read (so that a reconnecting client, or one that listed over HTTP, can
 * resume). It holds each change as its JSON, and at most {@link Budget#bytes} of it: whoever may change the watched
 * objects moves the heap by at most that much per timeline, whatever the size or rate of the changes.
 */
public final class Timeline {

    /** What a logged change costs beyond its JSON: the record, its strings' headers, the deque's slot. */
    static final int CHANGE_OVERHEAD = 96;

    /**
     * One change: {@code type} is ADDED, MODIFIED or DELETED; {@code json} is the object after it (before it, for
     * DELETED), serialized once for every follower.
     */
    public record Change(String type, long seq, String json) {
        /** What the change counts against the log's {@link Budget#bytes}. */
        public long bytes() {
            return json.length() + CHANGE_OVERHEAD;
        }
    }

    /**
     * @param bytes     JSON bytes of changes kept for followers that resume
     * @param retention how long the log is kept after the last follower left, or after the last read
     */
    public record Budget(long bytes, Duration retention) {
    }

    /** Where a follower is: it has every change of {@code epoch} up to {@code seq}. */
    public record Position(String epoch, long seq) {
    }

    /** The published objects at one position (an unmodifiable list; the objects are the cache's own). */
    public record Snapshot(Position position, List<HasMetadata> items) {
    }

    /**
     * Follows a timeline. Both methods are called with the timeline's lock held, on the thread that wrote the change:
     * return at once, and never call into a timeline from them.
     */
    public interface Observer {
        /** The next change; {@code after} is the follower's position once it has it. */
        void onChange(Change change, Position after);

        /**
         * The epoch this observer followed is over (a new list is published, or the informer is gone when
         * {@code closed}): nothing more will come to it; take a new snapshot.
         */
        void onEpochEnd(boolean closed);
    }

    /** Told about every write that changed an object, in order, outside the lock: for the informer's consumers. */
    @FunctionalInterface
    public interface WriteListener {
        /** @param type added, modified or deleted */
        void written(String type, HasMetadata previous, HasMetadata current);
    }

    /**
     * What readers see: the objects by key, their keys by namespace, and their keys by label and value (so that a
     * namespace, or a selector with an equality or {@code in} requirement, is read through an index, not a scan). A
     * source's live view while current; an immutable copy while a list is in progress or the source changes.
     */
    private record View(Map<String, HasMetadata> objects, Map<String, Set<String>> byNamespace,
            Map<String, Map<String, Set<String>>> byLabel) {
        static final View EMPTY = new View(Map.of(), Map.of(), Map.of());

        View frozen() {
            Map<String, Set<String>> keys = new java.util.HashMap<>();
            byNamespace.forEach((ns, k) -> keys.put(ns, Set.copyOf(k)));
            Map<String, Map<String, Set<String>>> labels = new java.util.HashMap<>();
            byLabel.forEach((label, byValue) -> {
                Map<String, Set<String>> values = new java.util.HashMap<>();
                byValue.forEach((value, k) -> values.put(value, Set.copyOf(k)));
                labels.put(label, Map.copyOf(values));
            });
            return new View(Map.copyOf(objects), Map.copyOf(keys), Map.copyOf(labels));
        }

        /**
         * The objects in {@code namespace} (all when null) that {@code labels} selects. Candidates come from the label
         * index when the selector has an equality or {@code in} requirement (the one with the fewest candidates), or
         * from the namespace index when that has fewer; else every object is looked at. Every candidate is tested
         * against the whole selector: a reader may see an object newer than the index entry that led to it.
         */
        List<HasMetadata> select(String namespace, Selector labels) {
            Collection<String> keys = namespace == null ? null : byNamespace.getOrDefault(namespace, Set.of());
            for (LabelSelectors.Requirement r : labels.requirements()) {
                if (r.op() == LabelSelectors.Op.EQUALS || r.op() == LabelSelectors.Op.IN) {
                    Map<String, Set<String>> byValue = byLabel.getOrDefault(r.key(), Map.of());
                    Collection<String> found;
                    if (r.values().size() == 1) {
                        found = byValue.getOrDefault(r.values().get(0), Set.of());
                    } else { // a set: a key that moves between two of the values meanwhile is looked at once
                        found = new java.util.LinkedHashSet<>();
                        for (String v : r.values()) {
                            found.addAll(byValue.getOrDefault(v, Set.of()));
                        }
                    }
                    if (keys == null || found.size() < keys.size()) {
                        keys = found;
                    }
                }
            }
            List<HasMetadata> out = new ArrayList<>();
            for (HasMetadata o : keys == null ? objects.values() : new LookedUp(keys, objects)) {
                if (o != null && (namespace == null || namespace.equals(o.getMetadata().getNamespace()))
                        && labels.test(o.getMetadata().getLabels())) {
                    out.add(o);
                }
            }
            return out;
        }
    }

    /** The objects of {@code keys}, looked up as they are iterated (null for a key whose object is gone). */
    private record LookedUp(Collection<String> keys, Map<String, HasMetadata> objects) implements Iterable<HasMetadata> {
        @Override
        public java.util.Iterator<HasMetadata> iterator() {
            java.util.Iterator<String> k = keys.iterator();
            return new java.util.Iterator<>() {
                @Override
                public boolean hasNext() {
                    return k.hasNext();
                }

                @Override
                public HasMetadata next() {
                    return objects.get(k.next());
                }
            };
        }
    }

    enum State {
        /** Nothing published yet. */
        EMPTY,
        /** A list is in progress, or the source changed: readers see the last published state. */
        LISTING,
        /** The published state is the source's own, changes are logged. */
        CURRENT,
        /** The informer is gone. */
        CLOSED
    }

    private final Budget budget;
    private final Clock clock;
    private final WriteListener writes;
    private final ArrayDeque<Change> log = new ArrayDeque<>();
    private long loggedBytes;
    /** The log is kept while there are observers, and until this instant after the last one left or the last read. */
    private Instant keepUntil = Instant.MIN;
    private final Set<Observer> observers = new LinkedHashSet<>();
    /** Narrower questions' sources that this timeline's current source feeds ({@link #feed}). */
    private final List<Feed> feeds = new ArrayList<>();
    private Source<?> source;
    private volatile State state = State.EMPTY;
    private volatile String epoch;
    private long seq;
    /** Every change with a higher sequence number than this is in the log. */
    private long coveredFrom;
    private volatile View published = View.EMPTY;
    private volatile String listResourceVersion = "";

    public Timeline(Budget budget, Clock clock, WriteListener writes) {
        this.budget = budget;
        this.clock = clock;
        this.writes = writes;
    }

    /**
     * A new item store that feeds this timeline once {@link #attach attached}; {@code transform} runs on every object
     * put, then the {@link Compactor} shares its parts with the objects already cached.
     */
    public <T extends HasMetadata> Source<T> newSource(UnaryOperator<T> transform) {
        return new Source<>(this, transform);
    }

    /**
     * Makes {@code next} the source: writes of any other source are ignored from now on. Until {@code next} has
     * completed a list, readers keep seeing what was published before.
     */
    public void attach(Source<?> next) {
        List<Runnable> after = new ArrayList<>();
        synchronized (this) {
            if (state == State.CLOSED || source == next) {
                return;
            }
            freeze();
            source = next;
            if (next.listed()) {
                Map<String, HasMetadata> before = published.objects();
                publish(next);
                tellDifferences(before, next, after);
            }
            for (Feed f : feeds) {
                f.start(next, after);
            }
        }
        after.forEach(Runnable::run);
    }

    /** The source stopped: what it published stays readable (and followable) until another source lists. */
    public synchronized void detach(Source<?> stopped) {
        if (source == stopped) {
            freeze();
            source = null;
            feeds.forEach(Feed::beginList); // nothing feeds them until a source lists again: not current either
        }
    }

    /**
     * A source that had listed before it became this timeline's published its objects at once: the consumers are told
     * how they differ from what was published before, as its own list would have told them.
     */
    private void tellDifferences(Map<String, HasMetadata> before, Source<?> next, List<Runnable> after) {
        next.live.forEach((key, o) -> {
            HasMetadata p = before.get(key);
            if (p == null) {
                after.add(() -> writes.written("added", null, o));
            } else if (p != o && !sameVersion(p, o)) {
                after.add(() -> writes.written("modified", p, o));
            }
        });
        before.forEach((key, p) -> {
            if (!next.live.containsKey(key)) {
                after.add(() -> writes.written("deleted", p, null));
            }
        });
    }

    /** The informer is gone: every observer is told, and nothing is readable any more. */
    public synchronized void close() {
        state = State.CLOSED;
        source = null;
        feeds.clear();
        published = View.EMPTY;
        clearLog();
        endEpoch(true);
    }

    /** How much of the changes this timeline logs, and for how long. */
    public Budget budget() {
        return budget;
    }

    /** Whether anything has been published: a complete list, now or before a source change. */
    public boolean published() {
        return epoch != null && state != State.CLOSED;
    }

    /** Whether the published state is the current source's, kept current by its watch (no list in progress). */
    public synchronized boolean current() {
        return state == State.CURRENT;
    }

    /** The resourceVersion of the last complete list ("" before one). */
    public String listResourceVersion() {
        return listResourceVersion;
    }

    public int size() {
        return published.objects().size();
    }

    /** The published objects; never modify them. */
    public Stream<HasMetadata> values() {
        return published.objects().values().stream();
    }

    /** The published objects in {@code namespace}, found through an index, not a scan. */
    public Stream<HasMetadata> values(String namespace) {
        View v = published;
        return v.byNamespace().getOrDefault(namespace, Set.of()).stream().map(v.objects()::get).filter(java.util.Objects::nonNull);
    }

    /**
     * The published objects in {@code namespace} (all namespaces when null) whose labels {@code labels} selects,
     * found through the namespace and label indexes where the selector allows (see {@link View#select}).
     */
    public List<HasMetadata> values(String namespace, Selector labels) {
        return published.select(namespace, labels);
    }

    /** One published object, by {@code namespace/name} (or {@code name} for cluster-scoped objects), or null. */
    public HasMetadata get(String namespace, String name) {
        return published.objects().get(namespace == null || namespace.isEmpty() ? name : Cache.namespaceKeyFunc(namespace, name));
    }

    /** The published objects and the position they are at, read together; empty before anything was published. */
    public Optional<Snapshot> read() {
        return read(Selector.EVERYTHING);
    }

    /**
     * The published objects whose labels {@code labels} selects (through the label index), and the position they are
     * at, read together.
     */
    public synchronized Optional<Snapshot> read(Selector labels) {
        if (!published()) {
            return Optional.empty();
        }
        keepLog(); // whoever read the position may come back to resume from it
        return Optional.of(new Snapshot(position(), List.copyOf(values(null, labels))));
    }

    /**
     * A snapshot, with {@code observer} registered for every change after it, in one step. Before anything is published
     * the observer is registered anyway and told ({@link Observer#onEpochEnd}) when the first epoch begins.
     */
    public synchronized Optional<Snapshot> snapshot(Observer observer) {
        if (state == State.CLOSED) {
            endEpochOf(observer, true);
            return Optional.empty();
        }
        observers.add(observer);
        return published() ? Optional.of(new Snapshot(position(), List.copyOf(published.objects().values()))) : Optional.empty();
    }

    /**
     * The changes after {@code from}, with {@code observer} registered for every later one, in one step; empty (and
     * nothing registered) unless the log provably holds every change since {@code from}: same epoch, not evicted.
     */
    public synchronized Optional<List<Change>> resume(Position from, Observer observer) {
        if (!published() || !from.epoch().equals(epoch) || from.seq() < coveredFrom || from.seq() > seq) {
            return Optional.empty();
        }
        List<Change> out = new ArrayList<>();
        for (Change c : log) {
            if (c.seq() > from.seq()) {
                out.add(c);
            }
        }
        observers.add(observer);
        return Optional.of(out);
    }

    public synchronized void unobserve(Observer observer) {
        if (observers.remove(observer) && observers.isEmpty()) {
            keepLog();
        }
    }

    synchronized int logged() {
        return log.size();
    }

    /** Bytes of JSON (characters, one byte each in memory for the ASCII JSON mostly is) in the replay log. */
    public synchronized long loggedBytes() {
        return loggedBytes;
    }

    /** Drops the log once nobody follows and the retention has run out; on a write, or on the hub's tick when quiet. */
    public synchronized void releaseLogIfUnneeded() {
        if (!log.isEmpty() && !logNeeded()) {
            clearLog();
            coveredFrom = seq;
        }
    }

    /** An object as stream messages carry it: the same serialisation for snapshots and changes. */
    public static String json(HasMetadata object) {
        return ObjectJson.string(object);
    }

    private void keepLog() {
        Instant until = clock.instant().plus(budget.retention());
        if (until.isAfter(keepUntil)) {
            keepUntil = until;
        }
    }

    private boolean logNeeded() {
        return !observers.isEmpty() || clock.instant().isBefore(keepUntil);
    }

    private void clearLog() {
        log.clear();
        loggedBytes = 0;
    }

    synchronized State state() {
        return state;
    }

    private Position position() {
        return new Position(epoch, seq);
    }

    /** Readers keep the last published state while the source lists again or changes. */
    private void freeze() {
        if (state == State.CURRENT) {
            published = published.frozen();
            state = State.LISTING;
        }
    }

    private void publish(Source<?> from) {
        endEpoch(false);
        published = from.view();
        listResourceVersion = from.listResourceVersion == null ? "" : from.listResourceVersion;
        epoch = Long.toHexString(ThreadLocalRandom.current().nextLong() | Long.MIN_VALUE);
        clearLog();
        coveredFrom = seq;
        state = State.CURRENT;
    }

    private void endEpoch(boolean closed) {
        List<Observer> ended = new ArrayList<>(observers);
        if (!ended.isEmpty()) {
            keepLog(); // they come back, from a snapshot of the next epoch, and resume from it
        }
        observers.clear();
        ended.forEach(o -> endEpochOf(o, closed));
    }

    private static void endEpochOf(Observer o, boolean closed) {
        try {
            o.onEpochEnd(closed);
        } catch (RuntimeException e) {
            org.jboss.logging.Logger.getLogger(Timeline.class).warnf(e, "A follower failed to take the end of an epoch");
        }
    }

    private void beginList(Source<?> from) {
        synchronized (this) {
            if (from == source) {
                freeze();
                feeds.forEach(Feed::beginList);
            }
        }
    }

    private void listed(Source<?> from) {
        List<Runnable> after = new ArrayList<>();
        synchronized (this) {
            if (from != source) {
                return;
            }
            if (state != State.CURRENT && state != State.CLOSED) {
                publish(from);
            }
            for (Feed f : feeds) {
                f.listed(from, after);
            }
        }
        after.forEach(Runnable::run);
    }

    // --- feeds: a narrower question served from this timeline's source ---------------------------------------------

    /**
     * Feeds {@code into}, the source of a narrower question's timeline, from this timeline's current source from now
     * on, for as long as it is not {@link #unfeed unfed}: the objects {@code selects} accepts, the very same instances
     * (nothing is parsed, transformed or copied twice), in the same order. {@code into} lists when this source lists (and
     * when it is fed first: at once, with what this source holds, when it has listed), so the narrower timeline has
     * epochs, a log and followers of its own, exactly as if an informer of its own filled it. A source this timeline
     * moves to feeds it too, from a list of its own.
     */
    public Feed feed(Source<?> into, java.util.function.Predicate<HasMetadata> selects) {
        Feed f = new Feed(into, selects);
        List<Runnable> after = new ArrayList<>();
        synchronized (this) {
            if (state == State.CLOSED) {
                return f;
            }
            feeds.add(f);
            if (source != null) {
                f.start(source, after);
            }
        }
        after.forEach(Runnable::run);
        return f;
    }

    /** {@code f}'s source is fed no more. */
    public synchronized void unfeed(Feed f) {
        feeds.remove(f);
    }

    synchronized int feeds() {
        return feeds.size();
    }

    /** One narrower source fed by this timeline ({@link #feed}); its methods run under this timeline's lock. */
    public static final class Feed {
        private final Source<?> into;
        private final java.util.function.Predicate<HasMetadata> selects;

        private Feed(Source<?> into, java.util.function.Predicate<HasMetadata> selects) {
            this.into = into;
            this.selects = selects;
        }

        /** The source this feed fills. */
        public Source<?> into() {
            return into;
        }

        /** {@code from} is the feeding source now: {@link #into} lists, and has listed at once if {@code from} has. */
        private void start(Source<?> from, List<Runnable> after) {
            beginList();
            if (from.listed()) {
                listed(from, after);
            }
        }

        private void beginList() {
            into.beginList();
        }

        /**
         * The feeding source completed a list: {@link #into} holds exactly what it selects of it (whatever it missed or
         * kept meanwhile, as when the feed began in the middle of a list), and is listed at the same resourceVersion.
         */
        private void listed(Source<?> from, List<Runnable> after) {
            for (String key : List.copyOf(into.live.keySet())) {
                HasMetadata o = from.live.get(key);
                if (o == null || !selects.test(o)) {
                    forward(into, key, null, after);
                }
            }
            from.live.forEach((key, o) -> {
                if (selects.test(o)) {
                    forward(into, key, o, after);
                }
            });
            into.listed(from.listResourceVersion);
        }

        /** The feeding source changed {@code key}. */
        private void changed(String key, HasMetadata current, List<Runnable> after) {
            if (current != null && selects.test(current)) {
                forward(into, key, current, after);
            } else if (into.live.containsKey(key)) {
                forward(into, key, null, after);
            }
        }

        @SuppressWarnings("unchecked")
        private static <T extends HasMetadata> void forward(Source<T> into, String key, HasMetadata object, List<Runnable> after) {
            Timeline t = into.timeline;
            synchronized (t) {
                t.writeLocked(into, key, (T) object, after);
            }
        }
    }

    /**
     * A write of {@code from}'s store: the store's map changes under this timeline's lock, together with the log and
     * the observers, so that a snapshot never holds a change its position does not count. The consumers are told
     * afterwards, outside the lock.
     */
    private <T extends HasMetadata> T write(Source<T> from, String key, T current) {
        List<Runnable> after = new ArrayList<>(1);
        T previous;
        synchronized (this) {
            previous = writeLocked(from, key, current, after);
        }
        after.forEach(Runnable::run);
        return previous;
    }

    /**
     * {@link #write}'s part under the lock: the store, its indexes, the log, the observers and the narrower sources fed
     * from this one change together; what the consumers are to be told goes to {@code after}, to run outside every
     * lock, in order.
     */
    private <T extends HasMetadata> T writeLocked(Source<T> from, String key, T current, List<Runnable> after) {
        T previous = current == null ? from.live.remove(key) : from.live.put(key, current);
        from.index(key, previous, current);
        if (previous == null && current == null) {
            return null;
        }
        if (previous != null && current != null && (previous == current || sameVersion(previous, current))) {
            return previous; // a relist that found the object unchanged
        }
        String type = previous == null ? "ADDED" : current == null ? "DELETED" : "MODIFIED";
        if (from != source) {
            return previous; // a source that is no longer ours
        }
        if (state == State.CURRENT) {
            ++seq;
            if (logNeeded()) {
                logAndTell(type, current != null ? current : previous);
            } else {
                // nobody follows (so nobody to tell), nobody may resume: no log, no resume from before this change
                clearLog();
                coveredFrom = seq;
            }
        }
        String written = type.toLowerCase(java.util.Locale.ROOT);
        after.add(() -> writes.written(written, previous, current));
        for (Feed f : feeds) {
            f.changed(key, current, after);
        }
        return previous;
    }

    /** Logs the change just numbered, within the budget, and tells the observers; under the lock. */
    private void logAndTell(String type, HasMetadata object) {
        Change c = new Change(type, seq, json(object));
        log.addLast(c);
        loggedBytes += c.bytes();
        while (loggedBytes > budget.bytes() && !log.isEmpty()) {
            Change evicted = log.removeFirst();
            loggedBytes -= evicted.bytes();
            coveredFrom = evicted.seq();
        }
        Position after = position();
        for (Observer o : List.copyOf(observers)) {
            try {
                o.onChange(c, after);
            } catch (RuntimeException e) {
                // an observer that cannot take a change must not cost the others theirs: it starts over
                observers.remove(o);
                endEpochOf(o, false);
            }
        }
    }

    private static boolean sameVersion(HasMetadata a, HasMetadata b) {
        String ra = a.getMetadata() == null ? null : a.getMetadata().getResourceVersion();
        String rb = b.getMetadata() == null ? null : b.getMetadata().getResourceVersion();
        return ra != null && ra.equals(rb);
    }

    /**
     * The item store of one fabric8 informer, feeding its timeline. fabric8 (or JOSDK) puts and removes objects here
     * in the order its list and watch deliver them; whoever starts the informer's requests says when a list begins and
     * when it is complete (the hub, through the informer's lister-watcher; for a controller's informer, the request
     * interceptor of the operator's client).
     */
    public static final class Source<T extends HasMetadata> implements ItemStore<T> {
        private final Timeline timeline;
        private final UnaryOperator<T> transform;
        private final ConcurrentHashMap<String, T> live = new ConcurrentHashMap<>();
        private final ConcurrentHashMap<String, Set<String>> keysByNamespace = new ConcurrentHashMap<>();
        private final ConcurrentHashMap<String, Map<String, Set<String>>> keysByLabel = new ConcurrentHashMap<>();
        /**
         * Objects {@link #prepare}d for this store and not yet put: {@link #put} takes them as they are. By identity;
         * emptied when a list begins, so that a failed list leaves nothing behind.
         */
        private final Set<Object> prepared = Collections.synchronizedSet(Collections.newSetFromMap(new IdentityHashMap<>()));
        private volatile boolean listing;
        private volatile boolean listedOnce;
        private volatile String listResourceVersion;

        private Source(Timeline timeline, UnaryOperator<T> transform) {
            this.timeline = timeline;
            this.transform = transform;
        }

        public Timeline timeline() {
            return timeline;
        }

        @SuppressWarnings("unchecked")
        private View view() {
            return new View((Map<String, HasMetadata>) (Map<String, ?>) live, keysByNamespace, keysByLabel);
        }

        /** Keeps the namespace and label indexes in step with {@link #live}; called under the timeline's lock. */
        private void index(String key, T previous, T current) {
            Map<String, String> before = previous == null ? null : previous.getMetadata().getLabels();
            Map<String, String> after = current == null ? null : current.getMetadata().getLabels();
            if (before != after) { // compacted objects of the same labels share one map
                Map<String, String> b = before == null ? Map.of() : before;
                Map<String, String> a = after == null ? Map.of() : after;
                b.forEach((label, value) -> {
                    if (!value.equals(a.get(label))) {
                        keysByLabel.computeIfPresent(label, (l, byValue) -> {
                            byValue.computeIfPresent(value, (v, keys) -> {
                                keys.remove(key);
                                return keys.isEmpty() ? null : keys;
                            });
                            return byValue.isEmpty() ? null : byValue;
                        });
                    }
                });
                a.forEach((label, value) -> {
                    if (!value.equals(b.get(label))) {
                        keysByLabel.computeIfAbsent(label, l -> new ConcurrentHashMap<>()).computeIfAbsent(value, v -> ConcurrentHashMap.newKeySet())
                                .add(key);
                    }
                });
            }
            if (previous != null && current == null) {
                String ns = previous.getMetadata().getNamespace();
                if (ns != null) {
                    keysByNamespace.computeIfPresent(ns, (n, keys) -> {
                        keys.remove(key);
                        return keys.isEmpty() ? null : keys;
                    });
                }
            } else if (previous == null && current != null) {
                String ns = current.getMetadata().getNamespace();
                if (ns != null) {
                    keysByNamespace.computeIfAbsent(ns, n -> ConcurrentHashMap.newKeySet()).add(key);
                }
            }
        }

        /** A LIST (not a continuation page) is about to be sent. */
        public void beginList() {
            prepared.clear();
            listing = true;
            timeline.beginList(this);
        }

        /**
         * The list is complete and every item of it is in this store (the informer is about to watch from
         * {@code resourceVersion}). Without a list in progress this is a watch that resumes: nothing to do.
         */
        public void listed(String resourceVersion) {
            if (!listing) {
                return;
            }
            listing = false;
            listedOnce = true;
            listResourceVersion = resourceVersion;
            timeline.listed(this);
        }

        /** Whether a list is in progress. */
        public boolean listing() {
            return listing;
        }

        boolean listed() {
            return listedOnce && !listing;
        }

        /** Whether a list has ever completed (a relist in progress keeps the last one's objects). */
        public boolean everListed() {
            return listedOnce;
        }

        @Override
        public String getKey(T obj) {
            return Cache.metaNamespaceKeyFunc(obj);
        }

        @Override
        public T put(String key, T obj) {
            T cached = live.get(key);
            if (obj == cached) {
                return cached; // put before, by cache(): transformed and compacted already
            }
            return timeline.write(this, key, prepared.remove(obj) ? obj : Compactor.SHARED.compact(transform.apply(obj)));
        }

        /**
         * {@code obj} as this store will hold it (transformed and compacted), without putting it: for a list read item
         * by item ({@link StreamedList}) into an informer whose handlers are to be told of each item as fabric8's
         * reflector puts it (a controller's: an object already in the store would not be an addition). The list then
         * holds small objects rather than whole ones, and the reflector's put does not transform them again.
         */
        T prepare(T obj) {
            T ready = Compactor.SHARED.compact(transform.apply(obj));
            prepared.add(ready);
            return ready;
        }

        /**
         * Puts {@code obj} and returns what this store now holds for it (transformed and compacted): for a list read
         * item by item ({@link StreamedList}), whose items fabric8 then puts again, which changes nothing.
         */
        T cache(T obj) {
            String key = getKey(obj);
            put(key, obj);
            return live.get(key);
        }

        @Override
        public T remove(String key) {
            return timeline.write(this, key, null);
        }

        @Override
        public Stream<String> keySet() {
            return live.keySet().stream();
        }

        @Override
        public Stream<T> values() {
            return live.values().stream();
        }

        @Override
        public int size() {
            return live.size();
        }

        @Override
        public T get(String key) {
            return live.get(key);
        }
    }
}
