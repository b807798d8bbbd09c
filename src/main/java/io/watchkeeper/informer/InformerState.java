package io.watchkeeper.informer;

/** Where a shared informer is in its life; consumers turn it into their Ready condition. */
public enum InformerState {
    /** Listing for the first time; the cache is not complete yet. */
    SYNCING,
    /** Synced and watching: the cache is current. */
    SYNCED,
    /** Synced once, but its watch has been failing for a while: the cache may be stale. */
    WATCH_FAILING,
    /** Stopped by an error that retrying the same request cannot fix (403, 404, 400); restarted with backoff. */
    FAILED
}
