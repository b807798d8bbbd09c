package io.watchkeeper.watch;

import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

import jakarta.enterprise.context.ApplicationScoped;

import io.watchkeeper.api.v1alpha1.WatchStatus;
import io.watchkeeper.discovery.ApiResource;
import io.watchkeeper.informer.InformerKey;

/**
 * The watches this operator serves, as of their last reconcile: what the HTTP layer reads to list watches and to find
 * a watch's informers, so that no read goes to the API server.
 */
@ApplicationScoped
public class WatchRegistry {

    public enum Kind {
        ResourceWatch,
        ClusterResourceWatch
    }

    /**
     * @param namespace  the watch's namespace; null for a ClusterResourceWatch
     * @param resource   the resolved resource, empty while unresolved
     * @param keys       informer keys the watch holds
     * @param namespaces namespaces the watch covers; empty means all (ClusterResourceWatch) or cluster-scoped
     */
    public record Entry(Kind kind, String namespace, String name, String requested, Optional<ApiResource> resource,
            List<InformerKey> keys, List<String> namespaces, WatchStatus status) {
    }

    private final Map<String, Entry> entries = new ConcurrentHashMap<>();

    void put(String consumerId, Entry entry) {
        entries.put(consumerId, entry);
    }

    void remove(String consumerId) {
        entries.remove(consumerId);
    }

    Optional<Entry> byConsumer(String consumerId) {
        return Optional.ofNullable(entries.get(consumerId));
    }

    public Collection<Entry> all() {
        return List.copyOf(entries.values());
    }

    public Optional<Entry> find(Kind kind, String namespace, String name) {
        return entries.values().stream()
                .filter(e -> e.kind() == kind && java.util.Objects.equals(e.namespace(), namespace) && e.name().equals(name))
                .findFirst();
    }
}
