package io.watchkeeper.informer;

/** Builds the informer that lists and watches for a shared informer's question (not started yet). */
interface InformerStarter {

    /** Where a backend's list and watch errors go; the answer says whether fabric8 should keep retrying by itself. */
    @FunctionalInterface
    interface Failures {
        boolean onException(InformerBackend backend, boolean afterStart, Throwable t);
    }

    /**
     * @param fresh nothing of the informer's resource has been published in the hub (by it, or by another question on
     *              the same resource): its first list may come from the watch cache, which may be a moment older than
     *              etcd, without any reader seeing a view go back in time
     */
    InformerBackend create(SharedInformer informer, boolean fresh, Failures failures);
}
