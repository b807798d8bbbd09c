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

/**
 * Reconciles {@link ResourceWatch}: subscribes it to the shared informer for its question, in its own namespace only,
 * and keeps its status. Deletion releases the informer.
 */
@ControllerConfiguration(name = ResourceWatchReconciler.NAME)
public class ResourceWatchReconciler implements Reconciler<ResourceWatch>, Cleaner<ResourceWatch> {

    public static final String NAME = "resourcewatch";
    static final String PREFIX = "ResourceWatch/";

    private final WatchReconciliation reconciliation;
    private final HubEventSource<ResourceWatch> hubEvents = new HubEventSource<>("informer-hub", ResourceWatchReconciler::primaryOf);

    @Inject
    public ResourceWatchReconciler(WatchReconciliation reconciliation) {
        this.reconciliation = reconciliation;
    }

    @Override
    public List<EventSource<?, ResourceWatch>> prepareEventSources(EventSourceContext<ResourceWatch> context) {
        return List.of(hubEvents);
    }

    @Override
    public UpdateControl<ResourceWatch> reconcile(ResourceWatch watch, Context<ResourceWatch> context) {
        String id = consumerId(watch);
        return reconciliation.reconcile(watch, id, List.of(watch.getMetadata().getNamespace()), hubEvents);
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
