package io.watchkeeper.informer;

import java.net.URL;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;

import io.fabric8.kubernetes.api.model.ListOptions;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodList;
import io.fabric8.kubernetes.client.Client;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.internal.OperationContext;
import io.fabric8.kubernetes.client.dsl.internal.PodOperationContext;
import io.fabric8.kubernetes.client.dsl.internal.core.v1.PodOperationsImpl;
import io.fabric8.kubernetes.client.impl.BaseClient;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;

/**
 * A built-in controller's first list of pods read from the watch cache as it arrives ({@link StreamedList}), as a hub
 * informer's first list is, rather than by pages from etcd. JOSDK 5.3 builds a controller's informer from the operator
 * client's DSL (a list limit, the hub's item store: {@link ControllerInformerBridge#share}) and lets no lister be given,
 * so the operator's client is given pod operations of its own ({@link #install}) whose informers list as fabric8's do,
 * except the first list of a question whose store the hub made for a controller: the hub decides ({@link #answeredBy}),
 * once per store, by the same rule as for its own informers (nothing of the resource published yet). Every other list
 * of theirs reads etcd, as the hub's relists do. They are what {@code client.resources(Pod.class)} gives, as JOSDK asks
 * for them; {@code client.pods()} makes fabric8's own.
 * <p>
 * The items are transformed and compacted as they are read ({@link Timeline.Source#prepare}) but not put: fabric8's
 * reflector puts them, so the controller is told of each as an addition, as after any first list. Pods only: the
 * controllers' other primaries (services) are few, and fabric8's service operations cannot be extended.
 */
@jakarta.inject.Singleton
public class FirstLists {

    private volatile Function<URL, Optional<Timeline.Source<?>>> claims = collection -> Optional.empty();

    /** The hub answers which first lists are streamed, and into which store ({@link InformerHub#claimFirstList}). */
    void answeredBy(Function<URL, Optional<Timeline.Source<?>>> claims) {
        this.claims = claims;
    }

    /** The store into which the list of {@code collection} (with its selectors) is to be streamed, if it is one. */
    Optional<Timeline.Source<?>> claim(URL collection) {
        return claims.apply(collection);
    }

    /** Gives {@code client} pod operations whose first list for a controller may be streamed. */
    public static void install(KubernetesClient client, FirstLists lists) {
        var handlers = client.adapt(BaseClient.class).getHandlers();
        handlers.unregister(Pod.class);
        handlers.register(Pod.class, c -> new Pods(lists, c));
    }

    /**
     * fabric8's pod operations. Those of an informer made by {@link #runnableInformer} (as JOSDK makes its informers) ask,
     * for each list, whether it is a controller's first; every other list of theirs reads etcd. Other operations (a
     * {@code list()}, a {@code waitUntilCondition}) are fabric8's.
     */
    static final class Pods extends PodOperationsImpl {
        private final FirstLists lists;
        /**
         * Whether these are the lister of an informer made by {@link #runnableInformer}: set on the copy made for it,
         * before the informer is made (whose threads start later), and passed on to the copies it makes.
         */
        private boolean informer;

        Pods(FirstLists lists, Client client) {
            super(client);
            this.lists = lists;
        }

        private Pods(FirstLists lists, PodOperationContext pod, OperationContext context, boolean informer) {
            super(pod, context);
            this.lists = lists;
            this.informer = informer;
        }

        @Override
        public Pods newInstance(OperationContext context) {
            return new Pods(lists, getContext(), context, informer);
        }

        @Override
        public SharedIndexInformer<Pod> runnableInformer(long resync) {
            if (informer) {
                return super.runnableInformer(resync);
            }
            Pods lister = (Pods) withLimit(getLimit()); // a copy, with this one's limit and indexers
            lister.informer = true;
            return lister.runnableInformer(resync);
        }

        @Override
        public CompletableFuture<PodList> submitList(ListOptions options) {
            if (informer && (options.getContinue() == null || options.getContinue().isEmpty())) {
                Optional<Timeline.Source<?>> into = lists.claim(StreamedList.collection(this));
                if (into.isPresent()) {
                    return streamed(into.get());
                }
                // as the hub's informers: a list not claimed (a relist, a retry, a resource already shown) is consistent,
                // where fabric8 would ask a first list without a limit for the watch cache's state
                options.setResourceVersion(null);
            }
            return super.submitList(options);
        }

        @SuppressWarnings("unchecked")
        private CompletableFuture<PodList> streamed(Timeline.Source<?> into) {
            Timeline.Source<Pod> source = (Timeline.Source<Pod>) into; // the hub's store for a pods question: a controller's of pods
            try {
                return StreamedList.typed(this, Pod.class).list(source::prepare).thenApply(read -> {
                    PodList list = new PodList();
                    list.setMetadata(read.metadata());
                    list.setItems(read.items());
                    return list;
                });
            } catch (RuntimeException e) { // as a failed list, which the reflector retries (by pages)
                return CompletableFuture.failedFuture(e);
            }
        }
    }
}
