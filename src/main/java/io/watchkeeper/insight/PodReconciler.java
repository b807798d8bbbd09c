package io.watchkeeper.insight;

import java.time.Clock;
import java.util.List;
import java.util.Optional;

import jakarta.inject.Inject;

import io.fabric8.kubernetes.api.model.Pod;
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
import io.watchkeeper.informer.CacheTransform;
import io.watchkeeper.informer.ControllerInformerBridge;
import io.watchkeeper.informer.InformerHub;
import io.watchkeeper.insight.InsightStore.PodTransition;

/**
 * Pod insight: judges every pod in scope ({@link PodDiagnosis}) when it changes, keeps the finding in the
 * {@link InsightStore}, and on a transition into, between or out of problems writes one Kubernetes Event on the pod and
 * counts it. A pod that keeps crash-looping stays in its problem: no Event per restart. Reads nothing from the API
 * server: the pod comes from the controller's informer, which the hub shares with every other consumer of the same
 * question ({@link ControllerInformerBridge}). Writes nothing to pods.
 */
@ControllerConfiguration(name = PodReconciler.NAME, generationAwareEventProcessing = false)
@LookupIfProperty(name = "watchkeeper.insight.pods.enabled", stringValue = "true", lookupIfMissing = true)
public class PodReconciler implements ConfigurableReconciler<Pod> {

    public static final String NAME = "pod-insight";
    static final String OWNER = "controller/" + NAME;

    private final InformerHub hub;
    private final InsightScope scope;
    private final InsightStore store;
    private final InsightEvents events;
    private final InsightMetrics metrics;
    private final PodDiagnosis diagnosis;
    private final Clock clock = Clock.systemUTC();

    @Inject
    public PodReconciler(InformerHub hub, InsightScope scope, InsightStore store, InsightEvents events, InsightMetrics metrics,
            WatchkeeperConfig config) {
        this.hub = hub;
        this.scope = scope;
        this.store = store;
        this.events = events;
        this.metrics = metrics;
        this.diagnosis = new PodDiagnosis(clock, config.insight().pods().pendingThreshold(), config.insight().pods().restartThreshold(),
                config.insight().pods().recoveryGrace(), new RestartHistory(clock, config.insight().pods().restartWindow()));
    }

    @Override
    public void updateConfigurationFrom(ControllerConfigurationOverrider<Pod> overrider) {
        scope.applyTo(overrider);
        ControllerInformerBridge.share(overrider, hub, OWNER, InsightScope.PODS, scope.keys(InsightScope.PODS), CacheTransform::strip);
    }

    @Override
    public List<EventSource<?, Pod>> prepareEventSources(EventSourceContext<Pod> context) {
        return List.of(new ControllerInformerBridge<>(OWNER, hub, scope.keys(InsightScope.PODS), context, this::deleted));
    }

    @Override
    public UpdateControl<Pod> reconcile(Pod pod, Context<Pod> context) {
        PodDiagnosis.Result result = diagnosis.diagnose(pod);
        ResourceID id = ResourceID.fromResource(pod);
        Optional<PodTransition> transition = store.recordPod(id, result.problem(), clock.instant());
        transition.ifPresent(t -> report(pod, t));
        if (context.getPrimaryCache().get(id).isEmpty()) {
            // deleted while this ran: its delete callback may have come before the findings above were recorded
            deleted(pod);
        }
        UpdateControl<Pod> control = UpdateControl.noUpdate();
        return result.recheckAfter().map(control::rescheduleAfter).orElse(control);
    }

    private void report(Pod pod, PodTransition t) {
        String ns = pod.getMetadata().getNamespace();
        if (t.after() != null) {
            metrics.podTransition(ns, t.after().reason());
            events.warning(pod, t.after().reason(), t.after().message());
        } else {
            metrics.podTransition(ns, PodProblem.RECOVERED);
            events.normal(pod, PodProblem.RECOVERED, "No longer " + t.before().reason() + ".");
        }
    }

    /** A deleted pod leaves the findings without an Event: it has no problem any more, and nobody to tell. */
    private void deleted(Pod pod) {
        store.forgetPod(ResourceID.fromResource(pod));
        diagnosis.forget(pod);
        events.forget(pod);
    }
}
