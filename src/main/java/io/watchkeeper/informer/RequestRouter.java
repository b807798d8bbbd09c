package io.watchkeeper.informer;

import java.util.Collection;
import java.util.Optional;
import java.util.function.Function;

/**
 * What the {@link RequestCounter} sees, applied to the informers: each informer's LISTs and WATCHes counted (beyond the
 * first, relists and watch restarts), refusals recorded as its last error, and, for a built-in controller's informer
 * (whose requests go out on the operator's client), where its lists begin and end: fabric8's reflector sends the WATCH
 * only once the list is in the store, so a WATCH while a list is in progress means the list is complete. So nothing
 * else may LIST a controller's question on the operator's client (the demo workload has a client of its own): such a
 * LIST would read as a relist, and the question's stream followers would see STALE until the informer's next WATCH.
 */
final class RequestRouter {

    private final InformerMetrics metrics;
    private final InformerSupervisor supervisor;
    /** The item store of the controller's informer for a question, if a controller gave one. */
    private final Function<InformerKey, Optional<Timeline.Source<?>>> controllerSources;

    RequestRouter(InformerMetrics metrics, InformerSupervisor supervisor, Function<InformerKey, Optional<Timeline.Source<?>>> controllerSources) {
        this.metrics = metrics;
        this.supervisor = supervisor;
        this.controllerSources = controllerSources;
    }

    /** Every collection GET an informer makes, before it is sent. */
    void sent(RequestCounter.Request request, Collection<SharedInformer> informers) {
        for (SharedInformer si : informers) {
            if (!request.matches(si.key())) {
                continue;
            }
            Timeline.Source<?> controller = controllerSources.apply(si.key()).orElse(null);
            if (request.operatorClient() != (controller != null)) {
                return; // the operator's client serves only controllers' informers, the hub's client the others
            }
            if (controller != null) {
                if (request.watch()) {
                    controller.listed(request.resourceVersion());
                } else if (!request.continuation()) {
                    controller.beginList();
                }
            }
            if (request.continuation()) {
                return;
            }
            if (request.watch()) {
                if (si.countWatch() > 1) {
                    metrics.watchRestart(si.key());
                }
            } else if (si.countList() > 1) {
                metrics.relist(si.key());
            } else {
                metrics.firstList(si.key());
            }
            return;
        }
    }

    /** A list or watch the API server refused: recorded as the informer's last error, counted by reason. */
    void refused(RequestCounter.Request request, int code, Collection<SharedInformer> informers) {
        for (SharedInformer si : informers) {
            if (request.matches(si.key())) {
                supervisor.refused(si, request.watch(), code);
                return;
            }
        }
    }
}
