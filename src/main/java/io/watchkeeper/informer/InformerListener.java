package io.watchkeeper.informer;

/**
 * A consumer's callback for changes of an informer's {@link InformerState}. Called from the hub's threads: it must
 * return at once (hand the news to a queue, or to JOSDK's event handler, which is non-blocking).
 */
@FunctionalInterface
public interface InformerListener {
    void onStateChange(String consumerId, InformerKey key);

    /**
     * An object in the informer's cache was added, modified or deleted. Runs on the informer's own serial thread, shared
     * with every other consumer of that informer: return at once.
     */
    default void onObjectChange(String consumerId, InformerKey key, io.fabric8.kubernetes.api.model.GenericKubernetesResource object) {
    }
}
