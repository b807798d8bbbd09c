package io.watchkeeper.informer;

import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.stream.Stream;

import org.jboss.logging.Logger;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.javaoperatorsdk.operator.api.config.informer.InformerConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.EventSourceContext;
import io.javaoperatorsdk.operator.health.InformerHealthIndicator;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.javaoperatorsdk.operator.processing.event.source.AbstractEventSource;
import io.javaoperatorsdk.operator.processing.event.source.ResourceEventAware;
import io.javaoperatorsdk.operator.processing.event.source.informer.ManagedInformerEventSource;
import io.watchkeeper.discovery.ApiResource;
import io.watchkeeper.informer.FieldSelectors.FieldSelector;
import io.watchkeeper.informer.LabelSelectors.Selector;

/**
 * Puts a built-in controller's primary informer into the {@link InformerHub}, so that every other consumer asking the
 * same question (a ResourceWatch on {@code pods} over the same namespaces, another controller's secondary pods) shares
 * it instead of opening a second list and watch. JOSDK 5.3 owns the primary informer and cannot hand it out, so this is
 * registered as one of the controller's event sources: JOSDK starts it after the primary informer has synced (then it
 * adopts that informer, one hub key per watched namespace) and hands it every primary event ({@link ResourceEventAware}),
 * which it forwards to the hub's other consumers. It triggers no reconciliation itself.
 */
public class ControllerInformerBridge<R extends HasMetadata> extends AbstractEventSource<Void, R> implements ResourceEventAware<R> {

    private static final Logger LOG = Logger.getLogger(ControllerInformerBridge.class);

    private final InformerHub hub;
    private final String ownerId;
    private final ApiResource resource;
    private final EventSourceContext<R> context;
    private final Consumer<R> onDeleted;
    /** Hub key by namespace; {@code ""} when the controller watches all namespaces. */
    private volatile Map<String, Adopted> adopted = Map.of();

    /**
     * @param ownerId   the controller's consumer id in the hub
     * @param resource  what the controller's primary informer lists and watches (no selectors)
     * @param onDeleted told about every deleted primary (the controller is not reconciled on deletes)
     */
    public ControllerInformerBridge(String ownerId, InformerHub hub, ApiResource resource, EventSourceContext<R> context,
            Consumer<R> onDeleted) {
        super(Void.class, ownerId + "-informer-bridge");
        this.hub = hub;
        this.ownerId = ownerId;
        this.resource = resource;
        this.context = context;
        this.onDeleted = onDeleted;
    }

    @Override
    @SuppressWarnings("unchecked")
    public void start() {
        var primaries = (ManagedInformerEventSource<R, R, ?>) context.getPrimaryCache();
        Map<String, Adopted> out = new HashMap<>();
        primaries.informerHealthIndicators().forEach((ns, health) -> {
            String namespace = InformerConfiguration.allNamespacesWatched(Set.of(ns)) ? null : ns;
            InformerKey key = InformerKey.of(resource, namespace, Selector.EVERYTHING, FieldSelector.EVERYTHING);
            Adopted a = new Adopted(key, namespace, health, primaries);
            out.put(namespace == null ? "" : namespace, a);
            hub.adopt(ownerId, key, resource, a);
            LOG.infof("Informer %s is shared from controller %s (%d objects)", key, ownerId, a.size());
        });
        adopted = Map.copyOf(out);
        super.start();
    }

    @Override
    public void stop() {
        super.stop();
        hub.releaseAll(ownerId);
        adopted = Map.of();
    }

    /** Secondary objects are read through {@link CacheReader}; this source owns none. */
    @Override
    public Set<Void> getSecondaryResources(R primary) {
        return Set.of();
    }

    @Override
    public void onResourceCreated(R resource) {
        forward("added", null, resource);
    }

    @Override
    public void onResourceUpdated(R newResource, R oldResource) {
        forward("modified", oldResource, newResource);
    }

    @Override
    public void onResourceDeleted(R resource) {
        forward("deleted", resource, null);
        onDeleted.accept(resource);
    }

    private void forward(String type, R previous, R current) {
        R obj = current != null ? current : previous;
        Map<String, Adopted> byNamespace = adopted;
        Adopted a = byNamespace.get("");
        if (a == null) {
            a = byNamespace.get(obj.getMetadata().getNamespace());
        }
        if (a != null) {
            a.seen(obj);
            hub.objectChanged(a.key, type, previous, current);
        }
    }

    /** The controller's cache for one namespace (or all), read through JOSDK's public cache API. */
    private static final class Adopted implements InformerBackend {
        private final InformerKey key;
        private final String namespace;
        private final InformerHealthIndicator health;
        private final ManagedInformerEventSource<? extends HasMetadata, ?, ?> primaries;
        /**
         * JOSDK does not expose the informer's last-synced resourceVersion; the highest one of any object seen (in the
         * cache at adoption, or in an event since, deletions included) stands in for it.
         */
        private final AtomicLong resourceVersion = new AtomicLong();

        Adopted(InformerKey key, String namespace, InformerHealthIndicator health,
                ManagedInformerEventSource<? extends HasMetadata, ?, ?> primaries) {
            this.key = key;
            this.namespace = namespace;
            this.health = health;
            this.primaries = primaries;
            values().forEach(this::seen);
        }

        void seen(HasMetadata obj) {
            resourceVersion.accumulateAndGet(ResourceVersions.parse(obj.getMetadata().getResourceVersion()), Math::max);
        }

        @Override
        public boolean hasSynced() {
            return health.hasSynced();
        }

        @Override
        public boolean isWatching() {
            return health.isWatching();
        }

        @Override
        public String lastSyncResourceVersion() {
            long rv = resourceVersion.get();
            return rv == 0 ? null : Long.toString(rv);
        }

        @Override
        public int size() {
            return (int) values().count();
        }

        @Override
        public Stream<? extends HasMetadata> values() {
            return namespace == null ? primaries.list(o -> true) : primaries.list(namespace, o -> true);
        }

        @Override
        public Stream<? extends HasMetadata> values(String inNamespace) {
            return primaries.list(inNamespace, o -> true);
        }

        @Override
        public HasMetadata get(String inNamespace, String name) {
            return primaries.get(new ResourceID(name, inNamespace)).orElse(null);
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
