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

/**
 * Reconciles {@link ClusterResourceWatch}: one shared informer per listed namespace, or one for all namespaces when
 * the list is empty. Deletion releases them.
 */
@ControllerConfiguration(name = ClusterResourceWatchReconciler.NAME)
public class ClusterResourceWatchReconciler implements Reconciler<ClusterResourceWatch>, Cleaner<ClusterResourceWatch> {

    public static final String NAME = "clusterresourcewatch";
    private static final String PREFIX = "ClusterResourceWatch/";

    private final WatchReconciliation reconciliation;
    private final HubEventSource<ClusterResourceWatch> hubEvents = new HubEventSource<>("informer-hub",
            ClusterResourceWatchReconciler::primaryOf);

    @Inject
    public ClusterResourceWatchReconciler(WatchReconciliation reconciliation) {
        this.reconciliation = reconciliation;
    }

    @Override
    public List<EventSource<?, ClusterResourceWatch>> prepareEventSources(EventSourceContext<ClusterResourceWatch> context) {
        return List.of(hubEvents);
    }

    @Override
    public UpdateControl<ClusterResourceWatch> reconcile(ClusterResourceWatch watch, Context<ClusterResourceWatch> context) {
        String id = consumerId(watch);
        List<String> namespaces = watch.getSpec() == null ? List.of() : watch.getSpec().getNamespaces();
        return reconciliation.reconcile(watch, id, namespaces, hubEvents);
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
