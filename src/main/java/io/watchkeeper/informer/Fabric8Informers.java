package io.watchkeeper.informer;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.function.Function;
import java.util.function.UnaryOperator;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.GenericKubernetesResourceList;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.FilterWatchListDeletable;
import io.fabric8.kubernetes.client.dsl.MixedOperation;
import io.fabric8.kubernetes.client.dsl.Resource;
import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;
import io.fabric8.kubernetes.client.impl.BaseClient;
import io.fabric8.kubernetes.client.dsl.internal.OperationSupport;
import io.fabric8.kubernetes.client.informers.impl.DefaultSharedIndexInformer;
import io.fabric8.kubernetes.client.informers.impl.ListerWatcher;
import io.watchkeeper.discovery.ApiResource;
import io.watchkeeper.informer.FieldSelectors.Term;

/**
 * The hub's informers: fabric8 informers over generic objects, one per question, whose lister-watcher tells the
 * shared informer's timeline when lists begin and end ({@link ListSignals}) and whose item store is the timeline's
 * source, transforming every object on its way in ({@link CacheTransform}).
 */
final class Fabric8Informers implements InformerStarter {

    private final KubernetesClient client;
    private final Executor executor;
    private final long pageSize;
    private final boolean firstFromWatchCache;

    /**
     * @param pageSize            objects per page of a list; 0 for one response
     * @param firstFromWatchCache whether a question's first list is read from the watch cache as it arrives
     *                            ({@link StreamedList}) rather than as its relists are
     */
    Fabric8Informers(KubernetesClient client, long pageSize, boolean firstFromWatchCache) {
        this.client = client;
        this.pageSize = pageSize;
        this.firstFromWatchCache = firstFromWatchCache;
        this.executor = client.adapt(BaseClient.class).getExecutor();
        if (client.getConfiguration().isWatchList()) {
            // In watch-list mode the initial items arrive over the watch; ListSignals would publish the list too early.
            throw new IllegalStateException("Watchkeeper's informers do not support the client's watch-list mode");
        }
    }

    @Override
    @SuppressWarnings("unchecked")
    public InformerBackend create(SharedInformer si, boolean fresh, Failures failures) {
        InformerKey key = si.key();
        ApiResource r = si.resource();
        ResourceDefinitionContext ctx = new ResourceDefinitionContext.Builder().withGroup(r.group()).withVersion(r.version())
                .withPlural(r.resource()).withKind(r.kind()).withNamespaced(r.namespaced()).build();
        MixedOperation<GenericKubernetesResource, GenericKubernetesResourceList, Resource<GenericKubernetesResource>> op = client
                .genericKubernetesResources(ctx);
        FilterWatchListDeletable<GenericKubernetesResource, GenericKubernetesResourceList, Resource<GenericKubernetesResource>> f;
        if (!r.namespaced()) {
            f = op;
        } else if (key.allNamespaces()) {
            f = op.inAnyNamespace();
        } else {
            f = op.inNamespace(key.namespace());
        }
        if (!key.labelSelector().isEmpty()) {
            f = f.withLabelSelector(key.labelSelector());
        }
        try {
            for (Term t : FieldSelectors.parse(key.fieldSelector()).terms()) {
                f = t.equals() ? f.withField(t.field(), t.value()) : f.withoutField(t.field(), t.value());
            }
        } catch (InvalidSelectorException e) {
            throw new IllegalArgumentException("informer key holds an invalid field selector: " + key, e);
        }
        boolean secrets = r.group().isEmpty() && r.resource().equals("secrets");
        Timeline.Source<GenericKubernetesResource> source = si.timeline().newSource(o -> CacheTransform.apply(o, secrets));
        Object paged = pageSize > 0 ? f.withLimit(pageSize) : f; // the same operation, listing by pages
        var listerWatcher = new ListSignals((ListerWatcher<GenericKubernetesResource, GenericKubernetesResourceList>) paged, source,
                firstFromWatchCache && fresh ? streamed((OperationSupport) f, r, !secrets) : null);
        DefaultSharedIndexInformer<GenericKubernetesResource, GenericKubernetesResourceList> informer = new DefaultSharedIndexInformer<>(
                GenericKubernetesResource.class, listerWatcher, 0, executor);
        informer.itemStore(source);
        HubBackend backend = new HubBackend(informer, source);
        informer.exceptionHandler((afterStart, t) -> failures.onException(backend, afterStart, t));
        return backend;
    }

    /** The first list of {@code op}'s question, read from the watch cache as it arrives ({@link StreamedList}). */
    private static Function<UnaryOperator<GenericKubernetesResource>, CompletableFuture<GenericKubernetesResourceList>> streamed(
            OperationSupport op, ApiResource r, boolean compact) {
        StreamedList<GenericKubernetesResource> first = StreamedList.generic(op, r.groupVersion(), r.kind(), compact);
        return into -> first.list(into).thenApply(StreamedList::genericList);
    }
}
