package io.watchkeeper.informer;

import java.util.Optional;
import java.util.function.Function;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.javaoperatorsdk.operator.processing.event.Event;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.javaoperatorsdk.operator.processing.event.source.AbstractEventSource;

/**
 * How a JOSDK controller consumes the hub's shared informers. JOSDK 5.3 cannot share one event source between
 * controllers, so the informers live in the {@link InformerHub} (one per question, operator-wide) and each controller
 * registers one thin adapter: the hub tells it when an informer its primaries consume changes state, and it turns that
 * into an event for each affected primary. The adapter owns no informer and no watch connection.
 */
public class HubEventSource<P extends HasMetadata> extends AbstractEventSource<Void, P> implements InformerListener {

    private final Function<String, Optional<ResourceID>> consumerToPrimary;

    /**
     * @param consumerToPrimary maps a hub consumer id to the primary resource that holds it (empty: not ours)
     */
    public HubEventSource(String name, Function<String, Optional<ResourceID>> consumerToPrimary) {
        super(Void.class, name);
        this.consumerToPrimary = consumerToPrimary;
    }

    /** Secondary objects are read through {@link CacheReader}, not through this adapter. */
    @Override
    public java.util.Set<Void> getSecondaryResources(P primary) {
        return java.util.Set.of();
    }

    @Override
    public void onStateChange(String consumerId, InformerKey key) {
        if (isRunning()) {
            consumerToPrimary.apply(consumerId).ifPresent(id -> getEventHandler().handleEvent(new Event(id)));
        }
    }
}
