package io.watchkeeper.insight;

import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import jakarta.inject.Inject;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Service;
import io.javaoperatorsdk.operator.api.config.ControllerConfigurationOverrider;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.ControllerConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.EventSourceContext;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.javaoperatorsdk.operator.processing.event.source.EventSource;
import io.quarkiverse.operatorsdk.runtime.api.ConfigurableReconciler;
import io.quarkus.arc.lookup.LookupIfProperty;
import io.watchkeeper.config.WatchkeeperConfig;
import io.watchkeeper.informer.CacheReader;
import io.watchkeeper.informer.CacheTransform;
import io.watchkeeper.informer.ControllerInformerBridge;
import io.watchkeeper.informer.InformerHub;
import io.watchkeeper.insight.InsightStore.ServiceTransition;

/**
 * Service insight: for every Service in scope, counts the pods its selector matches and how many are ready, from the
 * pod cache ({@link PodToServiceMapper} brings pod changes here), keeps the {@link ServiceHealth} in the
 * {@link InsightStore}, and on a transition writes one Event: {@code Warning NoMatchingPods}, {@code Warning NoReadyPods},
 * or {@code Normal Recovered} when pods are ready again. Reads nothing from the API server and writes nothing to
 * Services.
 */
@ControllerConfiguration(name = ServiceReconciler.NAME, generationAwareEventProcessing = false)
@LookupIfProperty(name = "watchkeeper.insight.services.enabled", stringValue = "true", lookupIfMissing = true)
public class ServiceReconciler implements ConfigurableReconciler<Service> {

    public static final String NAME = "service-insight";
    static final String RECOVERED = "Recovered";
    static final String OWNER = "controller/" + NAME;
    private static final Duration NOT_SYNCED_RETRY = Duration.ofSeconds(1);

    private final InformerHub hub;
    private final CacheReader cache;
    private final InsightScope scope;
    private final InsightStore store;
    private final InsightEvents events;
    private final boolean podInsightRuns;
    private final Clock clock = Clock.systemUTC();

    @Inject
    public ServiceReconciler(InformerHub hub, CacheReader cache, InsightScope scope, InsightStore store, InsightEvents events,
            WatchkeeperConfig config) {
        this.hub = hub;
        this.cache = cache;
        this.scope = scope;
        this.store = store;
        this.events = events;
        this.podInsightRuns = config.insight().pods().enabled();
    }

    @Override
    public void updateConfigurationFrom(ControllerConfigurationOverrider<Service> overrider) {
        scope.applyTo(overrider);
        ControllerInformerBridge.share(overrider, hub, OWNER, InsightScope.SERVICES, scope.keys(InsightScope.SERVICES),
                CacheTransform::strip);
    }

    @Override
    public List<EventSource<?, Service>> prepareEventSources(EventSourceContext<Service> context) {
        // The Pod reconciler's informer is followed when it is shared; otherwise the hub runs pod informers of its own.
        boolean podsShared = podInsightRuns && ControllerInformerBridge.shareable(scope.keys(InsightScope.PODS));
        return List.of(new ControllerInformerBridge<>(OWNER, hub, scope.keys(InsightScope.SERVICES), context, this::deleted),
                new PodToServiceMapper(hub, scope, podsShared, context));
    }

    @Override
    public UpdateControl<Service> reconcile(Service service, Context<Service> context) {
        Map<String, String> selector = service.getSpec() == null ? null : service.getSpec().getSelector();
        String ns = service.getMetadata().getNamespace();
        ServiceHealth health;
        if (selector == null || selector.isEmpty()) {
            health = ServiceHealth.NO_SELECTOR;
        } else {
            List<io.watchkeeper.informer.InformerKey> podKeys = scope.keys(InsightScope.PODS);
            if (!cache.synced(podKeys)) {
                return UpdateControl.<Service> noUpdate().rescheduleAfter(NOT_SYNCED_RETRY); // not judged on a half-filled cache
            }
            List<HasMetadata> pods = cache.list(podKeys, ns, labels -> labels != null && labels.entrySet().containsAll(selector.entrySet()));
            health = ServiceHealth.of(selector, pods);
        }
        Optional<ServiceTransition> transition = store.recordService(ResourceID.fromResource(service), health, clock.instant());
        transition.ifPresent(t -> report(service, health, t));
        return UpdateControl.noUpdate();
    }

    private void report(Service service, ServiceHealth health, ServiceTransition t) {
        String name = service.getMetadata().getName();
        if (t.after().problem()) {
            events.warning(service, t.after().name(), health.message(name));
        } else if (t.before() != null && t.before().problem()) {
            events.normal(service, RECOVERED, "Service " + name + " has ready pods again: " + health.message(name));
        }
    }

    private void deleted(Service service) {
        store.forgetService(ResourceID.fromResource(service));
        events.forget(service);
    }
}
