package io.watchkeeper.watch;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import io.watchkeeper.api.v1alpha1.ResourceWatchSpec;
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

    private final ResourceResolver resolver;
    private final InformerHub hub;

    @Inject
    public WatchSubscriber(ResourceResolver resolver, InformerHub hub) {
        this.resolver = resolver;
        this.hub = hub;
    }

    /**
     * @param namespaces   namespaces to watch; an empty list means all namespaces
     * @param lastResolved what the same spec.resource resolved to last time, if it did
     */
    public Subscription subscribe(String consumerId, ResourceWatchSpec spec, List<String> namespaces, InformerListener listener,
            Optional<ApiResource> lastResolved) {
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
        Map<InformerKey, SharedInformer> held = hub.assign(consumerId, wanted, listener);
        return new Subscription(Optional.of(resource), new LinkedHashMap<>(held), Optional.empty());
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
