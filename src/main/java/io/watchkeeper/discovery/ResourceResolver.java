package io.watchkeeper.discovery;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Supplier;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import org.jboss.logging.Logger;

import io.fabric8.kubernetes.api.model.APIGroup;
import io.fabric8.kubernetes.api.model.APIGroupList;
import io.fabric8.kubernetes.api.model.APIResourceList;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.watchkeeper.config.WatchkeeperConfig;
import io.watchkeeper.discovery.ResolutionException.Reason;

/**
 * The RESTMapper: turns the names people write ({@code po}, {@code Pod}, {@code deployments.apps},
 * {@code apps/v1/deployments}) into a resource through API discovery. Discovery is cached; a name that does not
 * resolve refreshes it (at most once per {@code watchkeeper.discovery.refresh-min-interval}), so a CRD installed
 * after start-up resolves without a restart.
 */
@ApplicationScoped
public class ResourceResolver {

    private static final Logger LOG = Logger.getLogger(ResourceResolver.class);
    private static final Duration STALE_REFRESH_INTERVAL = Duration.ofMillis(500);

    private final KubernetesClient client;
    private final Duration refreshMinInterval;
    private final Clock clock;
    private volatile ResourceTable table = ResourceTable.empty();
    private volatile Instant lastRefresh = Instant.EPOCH;
    private volatile boolean loaded;
    private volatile boolean stale;
    private volatile Supplier<Set<String>> served = Set::of;
    private final Set<String> knownCrdResources = java.util.concurrent.ConcurrentHashMap.newKeySet();

    @Inject
    public ResourceResolver(KubernetesClient client, WatchkeeperConfig config) {
        this(client, config.discovery().refreshMinInterval(), Clock.systemUTC());
    }

    ResourceResolver(KubernetesClient client, Duration refreshMinInterval, Clock clock) {
        this.client = client;
        this.refreshMinInterval = refreshMinInterval;
        this.clock = clock;
    }

    /**
     * Resolves a name to a watchable resource.
     *
     * @param revalidate refresh discovery (rate-limited) even when the name resolves from the cache, for a caller that
     *                   has reason to think the resource went away (its watch is failing)
     */
    public ApiResource resolve(String name, boolean revalidate) throws ResolutionException {
        if (name == null || name.isBlank()) {
            throw new ResolutionException(Reason.ResourceNotFound, "spec.resource is empty: name a resource such as pods or deployments.apps.");
        }
        if (!loaded || stale || revalidate) {
            refreshIfAllowed();
        }
        Optional<ApiResource> found;
        try {
            found = table.resolve(name, this::fetchGroupVersion);
        } catch (ResolutionException e) {
            // Ambiguous or not watchable by the cached view: discovery may have moved on (a CRD removed).
            if (!refreshIfAllowed()) {
                throw e;
            }
            found = table.resolve(name, this::fetchGroupVersion);
        }
        if (found.isEmpty() && refreshIfAllowed()) {
            found = table.resolve(name, this::fetchGroupVersion);
        }
        return found.orElseThrow(() -> new ResolutionException(Reason.ResourceNotFound, "The API server has no resource '"
                + name.trim() + "'. Check the spelling (kubectl api-resources lists them), or install the CRD that defines it; "
                + "the watch retries by itself."));
    }

    /**
     * Marks the cached discovery as stale: it is reloaded on the next resolution (at most every 500 ms) until it agrees
     * with {@link #expectServed what the CRDs say is served}; the API server's discovery lags a CRD change a little.
     */
    public void invalidate() {
        stale = true;
    }

    /** Whether discovery, as last loaded, still disagrees with the CRDs. */
    public boolean stale() {
        return stale;
    }

    /** What the established CRDs say must be served, as {@code group/version/plural}; discovery is stale until it is. */
    public void expectServed(Supplier<Set<String>> served) {
        this.served = served;
    }

    /** Reloads discovery unless it was reloaded less than the minimum interval ago; true when it did. */
    public synchronized boolean refreshIfAllowed() throws ResolutionException {
        Instant now = clock.instant();
        Duration least = stale ? STALE_REFRESH_INTERVAL : refreshMinInterval;
        if (loaded && Duration.between(lastRefresh, now).compareTo(least) < 0) {
            return false;
        }
        lastRefresh = now;
        try {
            ResourceTable loadedTable = load();
            table = loadedTable;
            loaded = true;
            Set<String> expected = served.get();
            knownCrdResources.addAll(expected);
            // Stale while a served CRD is missing, or a CRD that went away is still listed.
            stale = !expected.stream().allMatch(gvr -> servedBy(loadedTable, gvr))
                    || knownCrdResources.stream().filter(gvr -> !expected.contains(gvr)).anyMatch(gvr -> servedBy(loadedTable, gvr));
            return true;
        } catch (KubernetesClientException e) {
            throw new ResolutionException(Reason.DiscoveryFailed, "API discovery failed (" + describe(e)
                    + "); the watch retries by itself.");
        }
    }

    private static boolean servedBy(ResourceTable t, String groupVersionResource) {
        int last = groupVersionResource.lastIndexOf('/');
        String gv = groupVersionResource.substring(0, last);
        String plural = groupVersionResource.substring(last + 1);
        String group = gv.substring(0, gv.indexOf('/'));
        // Only the group's preferred version is loaded eagerly; the group being there with the plural is enough.
        String preferred = t.preferredVersions().get(group);
        return preferred != null && t.groupVersion(group + "/" + preferred)
                .map(rs -> rs.stream().anyMatch(r -> r.resource().equals(plural))).orElse(false);
    }

    private ResourceTable load() {
        Map<String, String> preferred = new LinkedHashMap<>();
        Map<String, List<String>> others = new LinkedHashMap<>();
        Map<String, List<ApiResource>> resources = new LinkedHashMap<>();
        preferred.put("", "v1");
        resources.put("v1", toResources("", "v1", client.getApiResources("v1")));
        APIGroupList groups = client.getApiGroups();
        if (groups != null) {
            for (APIGroup g : groups.getGroups()) {
                if (g.getPreferredVersion() == null) {
                    continue;
                }
                String version = g.getPreferredVersion().getVersion();
                String gv = g.getName() + "/" + version;
                try {
                    APIResourceList list = client.getApiResources(gv);
                    if (list != null) {
                        preferred.put(g.getName(), version);
                        resources.put(gv, toResources(g.getName(), version, list));
                        // A resource its group's preferred version does not serve is looked for in the group's other
                        // versions, in discovery's priority order; loaded here, with the rest, so that resolving a name
                        // (a misspelled one, retried) never costs requests of its own.
                        List<String> rest = g.getVersions() == null ? List.of() : g.getVersions().stream()
                                .map(v -> v.getVersion()).filter(v -> v != null && !v.equals(version)).toList();
                        others.put(g.getName(), rest);
                        for (String other : rest) {
                            loadInto(resources, g.getName(), other);
                        }
                    }
                } catch (KubernetesClientException e) {
                    // An aggregated API that is down must not hide every other group.
                    LOG.debugf("Discovery of %s failed: %s", gv, describe(e));
                }
            }
        }
        int count = resources.values().stream().mapToInt(List::size).sum();
        LOG.debugf("Discovery loaded %d groups, %d resources", preferred.size(), count);
        return new ResourceTable(preferred, others, resources);
    }

    private void loadInto(Map<String, List<ApiResource>> resources, String group, String version) {
        try {
            APIResourceList list = client.getApiResources(group + "/" + version);
            resources.put(group + "/" + version, list == null ? List.of() : toResources(group, version, list));
        } catch (KubernetesClientException e) {
            LOG.debugf("Discovery of %s/%s failed: %s", group, version, describe(e));
        }
    }

    private List<ApiResource> fetchGroupVersion(String groupVersion) {
        try {
            APIResourceList list = client.getApiResources(groupVersion);
            if (list == null) {
                return null;
            }
            int slash = groupVersion.indexOf('/');
            String group = slash < 0 ? "" : groupVersion.substring(0, slash);
            String version = groupVersion.substring(slash + 1);
            List<ApiResource> found = toResources(group, version, list);
            table = table.with(groupVersion, found);
            return found;
        } catch (KubernetesClientException e) {
            LOG.debugf("Discovery of %s failed: %s", groupVersion, describe(e));
            return null;
        }
    }

    static List<ApiResource> toResources(String group, String version, APIResourceList list) {
        return list.getResources().stream()
                .filter(r -> !r.getName().contains("/")) // subresources such as pods/status
                .map(r -> new ApiResource(group, version, r.getName(), r.getKind(), Boolean.TRUE.equals(r.getNamespaced()),
                        r.getSingularName(), r.getShortNames(), r.getVerbs()))
                .toList();
    }

    private static String describe(KubernetesClientException e) {
        return e.getCode() > 0 && e.getStatus() != null ? "HTTP " + e.getCode() + ": " + e.getStatus().getMessage()
                : String.valueOf(e.getMessage());
    }
}
