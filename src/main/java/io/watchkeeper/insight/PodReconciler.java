package io.watchkeeper.insight;

import java.time.Clock;
import java.util.List;
import java.util.Optional;

import jakarta.inject.Inject;

import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.Pod;
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
import io.watchkeeper.informer.CacheTransform;
import io.watchkeeper.informer.ControllerInformerBridge;
import io.watchkeeper.informer.InformerHub;
import io.watchkeeper.leader.FollowerShadow;
import io.watchkeeper.leader.Leadership;

/**
 * Pod insight: judges every pod in scope ({@link PodDiagnosis}) when it changes, keeps the finding in the
 * {@link InsightStore}, and makes the pod's Watchkeeper Events say its latest transition: one Warning Event on entering
 * or changing a problem, one {@code Normal Recovered} on leaving it, each counted ({@link InsightEvents}). A pod that
 * keeps crash-looping stays in its problem: no Event per restart. Reads nothing from the API server: the pod comes from
 * the controller's informer, which the hub shares with every other consumer of the same question
 * ({@link ControllerInformerBridge}), and earlier Events from an informer on Watchkeeper's Events. Writes nothing to
 * pods. Under leader election a follower judges too ({@link FollowerShadow}), so its insight reads answer the same,
 * and writes nothing.
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
    private final Leadership leadership;
    private final PodDiagnosis diagnosis;
    private final Clock clock = Clock.systemUTC();
    private InformerEventSource<Event, Pod> recorded;

    @Inject
    public PodReconciler(InformerHub hub, InsightScope scope, InsightStore store, InsightEvents events, InsightMetrics metrics,
            Leadership leadership, WatchkeeperConfig config) {
        this.hub = hub;
        this.scope = scope;
        this.store = store;
        this.events = events;
        this.metrics = metrics;
        this.leadership = leadership;
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
        recorded = InsightEvents.eventSource("Pod", Pod.class, context);
        return List.of(new ControllerInformerBridge<>(OWNER, hub, scope.keys(InsightScope.PODS), context, this::deleted), recorded,
                new FollowerShadow<>(NAME, leadership, context, pod -> judge(pod).recheckAfter(), this::deleted));
    }

    @Override
    public UpdateControl<Pod> reconcile(Pod pod, Context<Pod> context) {
        PodDiagnosis.Result result = judge(pod);
        if (context.getPrimaryCache().get(ResourceID.fromResource(pod)).isPresent()) {
            record(pod, result.problem(), context);
        } else {
            // deleted while this ran: its delete callback may have come before the findings above were recorded
            deleted(pod);
        }
        UpdateControl<Pod> control = UpdateControl.noUpdate();
        return result.recheckAfter().map(control::rescheduleAfter).orElse(control);
    }

    /** Diagnoses the pod and keeps the finding: the reconcile's work without writes, which a follower does too. */
    private PodDiagnosis.Result judge(Pod pod) {
        PodDiagnosis.Result result = diagnosis.diagnose(pod);
        store.recordPod(ResourceID.fromResource(pod), result.problem(), clock.instant());
        return result;
    }

    /** Writes the Event of the pod's transition, if its Events do not say where it is now. */
    private void record(Pod pod, Optional<PodProblem> problem, Context<Pod> context) {
        EventLedger ledger = events.ledger(pod, context);
        Optional<String> last = ledger.latestReason();
        String ns = pod.getMetadata().getNamespace();
        if (problem.isPresent() && !last.equals(Optional.of(problem.get().reason()))) {
            if (events.write(ledger, pod, "Warning", problem.get().reason(), problem.get().message(), context, recorded)) {
                metrics.podTransition(ns, problem.get().reason());
            }
        } else if (problem.isEmpty() && last.isPresent() && !last.get().equals(PodProblem.RECOVERED)) {
            if (events.write(ledger, pod, "Normal", PodProblem.RECOVERED, "No longer " + last.get() + ".", context, recorded)) {
                metrics.podTransition(ns, PodProblem.RECOVERED);
            }
        }
    }

    /** A deleted pod leaves the findings without an Event: it has no problem any more, and nobody to tell. */
    private void deleted(Pod pod) {
        store.forgetPod(ResourceID.fromResource(pod));
        diagnosis.forget(pod);
    }
}
