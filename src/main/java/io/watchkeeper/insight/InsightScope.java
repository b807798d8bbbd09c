package io.watchkeeper.insight;

import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.javaoperatorsdk.operator.api.config.ControllerConfigurationOverrider;
import io.watchkeeper.config.WatchkeeperConfig;
import io.watchkeeper.discovery.ApiResource;
import io.watchkeeper.informer.FieldSelectors.FieldSelector;
import io.watchkeeper.informer.InformerKey;
import io.watchkeeper.informer.LabelSelectors.Selector;

/**
 * Where the insight reconcilers look: all namespaces ({@code *}), the operator's own ({@code own}), or a list, from
 * {@code watchkeeper.insight.namespaces}. Applies that to the JOSDK controllers and names the hub keys of their
 * informers.
 */
@ApplicationScoped
public class InsightScope {

    public static final ApiResource PODS = new ApiResource("", "v1", "pods", "Pod", true, "pod", List.of("po"),
            List.of("get", "list", "watch"));
    public static final ApiResource SERVICES = new ApiResource("", "v1", "services", "Service", true, "service", List.of("svc"),
            List.of("get", "list", "watch"));

    /** Empty: all namespaces. */
    private final Set<String> namespaces;

    @Inject
    public InsightScope(WatchkeeperConfig config, KubernetesClient client) {
        this(resolve(config.insight().namespaces(), client.getNamespace()));
    }

    InsightScope(Set<String> namespaces) {
        this.namespaces = Set.copyOf(namespaces);
    }

    /** The namespaces {@code configured} names, {@code own} resolved; empty for all. */
    public static Set<String> resolve(List<String> configured, String own) {
        Set<String> out = new LinkedHashSet<>();
        for (String ns : configured) {
            String n = ns.trim();
            if (n.equals("*") || n.isEmpty()) {
                return Set.of();
            }
            if (n.equals("own")) {
                if (own == null || own.isBlank()) {
                    throw new IllegalArgumentException("watchkeeper.insight.namespaces=own, but the operator's own namespace is unknown"
                            + " (not in a pod, and no namespace in the kubeconfig context): name the namespaces instead.");
                }
                out.add(own);
            } else {
                out.add(n);
            }
        }
        return out;
    }

    public boolean allNamespaces() {
        return namespaces.isEmpty();
    }

    /** The namespaces watched; empty means all. */
    public Set<String> namespaces() {
        return namespaces;
    }

    public boolean covers(String namespace) {
        return namespaces.isEmpty() || namespaces.contains(namespace);
    }

    /** The hub keys of the informers for {@code resource} over this scope: one for all namespaces, else one per namespace. */
    public List<InformerKey> keys(ApiResource resource) {
        if (namespaces.isEmpty()) {
            return List.of(InformerKey.of(resource, null, Selector.EVERYTHING, FieldSelector.EVERYTHING));
        }
        return namespaces.stream().sorted().map(ns -> InformerKey.of(resource, ns, Selector.EVERYTHING, FieldSelector.EVERYTHING)).toList();
    }

    /**
     * Points a controller at this scope. Whether its informer's objects go into the hub's store (and lose their
     * managedFields there) is {@link io.watchkeeper.informer.ControllerInformerBridge#share}'s to decide.
     */
    <R extends HasMetadata> void applyTo(ControllerConfigurationOverrider<R> overrider) {
        if (namespaces.isEmpty()) {
            overrider.watchingAllNamespaces();
        } else {
            overrider.settingNamespaces(namespaces);
        }
    }
}
