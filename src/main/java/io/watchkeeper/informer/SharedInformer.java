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

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.fabric8.kubernetes.client.informers.cache.Cache;
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

    volatile SharedIndexInformer<GenericKubernetesResource> informer;
    volatile TransformingItemStore store;
    volatile InformerFailure failure;
    volatile InformerFailure watchError;
    volatile Instant notWatchingSince;
    volatile Instant lastEvent;
    volatile int failedAttempts;
    volatile InformerState reported = InformerState.SYNCING;
    volatile boolean everSynced;

    SharedInformer(InformerKey key, ApiResource resource, Clock clock) {
        this.key = key;
        this.resource = resource;
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
        SharedIndexInformer<GenericKubernetesResource> i = informer;
        if (i == null || !i.hasSynced()) {
            return InformerState.SYNCING;
        }
        Instant since = notWatchingSince;
        if (since != null && Duration.between(since, clock.instant()).compareTo(WATCH_FAILING_AFTER) >= 0) {
            return InformerState.WATCH_FAILING;
        }
        return InformerState.SYNCED;
    }

    public boolean synced() {
        SharedIndexInformer<GenericKubernetesResource> i = informer;
        return failure == null && i != null && i.hasSynced();
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
        SharedIndexInformer<GenericKubernetesResource> i = informer;
        TransformingItemStore st = store;
        return i == null || st == null || failure != null ? 0 : st.size();
    }

    /** The resourceVersion the cache is current at ("" before sync). */
    public String resourceVersion() {
        SharedIndexInformer<GenericKubernetesResource> i = informer;
        String rv = i == null ? null : i.lastSyncResourceVersion();
        return rv == null ? "" : rv;
    }

    /** Cached objects matching {@code filter}. The objects are the cache's own: never modify them. */
    List<GenericKubernetesResource> list(Predicate<GenericKubernetesResource> filter) {
        SharedIndexInformer<GenericKubernetesResource> i = informer;
        if (i == null || failure != null) {
            return List.of();
        }
        TransformingItemStore st = store;
        return st == null ? List.of() : st.values().filter(filter).toList();
    }

    Optional<GenericKubernetesResource> get(String namespace, String name) {
        SharedIndexInformer<GenericKubernetesResource> i = informer;
        if (i == null || failure != null) {
            return Optional.empty();
        }
        String cacheKey = namespace == null || namespace.isEmpty() ? name : Cache.namespaceKeyFunc(namespace, name);
        return Optional.ofNullable(i.getStore().getByKey(cacheKey));
    }

    @Override
    public String toString() {
        return key.toString();
    }
}
