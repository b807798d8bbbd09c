package io.watchkeeper.informer;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.watchkeeper.discovery.ApiResource;

/**
 * One shared informer: the cache for one {@link InformerKey}, the consumers that hold it, and its health. Created and
 * owned by the {@link InformerHub}; readers see it through the methods below, which never call the API server.
 */
public final class SharedInformer {

    /** A watch that has not been watching for this long after sync is reported as failing. */
    static final Duration WATCH_FAILING_AFTER = Duration.ofSeconds(10);

    private final InformerKey key;
    private final ApiResource resource;
    final Map<String, InformerListener> consumers = new ConcurrentHashMap<>();
    final AtomicInteger listRequests = new AtomicInteger();
    final AtomicInteger watchRequests = new AtomicInteger();
    private final Clock clock;

    volatile InformerBackend backend;
    volatile InformerFailure failure;
    volatile InformerFailure watchError;
    volatile Instant notWatchingSince;
    volatile Instant lastEvent;
    volatile int failedAttempts;
    volatile InformerState reported = InformerState.SYNCING;
    volatile boolean everSynced;
    /** The controller whose primary informer this is, when adopted. */
    volatile String adoptedBy;
    private final Map<String, io.micrometer.core.instrument.Counter> eventCounters = new ConcurrentHashMap<>();
    final ChangeLog changes;

    SharedInformer(InformerKey key, ApiResource resource, Clock clock) {
        this(key, resource, clock, 1000);
    }

    SharedInformer(InformerKey key, ApiResource resource, Clock clock, int changeLogCapacity) {
        this.key = key;
        this.resource = resource;
        this.changes = new ChangeLog(changeLogCapacity);
        this.clock = clock;
    }

    public InformerKey key() {
        return key;
    }

    public ApiResource resource() {
        return resource;
    }

    public int consumers() {
        return consumers.size();
    }

    public InformerState state() {
        if (failure != null) {
            return InformerState.FAILED;
        }
        InformerBackend b = backend;
        if (b == null || !b.hasSynced()) {
            return InformerState.SYNCING;
        }
        Instant since = notWatchingSince;
        if (since != null && Duration.between(since, clock.instant()).compareTo(WATCH_FAILING_AFTER) >= 0) {
            return InformerState.WATCH_FAILING;
        }
        return InformerState.SYNCED;
    }

    public boolean synced() {
        InformerBackend b = backend;
        return failure == null && b != null && b.hasSynced();
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
        InformerBackend b = backend;
        return b == null || failure != null ? 0 : b.size();
    }

    /** The resourceVersion the cache is current at ("" before sync). */
    public String resourceVersion() {
        InformerBackend b = backend;
        String rv = b == null ? null : b.lastSyncResourceVersion();
        return rv == null ? "" : rv;
    }

    /** Cached objects matching {@code filter}. The objects are the cache's own: never modify them. */
    List<HasMetadata> list(Predicate<? super HasMetadata> filter) {
        InformerBackend b = backend;
        if (b == null || failure != null) {
            return List.of();
        }
        return b.values().filter(filter).map(HasMetadata.class::cast).toList();
    }

    /** Cached objects in {@code namespace} matching {@code filter}. */
    List<HasMetadata> list(String namespace, Predicate<? super HasMetadata> filter) {
        InformerBackend b = backend;
        if (b == null || failure != null) {
            return List.of();
        }
        return b.values(namespace).filter(filter).map(HasMetadata.class::cast).toList();
    }

    Optional<HasMetadata> get(String namespace, String name) {
        InformerBackend b = backend;
        if (b == null || failure != null) {
            return Optional.empty();
        }
        return Optional.ofNullable(b.get(namespace, name));
    }

    /** The informer's recent changes, for stream clients that resume. */
    public ChangeLog changes() {
        return changes;
    }

    /** Whether a built-in controller's informer stands behind this one (see {@link ControllerInformerBridge}). */
    public boolean adopted() {
        InformerBackend b = backend;
        return b != null && !b.ownedByHub();
    }

    /**
     * One event of the informer: counted, remembered as the last event, and handed to every consumer. Runs on the
     * informer's own serial thread.
     *
     * @param previous the object before ({@code null} when added)
     * @param current  the object after ({@code null} when deleted)
     */
    void dispatch(String type, HasMetadata previous, HasMetadata current, Instant now, InformerMetrics metrics) {
        lastEvent = now;
        if (synced()) { // the initial list's adds are the snapshot, not changes
            changes.append(switch (type) {
                case "added" -> "ADDED";
                case "deleted" -> "DELETED";
                default -> "MODIFIED";
            }, current != null ? current : previous);
        }
        eventCounters.computeIfAbsent(type, t -> metrics.eventCounter(key, t)).increment();
        consumers.forEach((id, l) -> {
            try {
                l.onObjectChange(id, key, previous, current);
            } catch (RuntimeException e) {
                org.jboss.logging.Logger.getLogger(SharedInformer.class).warnf(e, "Consumer %s failed to take an event of %s", id, key);
            }
        });
    }

    @Override
    public String toString() {
        return key.toString();
    }
}
