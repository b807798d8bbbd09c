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
import io.watchkeeper.api.v1alpha1.ResourceWatch;
import io.watchkeeper.informer.HubEventSource;
import io.watchkeeper.informer.InformerListener;
import io.watchkeeper.leader.FollowerShadow;
import io.watchkeeper.leader.Leadership;

/**
 * Reconciles {@link ResourceWatch}: subscribes it to the shared informer for its question, in its own namespace only,
 * and keeps its status. Deletion releases the informer. Under leader election the leader does all that; a follower
 * subscribes the same way (its {@link FollowerShadow}), so that it serves the watch too, and writes nothing.
 */
@ControllerConfiguration(name = ResourceWatchReconciler.NAME)
public class ResourceWatchReconciler implements Reconciler<ResourceWatch>, Cleaner<ResourceWatch> {

    public static final String NAME = "resourcewatch";
    static final String PREFIX = "ResourceWatch/";

    private final WatchReconciliation reconciliation;
    private final Leadership leadership;
    private FollowerShadow<ResourceWatch> shadow;
    /** The hub tells the reconciler (on the leader) and the shadow (on a follower) when a watch's informer changes state. */
    private final InformerListener informerChanges = (consumerId, key) -> {
        this.hubEvents.onStateChange(consumerId, key);
        primaryOf(consumerId).filter(id -> shadow != null).ifPresent(id -> shadow.trigger(id));
    };
    private final HubEventSource<ResourceWatch> hubEvents = new HubEventSource<>("informer-hub", ResourceWatchReconciler::primaryOf);

    @Inject
    public ResourceWatchReconciler(WatchReconciliation reconciliation, Leadership leadership) {
        this.reconciliation = reconciliation;
        this.leadership = leadership;
    }

    @Override
    public List<EventSource<?, ResourceWatch>> prepareEventSources(EventSourceContext<ResourceWatch> context) {
        shadow = new FollowerShadow<>(NAME, leadership, context, watch -> FollowerShadow.recheckOf(reconcile(watch)),
                watch -> reconciliation.deleted(consumerId(watch)));
        return List.of(hubEvents, shadow);
    }

    @Override
    public UpdateControl<ResourceWatch> reconcile(ResourceWatch watch, Context<ResourceWatch> context) {
        return reconcile(watch);
    }

    private UpdateControl<ResourceWatch> reconcile(ResourceWatch watch) {
        return reconciliation.reconcile(watch, consumerId(watch), List.of(watch.getMetadata().getNamespace()), informerChanges);
    }

    /**
     * Releases the watch's informers. A finalizer makes sure this runs (QOSDK 7.7.3 does not pass
     * {@code triggerReconcilerOnAllEvents} on to JOSDK, so delete events would otherwise go unseen).
     */
    @Override
    public DeleteControl cleanup(ResourceWatch watch, Context<ResourceWatch> context) {
        reconciliation.deleted(consumerId(watch));
        return DeleteControl.defaultDelete();
    }

    public static String consumerId(ResourceWatch watch) {
        return PREFIX + watch.getMetadata().getNamespace() + "/" + watch.getMetadata().getName();
    }

    static Optional<ResourceID> primaryOf(String consumerId) {
        if (!consumerId.startsWith(PREFIX)) {
            return Optional.empty();
        }
        String[] nsName = consumerId.substring(PREFIX.length()).split("/", 2);
        return Optional.of(new ResourceID(nsName[1], nsName[0]));
    }
}
