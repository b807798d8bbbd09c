package io.watchkeeper.discovery;

import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;

import org.jboss.logging.Logger;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.quarkus.runtime.StartupEvent;
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
    private final AtomicBoolean pending = new AtomicBoolean();

    @Inject
    public CrdChanges(ResourceResolver resolver, InformerHub hub) {
        this.resolver = resolver;
        this.hub = hub;
    }

    void start(@Observes StartupEvent event) {
        hub.assign(CONSUMER, Map.of(InformerKey.of(CRDS, null, Selector.EVERYTHING, FieldSelector.EVERYTHING), CRDS), this);
    }

    @Override
    public void onStateChange(String consumerId, InformerKey key) {
        // A failing CRD informer (no RBAC for CRDs) leaves refresh-on-miss in charge; the watch status says nothing here.
    }

    @Override
    public void onObjectChange(String consumerId, InformerKey key, GenericKubernetesResource crd) {
        resolver.invalidate();
        if (pending.compareAndSet(false, true)) {
            CompletableFuture.delayedExecutor(500, TimeUnit.MILLISECONDS).execute(() -> {
                pending.set(false);
                LOG.debugf("CRDs changed (last: %s): watches look again", crd.getMetadata().getName());
                resolver.invalidate();
                hub.notifyAllConsumers();
            });
        }
    }
}
