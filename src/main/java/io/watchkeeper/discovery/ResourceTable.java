package io.watchkeeper.discovery;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

import io.watchkeeper.discovery.ResolutionException.Reason;

/**
 * An immutable snapshot of API discovery and the rules that turn a name into a resource, the way kubectl does.
 * Pure logic: built from discovery results, unit-tested without a cluster.
 */
public final class ResourceTable {

    private static final Pattern VERSION = Pattern.compile("v\\d+((alpha|beta)\\d+)?");

    /** group → preferred version ("" is the core group), in discovery's priority order. */
    private final Map<String, String> preferredVersions;
    /**
     * group → its other served versions, in discovery's priority order: a resource that its group's preferred version
     * does not serve (a CRD whose group's other CRDs have a newer version) is found in the first of them that does.
     */
    private final Map<String, List<String>> otherVersions;
    /** group version ("v1", "apps/v1") → resources; holds the preferred versions and any other version fetched. */
    private final Map<String, List<ApiResource>> byGroupVersion;

    public ResourceTable(Map<String, String> preferredVersions, Map<String, List<ApiResource>> byGroupVersion) {
        this(preferredVersions, Map.of(), byGroupVersion);
    }

    public ResourceTable(Map<String, String> preferredVersions, Map<String, List<String>> otherVersions,
            Map<String, List<ApiResource>> byGroupVersion) {
        this.preferredVersions = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(preferredVersions));
        this.otherVersions = Map.copyOf(otherVersions);
        this.byGroupVersion = Map.copyOf(byGroupVersion);
    }

    public static ResourceTable empty() {
        return new ResourceTable(Map.of(), Map.of(), Map.of());
    }

    public boolean knowsGroup(String group) {
        return preferredVersions.containsKey(group);
    }

    public Map<String, String> preferredVersions() {
        return preferredVersions;
    }

    /** Resources of one group version, when discovery has them. */
    public Optional<List<ApiResource>> groupVersion(String groupVersion) {
        return Optional.ofNullable(byGroupVersion.get(groupVersion));
    }

    /**
     * Resolves {@code name}; returns empty when nothing answers to it (the caller may refresh discovery and try again),
     * throws when the answer is known to be an error (ambiguous, not watchable).
     *
     * @param versionLookup fetches resources of a group version that is not the preferred one, when a name asks for it
     */
    public Optional<ApiResource> resolve(String name, VersionLookup versionLookup) throws ResolutionException {
        String n = name.trim();
        if (n.contains("/")) {
            return resolvePath(n, versionLookup);
        }
        List<ApiResource> matches = new ArrayList<>();
        int dot = n.indexOf('.');
        if (dot > 0) {
            String first = n.substring(0, dot);
            String rest = n.substring(dot + 1);
            if (knowsGroup(rest)) {
                findInGroup(rest, first, versionLookup).ifPresent(matches::add);
            } else {
                int dot2 = rest.indexOf('.');
                if (dot2 > 0 && VERSION.matcher(rest.substring(0, dot2)).matches() && knowsGroup(rest.substring(dot2 + 1))) {
                    find(rest.substring(dot2 + 1), rest.substring(0, dot2), first, versionLookup).ifPresent(matches::add);
                }
            }
            return checked(n, matches);
        }
        for (String group : preferredVersions.keySet()) {
            findInGroup(group, n, versionLookup).ifPresent(matches::add);
        }
        return checked(n, matches);
    }

    private Optional<ApiResource> resolvePath(String n, VersionLookup versionLookup) throws ResolutionException {
        String[] parts = n.split("/", -1);
        List<ApiResource> matches = new ArrayList<>();
        if (parts.length == 3) {
            find(parts[0], parts[1], parts[2], versionLookup).ifPresent(matches::add);
        } else if (parts.length == 2) {
            if (VERSION.matcher(parts[0]).matches()) {
                find("", parts[0], parts[1], versionLookup).ifPresent(matches::add);
            } else if (knowsGroup(parts[0])) {
                findInGroup(parts[0], parts[1], versionLookup).ifPresent(matches::add);
            }
        }
        return checked(n, matches);
    }

    /** In the group's preferred version, else in the first of its other versions that serves it (as kubectl does). */
    private Optional<ApiResource> findInGroup(String group, String name, VersionLookup versionLookup) {
        Optional<ApiResource> found = find(group, preferredVersions.get(group), name, versionLookup);
        for (String version : otherVersions.getOrDefault(group, List.of())) {
            if (found.isPresent()) {
                break;
            }
            found = find(group, version, name, versionLookup);
        }
        return found;
    }

    private Optional<ApiResource> find(String group, String version, String name, VersionLookup versionLookup) {
        String gv = group.isEmpty() ? version : group + "/" + version;
        List<ApiResource> cached = byGroupVersion.get(gv);
        List<ApiResource> resources = cached == null && knowsGroup(group) ? versionLookup.resources(gv) : cached;
        if (resources == null) {
            return Optional.empty();
        }
        // Exact plural first (a kind can share its spelling with another resource's short name).
        return resources.stream().filter(r -> r.resource().equalsIgnoreCase(name)).findFirst()
                .or(() -> resources.stream().filter(r -> r.answersTo(name)).findFirst());
    }

    private Optional<ApiResource> checked(String name, List<ApiResource> matches) throws ResolutionException {
        if (matches.isEmpty()) {
            return Optional.empty();
        }
        ApiResource chosen;
        if (matches.size() == 1) {
            chosen = matches.get(0);
        } else {
            // Like kubectl, Kubernetes' own groups win a tie in discovery's priority order (events is both v1 and
            // events.k8s.io; ingresses both networking.k8s.io and extensions). Two other groups are a real ambiguity.
            Optional<ApiResource> builtIn = matches.stream().filter(r -> isBuiltIn(r.group())).findFirst();
            if (builtIn.isEmpty()) {
                String choices = matches.stream().sorted(Comparator.comparing(ApiResource::group))
                        .map(ApiResource::qualifiedName).collect(Collectors.joining(", "));
                throw new ResolutionException(Reason.AmbiguousResource, "'" + name + "' is ambiguous: it names "
                        + choices + ". Set spec.resource to one of them.");
            }
            chosen = builtIn.get();
        }
        if (!chosen.watchable()) {
            throw new ResolutionException(Reason.ResourceNotWatchable, "'" + name + "' resolves to " + chosen.path()
                    + ", which does not support list and watch (verbs: " + String.join(",", chosen.verbs()) + ").");
        }
        return Optional.of(chosen);
    }

    private static boolean isBuiltIn(String group) {
        return group.isEmpty() || !group.contains(".") || group.endsWith(".k8s.io");
    }

    /** Fetches the resources of a group version on demand; returns null when the API server does not serve it. */
    @FunctionalInterface
    public interface VersionLookup {
        List<ApiResource> resources(String groupVersion);

        VersionLookup NONE = gv -> null;
    }

    /** A copy of this table with one more group version. */
    ResourceTable with(String groupVersion, List<ApiResource> resources) {
        Map<String, List<ApiResource>> copy = new LinkedHashMap<>(byGroupVersion);
        copy.put(groupVersion, List.copyOf(resources));
        return new ResourceTable(preferredVersions, otherVersions, copy);
    }
}
