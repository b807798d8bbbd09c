package io.watchkeeper.informer;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Predicate;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.watchkeeper.informer.LabelSelectors.Selector;

/**
 * The lister: reads over the shared caches for reconcilers and the HTTP layer. Nothing here calls the API server;
 * every read is counted in {@code watchkeeper_cache_reads_total}. Returned objects are the caches' own: never modify
 * them.
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
        Predicate<HasMetadata> filter = o -> labels.test(o.getMetadata().getLabels());
        List<HasMetadata> out = new ArrayList<>();
        for (InformerKey k : keys) {
            hub.find(k).ifPresent(si -> {
                metrics.read(k, "list");
                out.addAll(si.list(filter));
            });
        }
        out.sort(java.util.Comparator.comparing((HasMetadata o) -> String.valueOf(o.getMetadata().getNamespace()))
                .thenComparing(o -> o.getMetadata().getName()));
        return out;
    }

    /** Objects in {@code namespace} cached under {@code keys} whose labels match {@code labels}, in no particular order. */
    public List<HasMetadata> list(Collection<InformerKey> keys, String namespace, Predicate<Map<String, String>> labels) {
        Predicate<HasMetadata> filter = o -> labels.test(o.getMetadata().getLabels());
        List<HasMetadata> out = new ArrayList<>();
        for (InformerKey k : keys) {
            if (k.namespace() == null || k.namespace().equals(namespace)) {
                hub.find(k).ifPresent(si -> {
                    metrics.read(k, "list");
                    out.addAll(si.list(namespace, filter));
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

    /**
     * The resourceVersion a list over {@code keys} is current at. One informer: its last synced version. Several
     * (a ClusterResourceWatch over named namespaces): the highest, as resourceVersions are etcd revisions in practice.
     */
    public String resourceVersion(Collection<InformerKey> keys) {
        return keys.stream().map(hub::find).flatMap(Optional::stream).map(SharedInformer::resourceVersion)
                .filter(rv -> !rv.isEmpty())
                .max(java.util.Comparator.comparingLong(ResourceVersions::parse)).orElse("");
    }
}
