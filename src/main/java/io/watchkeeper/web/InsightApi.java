package io.watchkeeper.web;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import jakarta.inject.Inject;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.MediaType;

import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.vertx.core.http.HttpServerRequest;
import io.watchkeeper.config.WatchkeeperConfig;
import io.watchkeeper.informer.CacheReader;
import io.watchkeeper.informer.InformerKey;
import io.watchkeeper.insight.InsightScope;
import io.watchkeeper.insight.InsightStore;
import io.watchkeeper.insight.InsightStore.PodFinding;
import io.watchkeeper.insight.InsightStore.ServiceFinding;
import io.watchkeeper.web.CallerAuth.Caller;

/**
 * The insight reads: one Service's health, and the current pod and Service problems. Served from what the insight
 * reconcilers found in the caches, with the caller's own rights (list pods and list services where they ask).
 */
@Path("/api/v1alpha1")
@Produces(MediaType.APPLICATION_JSON)
public class InsightApi {

    /** The request being answered (a request-scoped proxy): whose address failed token reviews are counted by. */
    @Inject
    HttpServerRequest request;

    private final CallerAuth auth;
    private final InsightStore store;
    private final InsightScope scope;
    private final CacheReader cache;
    private final boolean pods;
    private final boolean services;
    private final int retryAfter;

    @Inject
    public InsightApi(CallerAuth auth, InsightStore store, InsightScope scope, CacheReader cache, WatchkeeperConfig config) {
        this.auth = auth;
        this.store = store;
        this.scope = scope;
        this.cache = cache;
        this.pods = config.insight().pods().enabled();
        this.services = config.insight().services().enabled();
        this.retryAfter = config.api().retryAfterSeconds();
    }

    @GET
    @Path("namespaces/{ns}/services/{name}/insight")
    public Map<String, Object> serviceInsight(@HeaderParam(HttpHeaders.AUTHORIZATION) String authorization,
            @PathParam("ns") String ns, @PathParam("name") String name) {
        Caller caller = auth.authenticate(authorization, request);
        if (!services) {
            throw new ApiException(404, "NotFound", "Service insight is turned off (watchkeeper.insight.services.enabled=false).");
        }
        inScope(ns);
        auth.requireList(caller, "", "services", ns);
        auth.requireList(caller, "", "pods", ns);
        requireSynced();
        ServiceFinding f = store.service(new ResourceID(name, ns)).orElseThrow(() -> new ApiException(404, "NotFound",
                "Service " + ns + "/" + name + " is not in the cache (or not judged yet)."));
        Map<String, Object> out = service(f);
        List<Map<String, Object>> podList = new ArrayList<>();
        for (String pod : f.health().selectedPods()) {
            podList.add(Map.of("name", pod, "ready", f.health().readyPods().contains(pod)));
        }
        out.put("pods", podList);
        return out;
    }

    /** Every Service's health, for the page's Service tables: one namespace, or all the caller may list services in. */
    @GET
    @Path("services/insight")
    public Map<String, Object> servicesInsight(@HeaderParam(HttpHeaders.AUTHORIZATION) String authorization,
            @QueryParam("namespace") String namespace) {
        Caller caller = auth.authenticate(authorization, request);
        if (!services) {
            throw new ApiException(404, "NotFound", "Service insight is turned off (watchkeeper.insight.services.enabled=false).");
        }
        boolean oneNamespace = namespace != null && !namespace.isBlank();
        if (oneNamespace) {
            inScope(namespace);
            auth.requireList(caller, "", "services", namespace);
        }
        requireSynced();
        java.util.function.Predicate<String> visible = visibility(caller, "services", namespace);
        List<Map<String, Object>> items = new ArrayList<>();
        for (ServiceFinding f : store.services()) {
            if (visible.test(f.namespace())) {
                items.add(service(f));
            }
        }
        items.sort(Comparator.comparing((Map<String, Object> m) -> (String) m.get("namespace")).thenComparing(m -> (String) m.get("name")));
        return Map.of("items", items);
    }

    @GET
    @Path("problems")
    public Map<String, Object> problems(@HeaderParam(HttpHeaders.AUTHORIZATION) String authorization,
            @QueryParam("namespace") String namespace) {
        Caller caller = auth.authenticate(authorization, request);
        if (!pods && !services) {
            throw new ApiException(404, "NotFound", "Pod and Service insight are both turned off (watchkeeper.insight.*.enabled=false).");
        }
        boolean oneNamespace = namespace != null && !namespace.isBlank();
        if (oneNamespace) {
            inScope(namespace);
            if (pods) {
                auth.requireList(caller, "", "pods", namespace);
            }
            if (services) {
                auth.requireList(caller, "", "services", namespace);
            }
        }
        requireSynced();
        java.util.function.Predicate<String> podsVisible = visibility(caller, "pods", namespace);
        java.util.function.Predicate<String> servicesVisible = visibility(caller, "services", namespace);
        List<Map<String, Object>> podProblems = new ArrayList<>();
        for (PodFinding f : store.podProblems()) {
            if (podsVisible.test(f.namespace())) {
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("namespace", f.namespace());
                m.put("name", f.name());
                m.put("reason", f.problem().reason());
                m.put("message", f.problem().message());
                m.put("since", f.since().toString());
                podProblems.add(m);
            }
        }
        List<Map<String, Object>> serviceProblems = new ArrayList<>();
        for (ServiceFinding f : store.services()) {
            if (f.health().state().problem() && servicesVisible.test(f.namespace())) {
                serviceProblems.add(service(f));
            }
        }
        Comparator<Map<String, Object>> byName = Comparator.comparing((Map<String, Object> m) -> (String) m.get("namespace"))
                .thenComparing(m -> (String) m.get("name"));
        podProblems.sort(byName);
        serviceProblems.sort(byName);
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("pods", podProblems);
        out.put("services", serviceProblems);
        return out;
    }

    /**
     * Which findings a read may include: those of {@code namespace} when one was asked for (its rights were checked
     * already), else those of every namespace where the caller may list {@code resource} (asked once per namespace).
     */
    private java.util.function.Predicate<String> visibility(Caller caller, String resource, String namespace) {
        if (namespace != null && !namespace.isBlank()) {
            return namespace::equals;
        }
        Map<String, Boolean> may = new HashMap<>();
        return ns -> may.computeIfAbsent(ns, n -> auth.mayList(caller, "", resource, n));
    }

    private static Map<String, Object> service(ServiceFinding f) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("namespace", f.namespace());
        m.put("name", f.name());
        m.put("state", f.health().state().name());
        m.put("message", f.health().message(f.name()));
        m.put("selectedPods", f.health().selectedPods().size());
        m.put("readyPods", f.health().readyPods().size());
        m.put("since", f.since().toString());
        return m;
    }

    private void inScope(String ns) {
        if (!scope.covers(ns)) {
            throw new ApiException(404, "NotFound", "Namespace " + ns + " is outside what the insight reconcilers watch ("
                    + String.join(", ", scope.namespaces()) + "; see watchkeeper.insight.namespaces).");
        }
    }

    /** 503 until the pod and Service caches have synced: before that, every Service would look empty. */
    private void requireSynced() {
        List<InformerKey> keys = new ArrayList<>();
        if (pods || services) {
            keys.addAll(scope.keys(InsightScope.PODS));
        }
        if (services) {
            keys.addAll(scope.keys(InsightScope.SERVICES));
        }
        if (!cache.synced(keys)) {
            throw new ApiException(503, "NotSynced", "The pod and Service caches are not synced yet.", retryAfter);
        }
    }
}
