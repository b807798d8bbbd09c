package io.watchkeeper.web;

import io.watchkeeper.config.WatchkeeperConfig;
import io.watchkeeper.discovery.ApiResource;
import io.watchkeeper.informer.CacheReader;
import io.watchkeeper.watch.WatchRegistry;
import io.watchkeeper.watch.WatchRegistry.Entry;
import io.watchkeeper.watch.WatchRegistry.Kind;
import io.watchkeeper.web.CallerAuth.Caller;

/**
 * Who may read which watch: the one check behind the HTTP reads and the stream. The caller needs the right to list
 * the watched resource in every namespace the watch covers (cluster-wide for all namespaces or cluster-scoped
 * resources), so the cache never widens what the caller could read from the API server directly.
 */
public class WatchAccess {

    private final CallerAuth auth;
    private final WatchRegistry watches;
    private final CacheReader cache;
    private final int retryAfter;

    public WatchAccess(CallerAuth auth, WatchRegistry watches, CacheReader cache, WatchkeeperConfig config) {
        this.auth = auth;
        this.watches = watches;
        this.cache = cache;
        this.retryAfter = config.api().retryAfterSeconds();
    }

    /** Finds the watch and checks that the caller may list what it watches, where it watches it; 503 until synced. */
    public Entry readable(Caller caller, Kind kind, String ns, String name) {
        Entry e = permitted(caller, kind, ns, name);
        if (!cache.synced(e.keys())) {
            throw new ApiException(503, "NotSynced", "The cache for " + kind + " " + name + " is not synced yet: "
                    + readyMessage(e), retryAfter);
        }
        return e;
    }

    /** Finds the watch and checks that the caller may list what it watches, where it watches it, synced or not. */
    public Entry permitted(Caller caller, Kind kind, String ns, String name) {
        Entry e = watches.find(kind, ns, name).orElseThrow(() -> new ApiException(404, "NotFound",
                kind + " " + (ns == null ? "" : ns + "/") + name + " not found (or not reconciled yet)."));
        ApiResource r = e.resource().orElseThrow(() -> new ApiException(409, "NotResolved", kind + " " + name
                + " does not resolve to a resource: " + readyMessage(e)));
        if (!r.namespaced() || e.namespaces().isEmpty()) {
            auth.requireList(caller, r.group(), r.resource(), "");
        } else {
            for (String watched : e.namespaces()) {
                auth.requireList(caller, r.group(), r.resource(), watched);
            }
        }
        return e;
    }

    static String readyMessage(Entry e) {
        return e.status() == null ? "not reconciled yet" : e.status().getConditions().stream()
                .filter(c -> "Ready".equals(c.getType())).map(c -> c.getReason() + ": " + c.getMessage()).findFirst().orElse("unknown");
    }
}
