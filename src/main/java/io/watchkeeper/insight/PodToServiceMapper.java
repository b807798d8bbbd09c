package io.watchkeeper.insight;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import java.util.function.Function;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Service;
import io.javaoperatorsdk.operator.api.reconciler.EventSourceContext;
import io.javaoperatorsdk.operator.processing.event.Event;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.javaoperatorsdk.operator.processing.event.source.AbstractEventSource;
import io.javaoperatorsdk.operator.processing.event.source.IndexerResourceCache;
import io.watchkeeper.informer.InformerHub;
import io.watchkeeper.informer.InformerKey;
import io.watchkeeper.informer.InformerListener;
import io.watchkeeper.informer.SharedInformer;

/**
 * The Service reconciler's pod event source: it consumes the hub's pod informers (the Pod reconciler's own, shared) and
 * turns each pod change into events for the Services whose selector matches the pod before or after the change. The
 * Services are found through an index over the Service cache ({@code namespace/key=value} for each selector entry), not
 * by scanning the Services on every pod event. When a pod informer becomes synced, every Service it covers is looked at.
 */
class PodToServiceMapper extends AbstractEventSource<Void, Service> implements InformerListener {

    static final String SELECTOR_INDEX = "watchkeeper-selector-entries";
    static final String CONSUMER = "controller/service-insight/pods";

    private final InformerHub hub;
    private final InsightScope scope;
    private final boolean podControllerShares;
    private final IndexerResourceCache<Service> services;
    private final Consumer<ResourceID> alsoTell;

    /**
     * @param podControllerShares whether the Pod reconciler runs (then its informer is followed, not duplicated)
     * @param alsoTell            told about each affected Service too (a follower's shadow judges it)
     */
    PodToServiceMapper(InformerHub hub, InsightScope scope, boolean podControllerShares, EventSourceContext<Service> context,
            Consumer<ResourceID> alsoTell) {
        super(Void.class, "service-insight-pods");
        this.hub = hub;
        this.scope = scope;
        this.podControllerShares = podControllerShares;
        this.services = context.getPrimaryCache();
        this.alsoTell = alsoTell;
        services.addIndexers(Map.of(SELECTOR_INDEX, PodToServiceMapper::selectorEntries));
    }

    static List<String> selectorEntries(Service s) {
        Map<String, String> selector = s.getSpec() == null ? null : s.getSpec().getSelector();
        if (selector == null) {
            return List.of();
        }
        String ns = s.getMetadata().getNamespace();
        return selector.entrySet().stream().map(e -> ns + "/" + e.getKey() + "=" + e.getValue()).toList();
    }

    @Override
    public void start() {
        super.start();
        if (podControllerShares) {
            scope.keys(InsightScope.PODS).forEach(k -> hub.follow(CONSUMER, k, InsightScope.PODS, this));
        } else {
            Map<InformerKey, io.watchkeeper.discovery.ApiResource> wanted = new java.util.HashMap<>();
            scope.keys(InsightScope.PODS).forEach(k -> wanted.put(k, InsightScope.PODS));
            hub.assign(CONSUMER, wanted, this);
        }
    }

    @Override
    public void stop() {
        hub.releaseAll(CONSUMER);
        super.stop();
    }

    @Override
    public Set<Void> getSecondaryResources(Service primary) {
        return Set.of();
    }

    @Override
    public void onObjectChange(String consumerId, InformerKey key, HasMetadata previous, HasMetadata current) {
        if (!isRunning()) {
            return;
        }
        Set<ResourceID> affected = new HashSet<>();
        affected.addAll(matching(previous));
        affected.addAll(matching(current));
        affected.forEach(this::tell);
    }

    /** The Services whose whole selector the pod's labels satisfy. */
    private List<ResourceID> matching(HasMetadata pod) {
        if (pod == null || pod.getMetadata().getLabels() == null) {
            return List.of();
        }
        String ns = pod.getMetadata().getNamespace();
        List<ResourceID> out = new ArrayList<>();
        Set<String> seen = new HashSet<>();
        for (Map.Entry<String, String> label : pod.getMetadata().getLabels().entrySet()) {
            for (Service s : services.byIndex(SELECTOR_INDEX, ns + "/" + label.getKey() + "=" + label.getValue())) {
                if (seen.add(s.getMetadata().getName()) && PodFacts.matches(s.getSpec().getSelector(), pod)) {
                    out.add(ResourceID.fromResource(s));
                }
            }
        }
        return out;
    }

    /** A pod informer synced (or recovered): every Service it covers is judged again. */
    @Override
    public void onStateChange(String consumerId, InformerKey key) {
        if (!isRunning() || !hub.find(key).map(SharedInformer::synced).orElse(false)) {
            return;
        }
        Function<Service, Boolean> covered = s -> key.allNamespaces() || key.namespace().equals(s.getMetadata().getNamespace());
        services.list(s -> covered.apply(s)).forEach(s -> tell(ResourceID.fromResource(s)));
    }

    private void tell(ResourceID service) {
        getEventHandler().handleEvent(new Event(service));
        alsoTell.accept(service);
    }
}
