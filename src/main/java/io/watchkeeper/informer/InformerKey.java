package io.watchkeeper.informer;

import io.watchkeeper.discovery.ApiResource;
import io.watchkeeper.informer.FieldSelectors.FieldSelector;
import io.watchkeeper.informer.LabelSelectors.Selector;

/**
 * The question an informer answers: one resource (group, version, plural), one namespace or all of them, one canonical
 * label selector, one canonical field selector. Two consumers with equal keys share one informer.
 *
 * @param namespace the namespace, or {@code null} for all namespaces (and for cluster-scoped resources)
 */
public record InformerKey(String group, String version, String resource, String namespace, String labelSelector,
        String fieldSelector) {

    public static InformerKey of(ApiResource r, String namespace, Selector labels, FieldSelector fields) {
        return new InformerKey(r.group(), r.version(), r.resource(), r.namespaced() ? namespace : null, labels.toString(),
                fields.toString());
    }

    public boolean allNamespaces() {
        return namespace == null;
    }

    /** {@code v1/pods}, {@code apps/v1/deployments}. */
    public String groupVersionResource() {
        return (group.isEmpty() ? version : group + "/" + version) + "/" + resource;
    }

    /** {@code pods}, {@code deployments.apps}: the bounded metric label for the resource. */
    public String resourceLabel() {
        return group.isEmpty() ? resource : resource + "." + group;
    }

    /** The metric label for the namespace scope: the namespace, or {@code *} for all. */
    public String namespaceLabel() {
        return namespace == null ? "*" : namespace;
    }

    /** {@code v1/pods ns=shop labels=app=web fields=status.phase!=Succeeded}: what users see in status. */
    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder(groupVersionResource());
        sb.append(" ns=").append(namespace == null ? "*" : namespace);
        if (!labelSelector.isEmpty()) {
            sb.append(" labels=").append(labelSelector);
        }
        if (!fieldSelector.isEmpty()) {
            sb.append(" fields=").append(fieldSelector);
        }
        return sb.toString();
    }
}
