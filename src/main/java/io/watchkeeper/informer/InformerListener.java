package io.watchkeeper.informer;

/**
 * A consumer's callback for changes of an informer's {@link InformerState}. Called from the hub's threads: it must
 * return at once (hand the news to a queue, or to JOSDK's event handler, which is non-blocking).
 */
@FunctionalInterface
public interface InformerListener {
    void onStateChange(String consumerId, InformerKey key);
}
