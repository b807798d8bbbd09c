package io.watchkeeper.insight;

import java.util.List;
import java.util.Map;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Pod;

/**
 * The few facts about a pod the Service insight needs, from a typed {@link Pod} (the Pod reconciler's cache) or a
 * {@link GenericKubernetesResource} (the hub's own informer, when the Pod reconciler is off), without converting either.
 */
final class PodFacts {

    private PodFacts() {
    }

    static boolean matches(Map<String, String> selector, HasMetadata pod) {
        Map<String, String> labels = pod.getMetadata().getLabels();
        return labels != null && labels.entrySet().containsAll(selector.entrySet());
    }

    /** Ready condition True and not being deleted: what makes the endpoints controller send traffic to it. */
    static boolean ready(HasMetadata pod) {
        if (pod.getMetadata().getDeletionTimestamp() != null) {
            return false;
        }
        if (pod instanceof Pod p) {
            return p.getStatus() != null && p.getStatus().getConditions().stream()
                    .anyMatch(c -> "Ready".equals(c.getType()) && "True".equals(c.getStatus()));
        }
        if (pod instanceof GenericKubernetesResource g && g.getAdditionalProperties().get("status") instanceof Map<?, ?> status
                && status.get("conditions") instanceof List<?> conditions) {
            return conditions.stream().anyMatch(c -> c instanceof Map<?, ?> m && "Ready".equals(m.get("type")) && "True".equals(m.get("status")));
        }
        return false;
    }

    /** Succeeded or Failed: the endpoints controller drops such pods, and so does the Service insight. */
    static boolean finished(HasMetadata pod) {
        String phase = null;
        if (pod instanceof Pod p && p.getStatus() != null) {
            phase = p.getStatus().getPhase();
        } else if (pod instanceof GenericKubernetesResource g && g.getAdditionalProperties().get("status") instanceof Map<?, ?> status) {
            phase = status.get("phase") instanceof String s ? s : null;
        }
        return "Succeeded".equals(phase) || "Failed".equals(phase);
    }
}
