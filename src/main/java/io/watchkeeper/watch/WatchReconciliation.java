package io.watchkeeper.watch;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import org.jboss.logging.Logger;

import io.fabric8.kubernetes.api.model.Condition;
import io.micrometer.core.instrument.MeterRegistry;
import io.fabric8.kubernetes.client.CustomResource;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import io.watchkeeper.api.v1alpha1.ResourceWatchSpec;
import io.watchkeeper.api.v1alpha1.WatchStatus;
import io.watchkeeper.config.WatchkeeperConfig;
import io.watchkeeper.informer.InformerListener;
import io.watchkeeper.leader.Leadership;
import io.watchkeeper.metrics.MetricNames;

/**
 * The work both watch reconcilers share: subscribe the watch to its informers, build its status, patch it only when
 * that is worth it (and only on the leader), and say when to look again.
 */
@ApplicationScoped
public class WatchReconciliation {

    private static final Logger LOG = Logger.getLogger(WatchReconciliation.class);
    /** Ready reasons that mean the operator refused the watch. */
    private static final Set<String> REFUSALS = Set.of(WatchSubscriber.INVALID_SPEC, WatchSubscriber.CLUSTER_SCOPED,
            WatchSubscriber.QUOTA_EXCEEDED);

    private final WatchSubscriber subscriber;
    private final WatchRegistry registry;
    private final WatchStatusFactory statusFactory;
    private final Clock clock;
    private final Duration countsRefresh;
    private final Duration resolveRetry;
    private final Map<String, Instant> lastCountsWrite = new ConcurrentHashMap<>();
    private final MeterRegistry meters;
    private final Leadership leadership;

    @Inject
    public WatchReconciliation(WatchSubscriber subscriber, WatchRegistry registry, WatchkeeperConfig config, MeterRegistry meters,
            Leadership leadership) {
        this.subscriber = subscriber;
        this.leadership = leadership;
        this.meters = meters;
        this.registry = registry;
        this.clock = Clock.systemUTC();
        this.countsRefresh = config.status().countsRefreshInterval();
        this.resolveRetry = config.discovery().retryInterval();
        this.statusFactory = new WatchStatusFactory(clock, countsRefresh);
    }

    public <P extends CustomResource<? extends ResourceWatchSpec, WatchStatus>> UpdateControl<P> reconcile(P watch,
            String consumerId, List<String> namespaces, InformerListener listener) {
        ResourceWatchSpec spec = watch.getSpec(); // null when the watch has none: the subscriber says so on its status
        String requested = spec == null ? null : spec.getResource();
        Optional<io.watchkeeper.discovery.ApiResource> lastResolved = registry.byConsumer(consumerId)
                .filter(e -> requested != null && Objects.equals(e.requested(), requested)).flatMap(WatchRegistry.Entry::resource);
        WatchRegistry.Kind kind = watch.getMetadata().getNamespace() == null ? WatchRegistry.Kind.ClusterResourceWatch
                : WatchRegistry.Kind.ResourceWatch;
        Subscription sub = subscriber.subscribe(consumerId, watch.getMetadata().getNamespace(), spec,
                namespaces == null ? List.of() : namespaces, listener, lastResolved);
        WatchStatus current = watch.getStatus();
        WatchStatus next = statusFactory.build(current, watch.getMetadata().getGeneration(), sub);
        if (leadership.isLeader()) {
            // once, by the replica that writes the status
            logDecision(consumerId, current, next);
            countRefusal(current, next);
        }
        registry.put(consumerId, new WatchRegistry.Entry(kind, watch.getMetadata().getNamespace(), watch.getMetadata().getName(),
                requested, sub.resource(), List.copyOf(sub.informers().keySet()), namespaces == null ? List.of() : List.copyOf(namespaces), next));
        UpdateControl<P> control;
        if (leadership.isLeader() && statusFactory.needsPatch(current, next, lastCountsWrite.get(consumerId))) {
            watch.setStatus(next);
            lastCountsWrite.put(consumerId, clock.instant());
            control = UpdateControl.patchStatus(watch);
        } else {
            control = UpdateControl.noUpdate();
        }
        // Not resolved: try again soon (a CRD may appear). Otherwise look again when counts may be refreshed;
        // state changes of the informers arrive as events in between.
        return control.rescheduleAfter(sub.problem().filter(Subscription.Problem::retry).isPresent() ? resolveRetry : countsRefresh);
    }

    /** Watches the operator refuses (a bad spec, a cluster-scoped resource, over quota), counted once per refusal. */
    private void countRefusal(WatchStatus current, WatchStatus next) {
        Optional<Condition> now = ready(next);
        if (now.isEmpty() || !REFUSALS.contains(now.get().getReason())) {
            return;
        }
        Optional<Condition> was = ready(current);
        if (was.isEmpty() || !Objects.equals(was.get().getReason(), now.get().getReason())) {
            meters.counter(MetricNames.WATCH_REFUSALS, MetricNames.TAG_REASON, now.get().getReason()).increment();
        }
    }

    public void deleted(String consumerId) {
        subscriber.unsubscribe(consumerId);
        registry.remove(consumerId);
        lastCountsWrite.remove(consumerId);
        LOG.infof("%s deleted: released its informers", consumerId);
    }

    private static void logDecision(String consumerId, WatchStatus current, WatchStatus next) {
        Optional<Condition> was = ready(current);
        Optional<Condition> now = ready(next);
        if (now.isPresent() && (was.isEmpty() || !Objects.equals(was.get().getStatus(), now.get().getStatus())
                || !Objects.equals(was.get().getReason(), now.get().getReason()))) {
            Condition c = now.get();
            String line = String.format("%s: Ready=%s (%s): %s", consumerId, c.getStatus(), c.getReason(), c.getMessage());
            if ("True".equals(c.getStatus()) || WatchStatusFactory.REASON_SYNCING.equals(c.getReason())) {
                LOG.info(line);
            } else {
                LOG.warn(line);
            }
        }
    }

    private static Optional<Condition> ready(WatchStatus s) {
        return s == null ? Optional.empty()
                : s.getConditions().stream().filter(c -> WatchStatusFactory.READY.equals(c.getType())).findFirst();
    }
}
