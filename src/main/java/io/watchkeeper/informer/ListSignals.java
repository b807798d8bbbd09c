package io.watchkeeper.informer;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;
import java.util.function.UnaryOperator;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.GenericKubernetesResourceList;
import io.fabric8.kubernetes.api.model.ListOptions;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.Watcher;
import io.fabric8.kubernetes.client.dsl.internal.AbstractWatchManager;
import io.fabric8.kubernetes.client.informers.impl.ListerWatcher;

/**
 * The lister-watcher of a hub informer: fabric8's own, which also tells the informer's {@link Timeline.Source} when a
 * list begins and when it is complete. fabric8's reflector asks for a LIST (then, page by page, its continuations), puts
 * every item into the store, removes what the list no longer holds, and only then asks for a WATCH from the list's
 * resourceVersion; a watch that drops resumes inside the watch manager, without coming back here. So "a WATCH asked for
 * while a list is in progress" is exactly "the list is complete". A question's first list may be read another way
 * ({@link StreamedList}: in one response from the watch cache, into the store as it arrives); the reflector sees a
 * list like any other.
 */
final class ListSignals implements ListerWatcher<GenericKubernetesResource, GenericKubernetesResourceList> {

    private final ListerWatcher<GenericKubernetesResource, GenericKubernetesResourceList> delegate;
    private final Timeline.Source<GenericKubernetesResource> source;
    private final Function<UnaryOperator<GenericKubernetesResource>, CompletableFuture<GenericKubernetesResourceList>> first;
    private final AtomicBoolean firstUnused;

    /**
     * @param first how the informer's first list is read, if not as its relists are ({@code null}): given where each
     *              item goes as it is read ({@link StreamedList#list})
     */
    ListSignals(ListerWatcher<GenericKubernetesResource, GenericKubernetesResourceList> delegate, Timeline.Source<GenericKubernetesResource> source,
            Function<UnaryOperator<GenericKubernetesResource>, CompletableFuture<GenericKubernetesResourceList>> first) {
        this.delegate = delegate;
        this.source = source;
        this.first = first;
        this.firstUnused = new AtomicBoolean(first != null);
    }

    /**
     * A list. The first one is read by {@link #first} when there is one (the hub gives one only to an informer whose
     * resource nothing has published: {@code InformerHub#fresh}), streamed from the watch cache into the store, once:
     * a retry after it failed, and every relist, go to the paged lister without a resourceVersion, so that they are
     * consistent reads (fabric8 asks a new reflector's first list without a limit for resourceVersion 0, a watch cache's
     * possibly older state, which a relist of a view that was published must not show).
     */
    @Override
    public CompletableFuture<GenericKubernetesResourceList> submitList(ListOptions options) {
        if (options.getContinue() == null || options.getContinue().isEmpty()) {
            source.beginList();
            if (firstUnused.getAndSet(false)) {
                return first.apply(source::cache);
            }
            options.setResourceVersion(null);
        }
        return delegate.submitList(options);
    }

    @Override
    public CompletableFuture<AbstractWatchManager<GenericKubernetesResource>> submitWatch(ListOptions options,
            Watcher<GenericKubernetesResource> watcher) {
        source.listed(options.getResourceVersion());
        return delegate.submitWatch(options, watcher);
    }

    @Override
    public Long getLimit() {
        return delegate.getLimit();
    }

    @Override
    public int getWatchReconnectInterval() {
        return delegate.getWatchReconnectInterval();
    }

    @Override
    public String getApiEndpointPath() {
        return delegate.getApiEndpointPath();
    }

    @Override
    public Config getConfig() {
        return delegate.getConfig();
    }
}
