package io.watchkeeper.discovery;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

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

    private final KubernetesClient client;
    private final Duration refreshMinInterval;
    private final Clock clock;
    private volatile ResourceTable table = ResourceTable.empty();
    private volatile Instant lastRefresh = Instant.EPOCH;
    private volatile boolean loaded;

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
        if (!loaded || revalidate) {
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

    /** Marks the cached discovery as stale: the next resolution reloads it, whatever the rate limit. */
    public void invalidate() {
        loaded = false;
    }

    /** Reloads discovery unless it was reloaded less than the minimum interval ago; true when it did. */
    public synchronized boolean refreshIfAllowed() throws ResolutionException {
        Instant now = clock.instant();
        if (loaded && Duration.between(lastRefresh, now).compareTo(refreshMinInterval) < 0) {
            return false;
        }
        lastRefresh = now;
        try {
            table = load();
            loaded = true;
            return true;
        } catch (KubernetesClientException e) {
            throw new ResolutionException(Reason.DiscoveryFailed, "API discovery failed (" + describe(e)
                    + "); the watch retries by itself.");
        }
    }

    private ResourceTable load() {
        Map<String, String> preferred = new LinkedHashMap<>();
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
                    }
                } catch (KubernetesClientException e) {
                    // An aggregated API that is down must not hide every other group.
                    LOG.debugf("Discovery of %s failed: %s", gv, describe(e));
                }
            }
        }
        int count = resources.values().stream().mapToInt(List::size).sum();
        LOG.debugf("Discovery loaded %d groups, %d resources", preferred.size(), count);
        return new ResourceTable(preferred, resources);
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
