package io.watchkeeper.discovery;

import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;

import org.jboss.logging.Logger;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.quarkus.runtime.StartupEvent;
import io.watchkeeper.informer.CacheReader;
import io.watchkeeper.informer.FieldSelectors.FieldSelector;
import io.watchkeeper.informer.InformerHub;
import io.watchkeeper.informer.InformerKey;
import io.watchkeeper.informer.InformerListener;
import io.watchkeeper.informer.LabelSelectors.Selector;

/**
 * Keeps discovery honest when CRDs come and go: the hub's informer on CustomResourceDefinitions (shared like any other)
 * marks the resolver's view stale on every change and, after a short quiet period, asks every watch to look again,
 * so a watch on a deleted CRD says so and a watch on a new one starts without waiting for a retry.
 */
@ApplicationScoped
public class CrdChanges implements InformerListener {

    static final String CONSUMER = "Watchkeeper/discovery";
    static final ApiResource CRDS = new ApiResource("apiextensions.k8s.io", "v1", "customresourcedefinitions",
            "CustomResourceDefinition", false, "customresourcedefinition", List.of("crd", "crds"), List.of("list", "watch"));
    private static final Logger LOG = Logger.getLogger(CrdChanges.class);

    private final ResourceResolver resolver;
    private final InformerHub hub;
    private final CacheReader cache;
    private final AtomicBoolean pending = new AtomicBoolean();

    @Inject
    public CrdChanges(ResourceResolver resolver, InformerHub hub, CacheReader cache) {
        this.resolver = resolver;
        this.hub = hub;
        this.cache = cache;
    }

    void start(@Observes StartupEvent event) {
        InformerKey key = InformerKey.of(CRDS, null, Selector.EVERYTHING, FieldSelector.EVERYTHING);
        hub.assign(CONSUMER, Map.of(key, CRDS), this);
        resolver.expectServed(() -> served(cache.list(List.of(key), Selector.EVERYTHING).stream()
                .map(GenericKubernetesResource.class::cast).toList()));
    }

    /** {@code group/version/plural} of every served version of every established CRD. */
    @SuppressWarnings("unchecked")
    static Set<String> served(List<GenericKubernetesResource> crds) {
        Set<String> out = new java.util.HashSet<>();
        for (GenericKubernetesResource crd : crds) {
            Map<String, Object> spec = (Map<String, Object>) crd.getAdditionalProperties().get("spec");
            Map<String, Object> status = (Map<String, Object>) crd.getAdditionalProperties().get("status");
            boolean established = status != null && status.get("conditions") instanceof List<?> conditions && conditions.stream()
                    .anyMatch(c -> c instanceof Map<?, ?> m && "Established".equals(m.get("type")) && "True".equals(m.get("status")));
            if (spec == null || !established || !(spec.get("names") instanceof Map<?, ?> names)) {
                continue;
            }
            if (spec.get("versions") instanceof List<?> versions) {
                for (Object v : versions) {
                    if (v instanceof Map<?, ?> version && Boolean.TRUE.equals(version.get("served"))) {
                        out.add(spec.get("group") + "/" + version.get("name") + "/" + names.get("plural"));
                    }
                }
            }
        }
        return out;
    }

    @Override
    public void onStateChange(String consumerId, InformerKey key) {
        // A failing CRD informer (no RBAC for CRDs) leaves refresh-on-miss in charge; the watch status says nothing here.
    }

    @Override
    public void onObjectChange(String consumerId, InformerKey key, HasMetadata previous, HasMetadata current) {
        HasMetadata crd = current != null ? current : previous;
        resolver.invalidate();
        if (pending.compareAndSet(false, true)) {
            CompletableFuture.delayedExecutor(500, TimeUnit.MILLISECONDS).execute(() -> settle(crd.getMetadata().getName(), 20));
        }
    }

    /** Waits (a bounded number of times) for discovery to agree with the CRDs, then asks every watch to look again. */
    private void settle(String crdName, int attemptsLeft) {
        pending.set(false);
        resolver.invalidate();
        try {
            resolver.refreshIfAllowed();
        } catch (ResolutionException e) {
            LOG.debugf("Discovery after a CRD change failed: %s", e.getMessage());
        }
        if (resolver.stale() && attemptsLeft > 0) {
            CompletableFuture.delayedExecutor(500, TimeUnit.MILLISECONDS).execute(() -> settle(crdName, attemptsLeft - 1));
            return;
        }
        LOG.debugf("CRDs changed (last: %s): watches look again", crdName);
        hub.notifyAllConsumers();
    }
}
