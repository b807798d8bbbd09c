package io.watchkeeper.insight;

/** What stands behind a Service. */
public enum ServiceState {
    /** No selector (headless with manual endpoints, ExternalName): nothing to judge. */
    NoSelector,
    /** The selector matches no running pod. */
    NoMatchingPods,
    /** Pods match, none is ready: the Service answers nothing. */
    NoReadyPods,
    /** Some matching pods are ready, some not. */
    PartiallyReady,
    /** Every matching pod is ready. */
    Ready;

    /** The states on-call people are paged for: nothing healthy behind the Service. */
    public boolean problem() {
        return this == NoMatchingPods || this == NoReadyPods;
    }
}
