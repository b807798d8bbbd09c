package io.watchkeeper.informer;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Optional;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.watchkeeper.informer.LabelSelectors.Selector;

/**
 * The lister: reads over the shared caches for reconcilers and the HTTP layer. Nothing here calls the API server;
 * every read is counted in {@code watchkeeper_cache_reads_total}. Returned objects are the caches' own: never modify
 * them. Their parts are shared with other cached objects ({@link Compactor}): maps and lists refuse changes, and a
 * setter on a model part would change every object sharing it.
 */
@ApplicationScoped
public class CacheReader {

    private final InformerHub hub;
    private final InformerMetrics metrics;

    @Inject
    public CacheReader(InformerHub hub, InformerMetrics metrics) {
        this.hub = hub;
        this.metrics = metrics;
    }

    /** Whether every informer behind {@code keys} exists and has synced. */
    public boolean synced(Collection<InformerKey> keys) {
        return !keys.isEmpty() && keys.stream().allMatch(k -> hub.find(k).map(SharedInformer::synced).orElse(false));
    }

    /** Objects cached under {@code keys} whose labels match {@code labels}, sorted by namespace and name. */
    public List<HasMetadata> list(Collection<InformerKey> keys, Selector labels) {
        List<HasMetadata> out = new ArrayList<>();
        for (InformerKey k : keys) {
            hub.find(k).ifPresent(si -> {
                metrics.read(k, "list");
                out.addAll(si.list(null, labels));
            });
        }
        out.sort(java.util.Comparator.comparing((HasMetadata o) -> String.valueOf(o.getMetadata().getNamespace()))
                .thenComparing(o -> o.getMetadata().getName()));
        return out;
    }

    /** Objects in {@code namespace} cached under {@code keys} whose labels match {@code labels}, in no particular order. */
    public List<HasMetadata> list(Collection<InformerKey> keys, String namespace, Selector labels) {
        List<HasMetadata> out = new ArrayList<>();
        for (InformerKey k : keys) {
            if (k.namespace() == null || k.namespace().equals(namespace)) {
                hub.find(k).ifPresent(si -> {
                    metrics.read(k, "list");
                    out.addAll(si.list(namespace, labels));
                });
            }
        }
        return out;
    }

    /** One cached object by namespace (empty or null for cluster-scoped) and name. */
    public Optional<HasMetadata> get(Collection<InformerKey> keys, String namespace, String name) {
        for (InformerKey k : keys) {
            Optional<SharedInformer> si = hub.find(k);
            if (si.isPresent() && (k.namespace() == null || k.namespace().equals(namespace))) {
                metrics.read(k, "get");
                Optional<HasMetadata> found = si.get().get(namespace, name);
                if (found.isPresent()) {
                    return found;
                }
            }
        }
        return Optional.empty();
    }

    /** A list read together with the position it is at: {@code resourceVersion} is the watch's {@link ResumeToken}. */
    public record Listing(String resourceVersion, List<HasMetadata> items) {
    }

    /**
     * Objects cached under {@code keys} whose labels match {@code labels}, sorted by namespace and name, with the
     * position they were read at: each informer's objects and position are read in one step, so a stream subscription
     * resumed from that position gets exactly the changes after this list. Empty when an informer has published nothing.
     */
    public Optional<Listing> read(Collection<InformerKey> keys, Selector labels) {
        List<Timeline.Position> positions = new ArrayList<>();
        List<HasMetadata> out = new ArrayList<>();
        for (InformerKey k : ResumeToken.order(keys)) {
            Optional<Timeline.Snapshot> snapshot = hub.find(k).flatMap(si -> si.timeline().read(labels));
            if (snapshot.isEmpty()) {
                return Optional.empty();
            }
            metrics.read(k, "list");
            positions.add(snapshot.get().position());
            out.addAll(snapshot.get().items());
        }
        out.sort(java.util.Comparator.comparing((HasMetadata o) -> String.valueOf(o.getMetadata().getNamespace()))
                .thenComparing(o -> o.getMetadata().getName()));
        return Optional.of(new Listing(ResumeToken.encode(positions), out));
    }
}
