package io.watchkeeper.watch;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import io.watchkeeper.api.v1alpha1.ResourceWatchSpec;
import io.watchkeeper.config.WatchkeeperConfig;
import io.watchkeeper.discovery.ApiResource;
import io.watchkeeper.discovery.ResolutionException;
import io.watchkeeper.discovery.ResourceResolver;
import io.watchkeeper.informer.FieldSelectors;
import io.watchkeeper.informer.FieldSelectors.FieldSelector;
import io.watchkeeper.informer.InformerHub;
import io.watchkeeper.informer.InformerKey;
import io.watchkeeper.informer.InformerListener;
import io.watchkeeper.informer.InformerState;
import io.watchkeeper.informer.InvalidSelectorException;
import io.watchkeeper.informer.LabelSelectors;
import io.watchkeeper.informer.LabelSelectors.Selector;
import io.watchkeeper.informer.SharedInformer;
import io.watchkeeper.watch.Subscription.Problem;

/**
 * Turns a watch spec into shared informers: resolves the resource, canonicalises the selectors into informer keys
 * (one per namespace) and makes the hub hold exactly those for the watch. On any problem the watch holds nothing.
 */
@ApplicationScoped
public class WatchSubscriber {

    private static final org.jboss.logging.Logger LOG = org.jboss.logging.Logger.getLogger(WatchSubscriber.class);

    static final String INVALID_SPEC = "InvalidSpec";
    static final String CLUSTER_SCOPED = "ClusterScopedResource";
    static final String QUOTA_EXCEEDED = "InformerQuotaExceeded";

    private final ResourceResolver resolver;
    private final InformerHub hub;
    private final int informersPerNamespace;

    @Inject
    public WatchSubscriber(ResourceResolver resolver, InformerHub hub, WatchkeeperConfig config) {
        this.resolver = resolver;
        this.hub = hub;
        this.informersPerNamespace = config.watches().informersPerNamespace();
    }

    /**
     * @param tenant       for a ResourceWatch, its namespace: it may watch namespaced resources only, within that
     *                     namespace's informer quota; null for a ClusterResourceWatch
     * @param spec         the watch's spec, null when it has none
     * @param namespaces   namespaces to watch; an empty list means all namespaces
     * @param lastResolved what the same spec.resource resolved to last time, if it did
     */
    public Subscription subscribe(String consumerId, String tenant, ResourceWatchSpec spec, List<String> namespaces,
            InformerListener listener, Optional<ApiResource> lastResolved) {
        if (spec == null || spec.getResource() == null || spec.getResource().isBlank()) {
            hub.releaseAll(consumerId);
            return Subscription.failed(Optional.empty(), new Problem(true, INVALID_SPEC, (spec == null ? "The watch has no spec. "
                    : "spec.resource is empty. ") + "Set spec.resource to the resource to watch, for example spec.resource: pods.", false));
        }
        ApiResource resolved;
        try {
            resolved = resolver.resolve(spec.getResource(), needsRevalidation(consumerId));
        } catch (ResolutionException e) {
            if (e.reason() == ResolutionException.Reason.DiscoveryFailed && lastResolved.isPresent()) {
                // Discovery failing for a moment (an API server restarting) says nothing about the resource: the watch
                // keeps its informers, which report their own trouble, and stream subscriptions keep following them.
                LOG.debugf("%s: %s Keeping %s meanwhile.", consumerId, e.getMessage(), lastResolved.get().qualifiedName());
                resolved = lastResolved.get();
            } else {
                hub.releaseAll(consumerId);
                return Subscription.failed(Optional.empty(), new Problem(true, e.reason().name(), e.getMessage()));
            }
        }
        ApiResource resource = resolved;
        if (tenant != null && !resource.namespaced()) {
            hub.releaseAll(consumerId);
            return Subscription.failed(Optional.of(resource), new Problem(false, CLUSTER_SCOPED, resource.qualifiedName()
                    + " is cluster-scoped, and a ResourceWatch watches its own namespace only. Ask a cluster administrator for a "
                    + "ClusterResourceWatch on " + resource.qualifiedName() + "."));
        }
        Selector labels;
        FieldSelector fields;
        try {
            labels = LabelSelectors.of(spec.getSelector());
        } catch (InvalidSelectorException e) {
            hub.releaseAll(consumerId);
            return Subscription.failed(Optional.of(resource), new Problem(false, "InvalidLabelSelector",
                    "spec.selector: " + e.getMessage() + ". Fix spec.selector."));
        }
        try {
            fields = FieldSelectors.parse(spec.getFieldSelector());
        } catch (InvalidSelectorException e) {
            hub.releaseAll(consumerId);
            return Subscription.failed(Optional.of(resource), new Problem(false, "InvalidFieldSelector",
                    "spec.fieldSelector: " + e.getMessage() + ". Fix spec.fieldSelector."));
        }
        Map<InformerKey, ApiResource> wanted = new LinkedHashMap<>();
        if (!resource.namespaced() || namespaces.isEmpty()) {
            wanted.put(InformerKey.of(resource, null, labels, fields), resource);
        } else {
            namespaces.stream().distinct().sorted().forEach(ns -> wanted.put(InformerKey.of(resource, ns, labels, fields), resource));
        }
        if (tenant == null) {
            return new Subscription(Optional.of(resource), new LinkedHashMap<>(hub.assign(consumerId, wanted, listener)), Optional.empty());
        }
        int[] heldByTenant = new int[1];
        Optional<Map<InformerKey, SharedInformer>> held = hub.assignWithin(tenantGroup(tenant), informersPerNamespace, consumerId,
                wanted, listener, n -> heldByTenant[0] = n);
        if (held.isEmpty()) {
            return Subscription.failed(Optional.of(resource), new Problem(false, QUOTA_EXCEEDED, "The ResourceWatches of namespace "
                    + tenant + " hold " + heldByTenant[0] + " informers, the most they may (watchkeeper.watches.informers-per-namespace="
                    + informersPerNamespace + "), and this watch asks a question none of them asks. Nothing was started. Reuse the "
                    + "resource and selectors of an existing watch, delete one, or ask the operator's administrator for a larger quota.",
                    true));
        }
        return new Subscription(Optional.of(resource), new LinkedHashMap<>(held.get()), Optional.empty());
    }

    /** The consumer ids of a namespace's ResourceWatches start with this. */
    static String tenantGroup(String namespace) {
        return ResourceWatchReconciler.PREFIX + namespace + "/";
    }

    public void unsubscribe(String consumerId) {
        hub.releaseAll(consumerId);
    }

    /** A watch whose informer is failing may name a resource that is gone (a deleted CRD): look at discovery again. */
    private boolean needsRevalidation(String consumerId) {
        return hub.heldBy(consumerId).stream()
                .anyMatch(si -> si.state() == InformerState.FAILED || si.state() == InformerState.WATCH_FAILING);
    }
}
