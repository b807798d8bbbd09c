package io.watchkeeper.informer;

import java.util.function.Predicate;
import java.util.function.UnaryOperator;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.watchkeeper.informer.LabelSelectors.Selector;

/**
 * A narrower question answered from the cache of a running informer whose question contains it
 * ({@link InformerKey#contains}): no list and no watch of its own. Its store is fed by the container's timeline
 * ({@link Timeline#feed}) with the very objects the container caches, and lists when the container lists, so the
 * narrower informer keeps epochs, a log and followers of its own. It watches while the container watches.
 */
final class DerivedBackend implements InformerBackend {

    private final SharedInformer container;
    private final Timeline.Source<HasMetadata> source;
    private final Timeline.Feed feed;

    /** Starts feeding {@code derived}'s new store from {@code container}; attach it to {@code derived} next. */
    DerivedBackend(SharedInformer container, SharedInformer derived) {
        this.container = container;
        this.source = derived.timeline().newSource(UnaryOperator.identity());
        this.feed = container.timeline().feed(source, selects(derived.key()));
    }

    private static Predicate<HasMetadata> selects(InformerKey key) {
        String namespace = key.namespace();
        Selector labels = key.labels();
        return o -> (namespace == null || namespace.equals(o.getMetadata().getNamespace())) && labels.test(o.getMetadata().getLabels());
    }

    /** The informer whose cache this one is served from. */
    SharedInformer container() {
        return container;
    }

    @Override
    public Timeline.Source<?> source() {
        return source;
    }

    @Override
    public boolean isWatching() {
        InformerBackend b = container.backend();
        return b != null && b.isWatching();
    }

    @Override
    public boolean ownedByHub() {
        return true;
    }

    @Override
    public void stop() {
        container.timeline().unfeed(feed);
    }
}
