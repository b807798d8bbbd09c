package io.watchkeeper.informer;

import java.util.List;
import java.util.Set;
import java.util.function.Consumer;

import org.jboss.logging.Logger;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.javaoperatorsdk.operator.api.config.ControllerConfigurationOverrider;
import io.javaoperatorsdk.operator.api.reconciler.EventSourceContext;
import io.javaoperatorsdk.operator.health.InformerHealthIndicator;
import io.javaoperatorsdk.operator.processing.event.source.AbstractEventSource;
import io.javaoperatorsdk.operator.processing.event.source.ResourceEventAware;
import io.javaoperatorsdk.operator.processing.event.source.informer.ManagedInformerEventSource;
import io.watchkeeper.discovery.ApiResource;

/**
 * Puts a built-in controller's primary informer into the {@link InformerHub}, so that every other consumer asking the
 * same question (a ResourceWatch on {@code pods} over the same namespaces, another controller's secondary pods) shares
 * it instead of opening a second list and watch. JOSDK 5.3 owns the primary informer and cannot hand it out, so the
 * sharing has two halves:
 * <ul>
 * <li>{@link #share} gives the controller's informer an item store from the hub ({@link InformerHub#controllerSource}):
 * whatever the controller's informer lists and watches is what the hub's informer for that question publishes, with
 * the same exactness as the hub's own informers;</li>
 * <li>this event source, which JOSDK starts once the primary informer has synced, hands the hub the informer's health
 * ({@link InformerHub#adopt}) and tells the controller about deletions ({@link ResourceEventAware}).</li>
 * </ul>
 * JOSDK 5.3.2 gives all per-namespace informers of a controller one item store instance, and each informer's list then
 * deletes the others' objects (STACK.md), so a controller over two or more named namespaces is not shared: it keeps a
 * plain store, and the hub runs its own informers for those questions.
 */
public class ControllerInformerBridge<R extends HasMetadata> extends AbstractEventSource<Void, R> implements ResourceEventAware<R> {

    private static final Logger LOG = Logger.getLogger(ControllerInformerBridge.class);

    private final InformerHub hub;
    private final String ownerId;
    private final List<InformerKey> keys;
    private final EventSourceContext<R> context;
    private final Consumer<R> onDeleted;

    /**
     * @param ownerId   the controller's consumer id in the hub
     * @param keys      the questions the controller's primary informer answers (one per watched namespace)
     * @param onDeleted told about every deleted primary (the controller is not reconciled on deletes)
     */
    public ControllerInformerBridge(String ownerId, InformerHub hub, List<InformerKey> keys, EventSourceContext<R> context,
            Consumer<R> onDeleted) {
        super(Void.class, ownerId + "-informer-bridge");
        this.hub = hub;
        this.ownerId = ownerId;
        this.keys = List.copyOf(keys);
        this.context = context;
        this.onDeleted = onDeleted;
    }

    /** Whether a controller watching these questions can share its informer (one informer: all namespaces, or one). */
    public static boolean shareable(List<InformerKey> keys) {
        return keys.size() == 1;
    }

    /**
     * Gives the controller's primary informer the hub's item store for its question, when it can be shared; objects
     * enter it through {@code transform}. Call from the controller's configuration, before its informer starts.
     */
    public static <R extends HasMetadata> void share(ControllerConfigurationOverrider<R> overrider, InformerHub hub, String ownerId,
            ApiResource resource, List<InformerKey> keys, java.util.function.UnaryOperator<R> transform) {
        if (hub.listPageSize() > 0) {
            overrider.withInformerListLimit(hub.listPageSize()); // relists by pages, as the hub's informers do (a pod controller's first list: FirstLists)
        }
        if (shareable(keys)) {
            overrider.withItemStore(hub.controllerSource(ownerId, keys.get(0), resource, transform));
        }
    }

    @Override
    @SuppressWarnings("unchecked")
    public void start() {
        if (shareable(keys)) {
            var primaries = (ManagedInformerEventSource<R, R, ?>) context.getPrimaryCache();
            InformerHealthIndicator health = primaries.informerHealthIndicators().values().iterator().next();
            InformerKey key = keys.get(0);
            Timeline.Source<?> source = hub.controllerSourceOf(key).orElseThrow(() -> new IllegalStateException(
                    "The controller " + ownerId + " was not configured with the hub's store for " + key + " (share)"));
            SharedInformer si = hub.adopt(ownerId, key, new Adopted(health, source));
            LOG.infof("Informer %s is shared from controller %s (%d objects)", key, ownerId, si.size());
        }
        super.start();
    }

    @Override
    public void stop() {
        super.stop();
        hub.releaseAll(ownerId);
    }

    /** Secondary objects are read through {@link CacheReader}; this source owns none. */
    @Override
    public Set<Void> getSecondaryResources(R primary) {
        return Set.of();
    }

    @Override
    public void onResourceDeleted(R resource) {
        onDeleted.accept(resource);
    }

    /** The controller's informer, as the hub sees it: its store (the hub's own) and its health. */
    private record Adopted(InformerHealthIndicator health, Timeline.Source<?> source) implements InformerBackend {

        @Override
        public boolean isWatching() {
            return health.isWatching();
        }

        @Override
        public boolean ownedByHub() {
            return false;
        }

        @Override
        public void stop() {
            // the controller stops its own informer
        }
    }
}
