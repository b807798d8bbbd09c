package io.watchkeeper.informer;

/**
 * What lists and watches for a {@link SharedInformer}: an informer the hub runs itself ({@link HubBackend}), or the
 * primary informer of a built-in JOSDK controller that the hub has adopted ({@link ControllerInformerBridge}). Either
 * way there is one list and one watch for the question, and its objects go into a {@link Timeline.Source}.
 */
interface InformerBackend {

    /** The item store the informer fills, which feeds the shared informer's timeline. */
    Timeline.Source<?> source();

    boolean isWatching();

    /** Starts listing and watching; completes when the first list is in. */
    default java.util.concurrent.CompletableFuture<Void> start() {
        return java.util.concurrent.CompletableFuture.completedFuture(null);
    }

    /** Whether the hub started this informer (and so may stop and restart it). */
    boolean ownedByHub();

    void stop();
}
