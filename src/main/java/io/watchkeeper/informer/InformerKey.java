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

    /**
     * Whether every object this question selects is one {@code narrower} selects too, so that a cache of this question
     * can answer {@code narrower}: the same resource and field selector, all namespaces or the same one, and a label
     * selector whose every requirement {@code narrower}'s has too (none, or a weaker one). A question never contains
     * itself.
     */
    public boolean contains(InformerKey narrower) {
        if (equals(narrower) || !group.equals(narrower.group) || !version.equals(narrower.version) || !resource.equals(narrower.resource)
                || !fieldSelector.equals(narrower.fieldSelector) || (namespace != null && !namespace.equals(narrower.namespace))) {
            return false;
        }
        return narrower.labels().requirements().containsAll(labels().requirements());
    }

    /** The label selector, parsed (keys hold canonical, valid selectors); parsed once per selector, not per call. */
    public Selector labels() {
        Selector s = PARSED.get(labelSelector);
        if (s == null) {
            try {
                s = LabelSelectors.parse(labelSelector);
            } catch (InvalidSelectorException e) {
                throw new IllegalStateException("informer key holds an invalid label selector: " + this, e);
            }
            if (PARSED.size() > 1_000) {
                PARSED.clear(); // keys come and go with watches: never more than a bounded cache
            }
            PARSED.put(labelSelector, s);
        }
        return s;
    }

    private static final java.util.Map<String, Selector> PARSED = new java.util.concurrent.ConcurrentHashMap<>();

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
