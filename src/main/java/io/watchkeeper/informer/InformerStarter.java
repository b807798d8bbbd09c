package io.watchkeeper.informer;

/** Builds the informer that lists and watches for a shared informer's question (not started yet). */
interface InformerStarter {

    /** Where a backend's list and watch errors go; the answer says whether fabric8 should keep retrying by itself. */
    @FunctionalInterface
    interface Failures {
        boolean onException(InformerBackend backend, boolean afterStart, Throwable t);
    }

    InformerBackend create(SharedInformer informer, Failures failures);
}
