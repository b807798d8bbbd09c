package io.watchkeeper.watch;

import java.util.List;
import java.util.Optional;

import jakarta.inject.Inject;

import io.javaoperatorsdk.operator.api.reconciler.Context;
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
@ControllerConfiguration(name = ClusterResourceWatchReconciler.NAME, triggerReconcilerOnAllEvents = true)
public class ClusterResourceWatchReconciler implements Reconciler<ClusterResourceWatch> {

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
        if (context.isPrimaryResourceDeleted()) {
            reconciliation.deleted(id);
            return UpdateControl.noUpdate();
        }
        List<String> namespaces = watch.getSpec() == null ? List.of() : watch.getSpec().getNamespaces();
        return reconciliation.reconcile(watch, id, namespaces, hubEvents);
    }

    public static String consumerId(ClusterResourceWatch watch) {
        return PREFIX + watch.getMetadata().getName();
    }

    static Optional<ResourceID> primaryOf(String consumerId) {
        return consumerId.startsWith(PREFIX) ? Optional.of(new ResourceID(consumerId.substring(PREFIX.length())))
                : Optional.empty();
    }
}
