package io.watchkeeper.discovery;

import java.util.List;
import java.util.Locale;

/**
 * One resource type as API discovery describes it: the answer of the resolver.
 *
 * @param group      API group, empty for the core group
 * @param version    API version
 * @param resource   plural name used in paths
 * @param kind       object kind
 * @param namespaced whether objects live in namespaces
 * @param singular   singular name (may be empty in discovery; then the lower-case kind)
 * @param shortNames short names, such as {@code po}
 * @param verbs      verbs the resource supports
 */
public record ApiResource(String group, String version, String resource, String kind, boolean namespaced,
        String singular, List<String> shortNames, List<String> verbs) {

    public ApiResource {
        shortNames = shortNames == null ? List.of() : List.copyOf(shortNames);
        verbs = verbs == null ? List.of() : List.copyOf(verbs);
        singular = singular == null || singular.isEmpty() ? kind.toLowerCase(Locale.ROOT) : singular;
    }

    /** {@code v1} for the core group, {@code apps/v1} otherwise. */
    public String groupVersion() {
        return group.isEmpty() ? version : group + "/" + version;
    }

    /** {@code v1/pods}, {@code apps/v1/deployments}. */
    public String path() {
        return groupVersion() + "/" + resource;
    }

    /** {@code pods}, {@code deployments.apps}: the name kubectl users know it by. */
    public String qualifiedName() {
        return group.isEmpty() ? resource : resource + "." + group;
    }

    public boolean watchable() {
        return verbs.contains("list") && verbs.contains("watch");
    }

    /** Whether {@code name} is this resource's plural, singular, short name or kind, ignoring case. */
    boolean answersTo(String name) {
        return resource.equalsIgnoreCase(name) || singular.equalsIgnoreCase(name) || kind.equalsIgnoreCase(name)
                || shortNames.stream().anyMatch(s -> s.equalsIgnoreCase(name));
    }
}
