package io.watchkeeper.web;

import java.util.List;

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
 * resources), and for a stream the right to watch it too, so the cache never widens what the caller could read from
 * the API server directly.
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
        return synced(permitted(caller, kind, ns, name, false), kind, name);
    }

    /** {@link #readable}, and the caller may watch what the watch watches: for a stream subscription. */
    public Entry followable(Caller caller, Kind kind, String ns, String name) {
        return synced(permitted(caller, kind, ns, name, true), kind, name);
    }

    private Entry synced(Entry e, Kind kind, String name) {
        if (!cache.synced(e.keys())) {
            throw new ApiException(503, "NotSynced", "The cache for " + kind + " " + name + " is not synced yet: "
                    + readyMessage(e), retryAfter);
        }
        return e;
    }

    /**
     * Finds the watch and checks that the caller may list (and, with {@code watch}, watch) what it watches, where it
     * watches it, synced or not.
     */
    public Entry permitted(Caller caller, Kind kind, String ns, String name, boolean watch) {
        Entry e = watches.find(kind, ns, name).orElseThrow(() -> new ApiException(404, "NotFound",
                kind + " " + (ns == null ? "" : ns + "/") + name + " not found (or not reconciled yet)."));
        ApiResource r = e.resource().orElseThrow(() -> new ApiException(409, "NotResolved", kind + " " + name
                + " does not resolve to a resource: " + readyMessage(e)));
        List<String> where = !r.namespaced() || e.namespaces().isEmpty() ? List.of("") : e.namespaces();
        for (String verb : watch ? List.of("list", "watch") : List.of("list")) {
            for (String namespace : where) {
                auth.require(caller, verb, r.group(), r.resource(), namespace);
            }
        }
        return e;
    }

    static String readyMessage(Entry e) {
        return e.status() == null ? "not reconciled yet" : e.status().getConditions().stream()
                .filter(c -> "Ready".equals(c.getType())).map(c -> c.getReason() + ": " + c.getMessage()).findFirst().orElse("unknown");
    }
}
