package io.watchkeeper.informer;

import io.fabric8.kubernetes.api.model.HasMetadata;

/**
 * A consumer's callback for changes of an informer's {@link InformerState}. Called from the hub's threads: it must
 * return at once (hand the news to a queue, or to JOSDK's event handler, which is non-blocking).
 */
@FunctionalInterface
public interface InformerListener {
    void onStateChange(String consumerId, InformerKey key);

    /**
     * An object in the informer's cache was added, modified or deleted. Runs on the thread that wrote it (the informer's
     * own serial thread; for a question served from another informer's cache, that informer's, shared with its
     * consumers; when an informer moves to a new backend that has listed already, the hub's, with its lock held), after
     * the cache changed and outside the timelines' locks: return at once, and never call into the hub.
     *
     * @param previous the object before the change, {@code null} when it was added
     * @param current  the object after the change, {@code null} when it was deleted
     */
    default void onObjectChange(String consumerId, InformerKey key, HasMetadata previous, HasMetadata current) {
    }
}
