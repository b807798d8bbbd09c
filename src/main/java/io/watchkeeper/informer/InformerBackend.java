package io.watchkeeper.informer;

import java.util.stream.Stream;

import io.fabric8.kubernetes.api.model.HasMetadata;

/**
 * Where a {@link SharedInformer}'s objects live: in an informer the hub runs itself ({@link HubBackend}), or in the
 * primary informer of a built-in JOSDK controller that the hub has adopted ({@link ControllerInformerBridge}). Either
 * way there is one list and one watch for the question.
 */
interface InformerBackend {

    boolean hasSynced();

    boolean isWatching();

    /** The resourceVersion the cache is current at, or null before sync. */
    String lastSyncResourceVersion();

    int size();

    /** The cached objects themselves: never modify them. */
    Stream<? extends HasMetadata> values();

    /** The cached objects in one namespace. */
    default Stream<? extends HasMetadata> values(String namespace) {
        return values().filter(o -> namespace.equals(o.getMetadata().getNamespace()));
    }

    /** One cached object, or null. */
    HasMetadata get(String namespace, String name);

    /** Whether the hub started this informer (and so may stop and restart it). */
    boolean ownedByHub();

    void stop();
}
