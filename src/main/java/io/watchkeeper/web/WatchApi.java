package io.watchkeeper.web;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.function.Supplier;

import jakarta.inject.Inject;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.MediaType;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.smallrye.mutiny.Uni;
import io.smallrye.mutiny.infrastructure.Infrastructure;
import io.vertx.core.Context;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.watchkeeper.api.v1alpha1.WatchKinds;
import io.watchkeeper.config.WatchkeeperConfig;
import io.watchkeeper.discovery.ApiResource;
import io.watchkeeper.informer.CacheReader;
import io.watchkeeper.informer.InvalidSelectorException;
import io.watchkeeper.informer.LabelSelectors;
import io.watchkeeper.informer.LabelSelectors.Selector;
import io.watchkeeper.metrics.MetricNames;
import io.watchkeeper.watch.WatchRegistry;
import io.watchkeeper.watch.WatchRegistry.Entry;
import io.watchkeeper.watch.WatchRegistry.Kind;
import io.watchkeeper.web.CallerAuth.Caller;

/**
 * Reads over HTTP, served from the informer caches with the caller's own rights: the watches the caller may see, and a
 * watch's cached objects as a Kubernetes-style List.
 */
@Path("/api/v1alpha1")
@Produces(MediaType.APPLICATION_JSON)
public class WatchApi {

    /** The request being answered (a request-scoped proxy): whose address failed token reviews are counted by. */
    @Inject
    HttpServerRequest request;

    private final CallerAuth auth;
    private final WatchRegistry watches;
    private final CacheReader cache;
    private final WatchAccess access;
    private final int retryAfter;

    /** Answers longer than this are written on a worker thread: the event loop serves other requests meanwhile. */
    static final int EVENT_LOOP_BYTES = 1 << 20;

    /** Item reads answered on the event loop, and on a worker thread. */
    private final Counter onEventLoop;
    private final Counter onWorker;

    @Inject
    public WatchApi(CallerAuth auth, WatchRegistry watches, CacheReader cache, WatchkeeperConfig config, MeterRegistry meters) {
        this.onEventLoop = meters.counter(MetricNames.API_ITEM_READS, MetricNames.TAG_THREAD, "event-loop");
        this.onWorker = meters.counter(MetricNames.API_ITEM_READS, MetricNames.TAG_THREAD, "worker");
        this.auth = auth;
        this.watches = watches;
        this.cache = cache;
        this.access = new WatchAccess(auth, watches, cache, config);
        this.retryAfter = config.api().retryAfterSeconds();
    }

    @GET
    @Path("watches")
    public Map<String, Object> watches(@HeaderParam(HttpHeaders.AUTHORIZATION) String authorization) {
        Caller caller = auth.authenticate(authorization, request);
        List<Map<String, Object>> items = new ArrayList<>();
        for (Entry e : watches.all()) {
            boolean visible = e.kind() == Kind.ResourceWatch
                    ? auth.mayList(caller, WatchKinds.GROUP, "resourcewatches", e.namespace())
                    : auth.mayList(caller, WatchKinds.GROUP, "clusterresourcewatches", "");
            if (visible) {
                Map<String, Object> w = new LinkedHashMap<>();
                w.put("kind", e.kind().name());
                if (e.namespace() != null) {
                    w.put("namespace", e.namespace());
                }
                w.put("name", e.name());
                w.put("resource", e.requested());
                w.put("namespaces", e.namespaces());
                w.put("status", e.status());
                items.add(w);
            }
        }
        items.sort(java.util.Comparator.comparing((Map<String, Object> m) -> String.valueOf(m.get("kind")))
                .thenComparing(m -> String.valueOf(m.get("namespace"))).thenComparing(m -> String.valueOf(m.get("name"))));
        return Map.of("items", items);
    }

    @GET
    @Path("namespaces/{ns}/resourcewatches/{name}/items")
    public Uni<Buffer> resourceWatchItems(@HeaderParam(HttpHeaders.AUTHORIZATION) String authorization,
            @PathParam("ns") String ns, @PathParam("name") String name, @QueryParam("labelSelector") String labelSelector) {
        return answer(from -> list(readable(Kind.ResourceWatch, ns, name, authorization, from), labelSelector));
    }

    @GET
    @Path("namespaces/{ns}/resourcewatches/{name}/items/{itemNs}/{itemName}")
    public Uni<Buffer> resourceWatchItem(@HeaderParam(HttpHeaders.AUTHORIZATION) String authorization,
            @PathParam("ns") String ns, @PathParam("name") String name, @PathParam("itemNs") String itemNs,
            @PathParam("itemName") String itemName) {
        return answer(from -> get(readable(Kind.ResourceWatch, ns, name, authorization, from), itemNs, itemName));
    }

    @GET
    @Path("clusterresourcewatches/{name}/items")
    public Uni<Buffer> clusterWatchItems(@HeaderParam(HttpHeaders.AUTHORIZATION) String authorization,
            @PathParam("name") String name, @QueryParam("labelSelector") String labelSelector) {
        return answer(from -> list(readable(Kind.ClusterResourceWatch, null, name, authorization, from), labelSelector));
    }

    @GET
    @Path("clusterresourcewatches/{name}/items/{itemNs}/{itemName}")
    public Uni<Buffer> clusterWatchItem(@HeaderParam(HttpHeaders.AUTHORIZATION) String authorization,
            @PathParam("name") String name, @PathParam("itemNs") String itemNs, @PathParam("itemName") String itemName) {
        return answer(from -> get(readable(Kind.ClusterResourceWatch, null, name, authorization, from), itemNs, itemName));
    }

    /** For cluster-scoped resources (nodes, namespaces, CRDs) watched by a ClusterResourceWatch. */
    @GET
    @Path("clusterresourcewatches/{name}/items/{itemName}")
    public Uni<Buffer> clusterWatchClusterItem(@HeaderParam(HttpHeaders.AUTHORIZATION) String authorization,
            @PathParam("name") String name, @PathParam("itemName") String itemName) {
        return answer(from -> get(readable(Kind.ClusterResourceWatch, null, name, authorization, from), null, itemName));
    }

    /**
     * Answers a read on the event loop that received it when nothing in it has to ask the API server (the caller's
     * token and rights were decided within decision-cache-ttl) and its answer is at most {@link #EVENT_LOOP_BYTES}: that
     * saves handing it to a worker thread and back (about 1 ms of a 100-pod read, BENCHMARKS.md). Otherwise it goes to
     * a worker: from the start when a review is needed, to be written when the answer is longer. On the event loop the
     * answer is written into pooled memory the response sends from ({@link JsonAnswer}). {@code read} is given the
     * caller's address and returns what to answer.
     */
    private Uni<Buffer> answer(Function<String, Object> read) {
        String from = request.remoteAddress() == null ? "" : request.remoteAddress().hostAddress();
        boolean head = request.method() == HttpMethod.HEAD; // checked and read as a GET, but its answer is never written
        Function<Object, Buffer> onHeap = value -> head ? Buffer.buffer() : JsonAnswer.heap(value);
        if (!Context.isOnEventLoopThread()) {
            return Uni.createFrom().item(counted(onWorker, onHeap.apply(read.apply(from))));
        }
        Object value;
        try {
            value = read.apply(from);
        } catch (WorkerNeeded e) {
            return onWorker(() -> onHeap.apply(read.apply(from)));
        }
        Buffer json = head ? Buffer.buffer() : JsonAnswer.pooled(value, EVENT_LOOP_BYTES);
        return json != null ? Uni.createFrom().item(counted(onEventLoop, json)) : onWorker(() -> onHeap.apply(value));
    }

    private Uni<Buffer> onWorker(Supplier<Buffer> work) {
        return Uni.createFrom().item(() -> counted(onWorker, work.get())).runSubscriptionOn(Infrastructure.getDefaultWorkerPool());
    }

    private static Buffer counted(Counter where, Buffer answer) {
        where.increment();
        return answer;
    }

    private Entry readable(Kind kind, String ns, String name, String authorization, String from) {
        return access.readable(auth.authenticate(authorization, from), kind, ns, name);
    }

    /** A Kubernetes-style List of the watch's cached objects, written as streams carry them ({@link JsonAnswer}). */
    private Map<String, Object> list(Entry e, String labelSelector) {
        Selector extra;
        try {
            extra = LabelSelectors.parse(labelSelector);
        } catch (InvalidSelectorException ex) {
            throw new ApiException(400, "BadRequest", ex.getMessage());
        }
        ApiResource r = e.resource().orElseThrow();
        CacheReader.Listing listing = cache.read(e.keys(), extra).orElseThrow(() -> new ApiException(503, "NotSynced",
                "The cache for " + e.kind() + " " + e.name() + " is not synced yet.", retryAfter));
        Map<String, Object> list = new LinkedHashMap<>();
        list.put("apiVersion", r.groupVersion());
        list.put("kind", r.kind() + "List");
        list.put("metadata", Map.of("resourceVersion", listing.resourceVersion()));
        list.put("items", listing.items());
        return list;
    }

    private HasMetadata get(Entry e, String itemNs, String itemName) {
        return cache.get(e.keys(), itemNs, itemName).orElseThrow(() -> new ApiException(404, "NotFound",
                e.resource().map(ApiResource::qualifiedName).orElse("object") + " " + (itemNs == null ? "" : itemNs + "/")
                        + itemName + " is not in the cache of " + e.kind() + " " + e.name() + "."));
    }

}
