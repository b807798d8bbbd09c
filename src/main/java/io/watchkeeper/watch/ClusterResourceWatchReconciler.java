package io.watchkeeper.watch;

import java.util.List;
import java.util.Optional;

import jakarta.inject.Inject;

import io.javaoperatorsdk.operator.api.reconciler.Cleaner;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.DeleteControl;
import io.javaoperatorsdk.operator.api.reconciler.ControllerConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.EventSourceContext;
import io.javaoperatorsdk.operator.api.reconciler.Reconciler;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.javaoperatorsdk.operator.processing.event.source.EventSource;
import io.watchkeeper.api.v1alpha1.ClusterResourceWatch;
import io.watchkeeper.informer.HubEventSource;
import io.watchkeeper.informer.InformerListener;
import io.watchkeeper.leader.FollowerShadow;
import io.watchkeeper.leader.Leadership;

/**
 * Reconciles {@link ClusterResourceWatch}: one shared informer per listed namespace, or one for all namespaces when
 * the list is empty. Deletion releases them. A follower subscribes the same way and writes nothing
 * ({@link ResourceWatchReconciler}).
 */
@ControllerConfiguration(name = ClusterResourceWatchReconciler.NAME)
public class ClusterResourceWatchReconciler implements Reconciler<ClusterResourceWatch>, Cleaner<ClusterResourceWatch> {

    public static final String NAME = "clusterresourcewatch";
    private static final String PREFIX = "ClusterResourceWatch/";

    private final WatchReconciliation reconciliation;
    private final Leadership leadership;
    private FollowerShadow<ClusterResourceWatch> shadow;
    /** The hub tells the reconciler (on the leader) and the shadow (on a follower) when a watch's informer changes state. */
    private final InformerListener informerChanges = (consumerId, key) -> {
        this.hubEvents.onStateChange(consumerId, key);
        primaryOf(consumerId).filter(id -> shadow != null).ifPresent(id -> shadow.trigger(id));
    };
    private final HubEventSource<ClusterResourceWatch> hubEvents = new HubEventSource<>("informer-hub",
            ClusterResourceWatchReconciler::primaryOf);

    @Inject
    public ClusterResourceWatchReconciler(WatchReconciliation reconciliation, Leadership leadership) {
        this.reconciliation = reconciliation;
        this.leadership = leadership;
    }

    @Override
    public List<EventSource<?, ClusterResourceWatch>> prepareEventSources(EventSourceContext<ClusterResourceWatch> context) {
        shadow = new FollowerShadow<>(NAME, leadership, context, watch -> FollowerShadow.recheckOf(reconcile(watch)),
                watch -> reconciliation.deleted(consumerId(watch)));
        return List.of(hubEvents, shadow);
    }

    @Override
    public UpdateControl<ClusterResourceWatch> reconcile(ClusterResourceWatch watch, Context<ClusterResourceWatch> context) {
        return reconcile(watch);
    }

    private UpdateControl<ClusterResourceWatch> reconcile(ClusterResourceWatch watch) {
        List<String> namespaces = watch.getSpec() == null ? List.of() : watch.getSpec().getNamespaces();
        return reconciliation.reconcile(watch, consumerId(watch), namespaces, informerChanges);
    }

    /**
     * Releases the watch's informers. A finalizer makes sure this runs (QOSDK 7.7.3 does not pass
     * {@code triggerReconcilerOnAllEvents} on to JOSDK, so delete events would otherwise go unseen).
     */
    @Override
    public DeleteControl cleanup(ClusterResourceWatch watch, Context<ClusterResourceWatch> context) {
        reconciliation.deleted(consumerId(watch));
        return DeleteControl.defaultDelete();
    }

    public static String consumerId(ClusterResourceWatch watch) {
        return PREFIX + watch.getMetadata().getName();
    }

    static Optional<ResourceID> primaryOf(String consumerId) {
        return consumerId.startsWith(PREFIX) ? Optional.of(new ResourceID(consumerId.substring(PREFIX.length())))
                : Optional.empty();
    }
}
