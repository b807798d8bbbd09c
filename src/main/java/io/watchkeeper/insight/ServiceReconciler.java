package io.watchkeeper.insight;

import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import jakarta.inject.Inject;

import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Service;
import io.javaoperatorsdk.operator.api.config.ControllerConfigurationOverrider;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.ControllerConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.EventSourceContext;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.javaoperatorsdk.operator.processing.event.source.EventSource;
import io.javaoperatorsdk.operator.processing.event.source.informer.InformerEventSource;
import io.quarkiverse.operatorsdk.runtime.api.ConfigurableReconciler;
import io.quarkus.arc.lookup.LookupIfProperty;
import io.watchkeeper.config.WatchkeeperConfig;
import io.watchkeeper.informer.CacheReader;
import io.watchkeeper.informer.CacheTransform;
import io.watchkeeper.informer.ControllerInformerBridge;
import io.watchkeeper.informer.InformerHub;
import io.watchkeeper.leader.FollowerShadow;
import io.watchkeeper.leader.Leadership;

/**
 * Service insight: for every Service in scope, counts the pods its selector matches and how many are ready, from the
 * pod cache ({@link PodToServiceMapper} brings pod changes here), keeps the {@link ServiceHealth} in the
 * {@link InsightStore}, and makes the Service's Watchkeeper Events say its latest transition (exactly, as
 * {@link InsightEvents} says): {@code Warning NoMatchingPods}, {@code Warning NoReadyPods}, or {@code Normal Recovered}
 * when pods are ready again. Reads nothing from the API server and writes nothing to Services. A follower judges too
 * ({@link FollowerShadow}) and writes nothing.
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
    private final Leadership leadership;
    private final Clock clock = Clock.systemUTC();
    private InformerEventSource<Event, Service> recorded;

    @Inject
    public ServiceReconciler(InformerHub hub, CacheReader cache, InsightScope scope, InsightStore store, InsightEvents events,
            Leadership leadership, WatchkeeperConfig config) {
        this.hub = hub;
        this.leadership = leadership;
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
        recorded = InsightEvents.eventSource("Service", Service.class, context);
        FollowerShadow<Service> shadow = new FollowerShadow<>(NAME, leadership, context, this::judge, this::deleted);
        return List.of(new ControllerInformerBridge<>(OWNER, hub, scope.keys(InsightScope.SERVICES), context, this::deleted),
                new PodToServiceMapper(hub, scope, podsShared, context, shadow::trigger), recorded, shadow);
    }

    @Override
    public UpdateControl<Service> reconcile(Service service, Context<Service> context) {
        Optional<ServiceHealth> health = health(service);
        if (health.isEmpty()) {
            return UpdateControl.<Service> noUpdate().rescheduleAfter(NOT_SYNCED_RETRY); // not judged on a half-filled cache
        }
        store.recordService(ResourceID.fromResource(service), health.get(), clock.instant());
        record(service, health.get(), context);
        return UpdateControl.noUpdate();
    }

    /** Judges the Service and keeps its health: the reconcile's work without writes, which a follower does too. */
    private Optional<Duration> judge(Service service) {
        Optional<ServiceHealth> health = health(service);
        health.ifPresent(h -> store.recordService(ResourceID.fromResource(service), h, clock.instant()));
        return health.isPresent() ? Optional.empty() : Optional.of(NOT_SYNCED_RETRY);
    }

    /** The Service's health from the pod cache; empty while that cache is not synced. */
    private Optional<ServiceHealth> health(Service service) {
        Map<String, String> selector = service.getSpec() == null ? null : service.getSpec().getSelector();
        if (selector == null || selector.isEmpty()) {
            return Optional.of(ServiceHealth.NO_SELECTOR);
        }
        List<io.watchkeeper.informer.InformerKey> podKeys = scope.keys(InsightScope.PODS);
        if (!cache.synced(podKeys)) {
            return Optional.empty();
        }
        String ns = service.getMetadata().getNamespace();
        List<HasMetadata> pods = cache.list(podKeys, ns, io.watchkeeper.informer.LabelSelectors.equalTo(selector));
        return Optional.of(ServiceHealth.of(selector, pods));
    }

    /** Writes the Event of the Service's transition, if its Events do not say where it is now. */
    private void record(Service service, ServiceHealth health, Context<Service> context) {
        EventLedger ledger = events.ledger(service, context);
        Optional<String> last = ledger.latestReason();
        String name = service.getMetadata().getName();
        ServiceState state = health.state();
        if (state.problem() && !last.equals(Optional.of(state.name()))) {
            events.write(ledger, service, "Warning", state.name(), health.message(name), context, recorded);
        } else if (!state.problem() && last.isPresent() && !last.get().equals(RECOVERED)) {
            events.write(ledger, service, "Normal", RECOVERED, "Service " + name + " has ready pods again: " + health.message(name),
                    context, recorded);
        }
    }

    private void deleted(Service service) {
        store.forgetService(ResourceID.fromResource(service));
    }
}
