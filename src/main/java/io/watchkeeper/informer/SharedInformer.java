package io.watchkeeper.informer;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

import org.jboss.logging.Logger;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.micrometer.core.instrument.Counter;
import io.watchkeeper.discovery.ApiResource;

/**
 * One shared informer: the question it answers ({@link InformerKey}), the consumers that hold it, the backend that
 * lists and watches for it, its health, and its {@link Timeline} (what it publishes and the changes since its last
 * list). It outlives its backends: when the hub restarts a failed informer, or hands the question to a built-in
 * controller's informer, the timeline, its consumers and its stream followers stay, and follow the new backend.
 * <p>
 * Its state changes only through the methods below; the {@link InformerHub} and its helpers call them.
 */
public final class SharedInformer {

    private static final Logger LOG = Logger.getLogger(SharedInformer.class);

    /** A watch that has not been watching for this long after sync is reported as failing. */
    static final Duration WATCH_FAILING_AFTER = Duration.ofSeconds(10);

    private final InformerKey key;
    private final ApiResource resource;
    private final Clock clock;
    private final InformerMetrics metrics;
    private final Timeline timeline;
    private final Map<String, InformerListener> consumers = new ConcurrentHashMap<>();
    private final Map<String, Counter> eventCounters = new ConcurrentHashMap<>();
    private final java.util.concurrent.atomic.AtomicInteger lists = new java.util.concurrent.atomic.AtomicInteger();
    private final java.util.concurrent.atomic.AtomicInteger watches = new java.util.concurrent.atomic.AtomicInteger();

    private volatile InformerBackend backend;
    /** Set when the backend stopped for good (FAILED); a restart clears it. */
    private volatile InformerFailure failure;
    /** The last error of a watch that fabric8 keeps retrying. */
    private volatile InformerFailure watchError;
    private volatile Instant notWatchingSince;
    private volatile Instant lastEvent;
    private volatile int failedAttempts;
    private volatile InformerState reported = InformerState.SYNCING;
    /** The controller whose primary informer is the backend, when adopted. */
    private volatile String adoptedBy;

    SharedInformer(InformerKey key, ApiResource resource, Clock clock, InformerMetrics metrics, Timeline.Budget replay) {
        this.key = key;
        this.resource = resource;
        this.clock = clock;
        this.metrics = metrics;
        this.timeline = new Timeline(replay, clock, this::written);
    }

    public InformerKey key() {
        return key;
    }

    public ApiResource resource() {
        return resource;
    }

    /** What this informer publishes, and the changes since its last list: for stream subscriptions. */
    public Timeline timeline() {
        return timeline;
    }

    public int consumers() {
        return consumers.size();
    }

    public InformerState state() {
        if (failure != null) {
            return InformerState.FAILED;
        }
        if (!synced()) {
            return InformerState.SYNCING;
        }
        Instant since = notWatchingSince;
        if (since != null && Duration.between(since, clock.instant()).compareTo(WATCH_FAILING_AFTER) >= 0) {
            return InformerState.WATCH_FAILING;
        }
        return InformerState.SYNCED;
    }

    /**
     * Whether the current backend has completed a list (relists keep it synced), has not failed, and what it listed is
     * published (readers see it).
     */
    public boolean synced() {
        InformerBackend b = backend;
        return failure == null && b != null && b.source().everListed() && timeline.published();
    }

    /** The error that stopped the informer (state FAILED), or the last watch error (WATCH_FAILING, SYNCING). */
    public Optional<InformerFailure> failure() {
        return Optional.ofNullable(failure != null ? failure : watchError);
    }

    /** Since when the watch has been down after sync, if it is. */
    public Optional<Instant> notWatchingSince() {
        return Optional.ofNullable(notWatchingSince);
    }

    public Optional<Instant> lastEvent() {
        return Optional.ofNullable(lastEvent);
    }

    public int size() {
        return synced() ? timeline.size() : 0;
    }

    /** The resourceVersion of the last complete list ("" before one). */
    public String resourceVersion() {
        return timeline.listResourceVersion();
    }

    /** Whether a built-in controller's informer stands behind this one (see {@link ControllerInformerBridge}). */
    public boolean adopted() {
        return adoptedBy != null;
    }

    /** The informer whose cache answers this question, when it has no list and no watch of its own. */
    public Optional<InformerKey> servedFrom() {
        return backend instanceof DerivedBackend d ? Optional.of(d.container().key()) : Optional.empty();
    }

    String adoptedBy() {
        return adoptedBy;
    }

    /**
     * Cached objects in {@code namespace} (all when null) whose labels {@code labels} selects, read through the
     * namespace and label indexes. The objects are the cache's own: never modify them.
     */
    List<HasMetadata> list(String namespace, LabelSelectors.Selector labels) {
        return synced() ? timeline.values(namespace, labels) : List.of();
    }

    Optional<HasMetadata> get(String namespace, String name) {
        return synced() ? Optional.ofNullable(timeline.get(namespace, name)) : Optional.empty();
    }

    /** Counts a LIST of this question (any backend's): @return how many so far; beyond the first, relists. */
    int countList() {
        return lists.incrementAndGet();
    }

    /** Counts a WATCH of this question: @return how many so far; beyond the first, watch restarts. */
    int countWatch() {
        return watches.incrementAndGet();
    }

    // --- consumers ----------------------------------------------------------------------------------------------------

    /** @return whether {@code consumerId} is new */
    boolean addConsumer(String consumerId, InformerListener listener) {
        return consumers.put(consumerId, listener) == null;
    }

    /** @return whether no consumer is left */
    boolean removeConsumer(String consumerId) {
        consumers.remove(consumerId);
        return consumers.isEmpty();
    }

    /** Tells every consumer to look at this informer again. */
    void notifyConsumers() {
        consumers.forEach((id, l) -> {
            try {
                l.onStateChange(id, key);
            } catch (RuntimeException e) {
                LOG.warnf(e, "Consumer %s failed to take a state change of %s", id, key);
            }
        });
    }

    // --- backend transitions --------------------------------------------------------------------------------------------

    InformerBackend backend() {
        return backend;
    }

    /** {@code next} now lists and watches for this question (a hub informer just started, or a controller's adopted). */
    synchronized void attach(InformerBackend next, String controller) {
        backend = next;
        adoptedBy = controller;
        failure = null;
        watchError = null;
        notWatchingSince = null;
        timeline.attach(next.source());
    }

    /** The backend stops serving this question; the last published state stays readable for stream followers. */
    synchronized InformerBackend detach() {
        InformerBackend b = backend;
        backend = null;
        adoptedBy = null;
        if (b != null) {
            timeline.detach(b.source());
        }
        return b;
    }

    /**
     * {@code failed} stopped for good: detached, and the attempt counted, unless another backend has taken over
     * meanwhile (a hand-over to a controller's informer).
     *
     * @return the failed attempts so far, or 0 when {@code failed} was no longer the backend
     */
    synchronized int failed(InformerBackend failed, InformerFailure f) {
        if (backend != failed) {
            return 0;
        }
        failure = f;
        detach();
        return ++failedAttempts;
    }

    /** The backend's first list completed. */
    void started() {
        failedAttempts = 0;
    }

    /** fabric8 retries a failing watch by itself; remembered so that the watch's status can say why. */
    void watchFailed(InformerFailure f, boolean afterSync) {
        watchError = f;
        if (afterSync && notWatchingSince == null) {
            notWatchingSince = clock.instant();
        }
    }

    /** The informer is gone (its last consumer left): stream followers are told. */
    void close() {
        timeline.close();
    }

    /**
     * Looks at the backend once: whether its watch runs, and whether the state consumers see changed.
     *
     * @return the state before, when it changed
     */
    Optional<InformerState> sample(Instant now) {
        InformerBackend b = backend;
        if (b != null && failure == null && b.source().everListed()) {
            if (b.isWatching()) {
                notWatchingSince = null;
                watchError = null;
            } else if (notWatchingSince == null) {
                notWatchingSince = now;
            }
        }
        InformerState state = state();
        InformerState was = reported;
        if (state == was) {
            return Optional.empty();
        }
        reported = state;
        return Optional.of(was);
    }

    /**
     * A write of the backend's store that changed an object, in order, on the thread that wrote it: counted,
     * remembered as the last event, and handed to every consumer.
     */
    private void written(String type, HasMetadata previous, HasMetadata current) {
        lastEvent = clock.instant();
        eventCounters.computeIfAbsent(type, t -> metrics.eventCounter(key, t)).increment();
        consumers.forEach((id, l) -> {
            try {
                l.onObjectChange(id, key, previous, current);
            } catch (RuntimeException e) {
                LOG.warnf(e, "Consumer %s failed to take an event of %s", id, key);
            }
        });
    }

    @Override
    public String toString() {
        return key.toString();
    }
}
