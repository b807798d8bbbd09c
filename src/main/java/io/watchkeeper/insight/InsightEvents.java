package io.watchkeeper.insight;

import java.time.Clock;
import java.util.Set;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import org.jboss.logging.Logger;

import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.javaoperatorsdk.operator.api.config.informer.FieldSelector;
import io.javaoperatorsdk.operator.api.config.informer.InformerEventSourceConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.EventSourceContext;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.javaoperatorsdk.operator.processing.event.source.informer.InformerEventSource;
import io.watchkeeper.leader.Leadership;

/**
 * Writes the insight reconcilers' Kubernetes Events (core/v1, so {@code kubectl describe} and {@code kubectl get events}
 * show them), one per transition, exactly: what was recorded last is read from an informer on Watchkeeper's own Events
 * ({@code source=watchkeeper}, one per reconciler, in insight's namespaces), never from memory and never by GET, so a
 * restarted operator or a new leader continues each Event's {@code count} and records, once, what changed while no
 * leader ran ({@link EventLedger}). A write that finds its Event changed meanwhile (another replica wrote it, or the
 * cache had not caught up) fails with 409 and the reconciler looks again; writes go through JOSDK, which keeps the
 * written Event in the informer's cache so the next reconcile sees it at once. Only the leader writes.
 */
@ApplicationScoped
public class InsightEvents {

    private static final Logger LOG = Logger.getLogger(InsightEvents.class);

    private final InsightMetrics metrics;
    private final Leadership leadership;
    private final Clock clock;

    @Inject
    public InsightEvents(InsightMetrics metrics, Leadership leadership) {
        this(metrics, leadership, Clock.systemUTC());
    }

    InsightEvents(InsightMetrics metrics, Leadership leadership, Clock clock) {
        this.metrics = metrics;
        this.leadership = leadership;
        this.clock = clock;
    }

    /** The informer on Watchkeeper's Events about objects of {@code kind}, in the controller's namespaces. */
    static <P extends HasMetadata> InformerEventSource<Event, P> eventSource(String kind, Class<P> primary, EventSourceContext<P> context) {
        var config = InformerEventSourceConfiguration.from(Event.class, primary).withName(kind.toLowerCase() + "-events")
                .withNamespacesInheritedFromController()
                .withFieldSelector(new FieldSelector(new FieldSelector.Field("source", EventLedger.COMPONENT),
                        new FieldSelector.Field("involvedObject.kind", kind)))
                .withSecondaryToPrimaryMapper(e -> e.getInvolvedObject() == null ? Set.of()
                        : Set.of(new ResourceID(e.getInvolvedObject().getName(), e.getInvolvedObject().getNamespace())))
                // An Event that expires (--event-ttl) or is deleted is not itself a reason to look at its object again:
                // an ongoing problem is recorded anew on the object's next change, not once an hour.
                .withOnDeleteFilter((e, finalStateUnknown) -> false)
                .build();
        return new InformerEventSource<>(config, context);
    }

    /** What Watchkeeper has recorded about {@code about}, from the Event informer of the reconcile's context. */
    <P extends HasMetadata> EventLedger ledger(P about, Context<P> context) {
        return new EventLedger(about, context.getSecondaryResources(Event.class));
    }

    /**
     * Records a transition of {@code about} to {@code reason}, on the leader.
     *
     * @return whether it was written
     * @throws KubernetesClientException 409, when the Event changed since it was read: reconcile again
     */
    <P extends HasMetadata> boolean write(EventLedger ledger, P about, String type, String reason, String message, Context<P> context,
            InformerEventSource<Event, P> source) {
        if (!leadership.isLeader()) {
            return false;
        }
        Event event = ledger.next(type, reason, message, clock.instant());
        String ns = about.getMetadata().getNamespace();
        try {
            if (EventLedger.exists(event)) {
                context.resourceOperations().update(event, source);
            } else {
                context.resourceOperations().create(event, source);
            }
            LOG.infof("%s %s/%s: %s %s (count %d)", about.getKind(), ns, about.getMetadata().getName(), type, reason, event.getCount());
            return true;
        } catch (KubernetesClientException e) {
            if (e.getCode() == 409) {
                LOG.debugf("The %s Event of %s %s/%s changed meanwhile; looking again", reason, about.getKind(), ns,
                        about.getMetadata().getName());
                throw e;
            }
            metrics.eventFailed(about.getKind());
            LOG.warnf("Could not write the %s Event for %s %s/%s (HTTP %d): %s. May the operator create and update events there?",
                    reason, about.getKind(), ns, about.getMetadata().getName(), e.getCode(), e.getMessage());
            return false;
        }
    }
}
