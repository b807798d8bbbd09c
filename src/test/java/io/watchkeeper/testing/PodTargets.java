package io.watchkeeper.testing;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.Pod;

/**
 * Prometheus targets for pods, as its Kubernetes service discovery makes them for {@code role: pod}: one target per
 * declared container port at {@code podIP:port}, with the same {@code __meta_kubernetes_*} labels. Debian's Prometheus
 * has no Kubernetes discovery (Debian removed it: src/testbed/NODE.md, setting 13), so tests feed these to
 * {@code file_sd_configs} and relabel them exactly as a user's {@code kubernetes_sd_configs} job would.
 */
public final class PodTargets {

    private PodTargets() {
    }

    /** file_sd target groups (serialise as JSON) for the pods that have an IP. */
    public static List<Map<String, Object>> of(List<Pod> pods) {
        List<Map<String, Object>> groups = new ArrayList<>();
        for (Pod pod : pods) {
            String ip = pod.getStatus() == null ? null : pod.getStatus().getPodIP();
            if (ip == null) {
                continue;
            }
            Map<String, String> podLabels = podLabels(pod);
            for (Container c : pod.getSpec().getContainers()) {
                for (ContainerPort port : c.getPorts()) {
                    Map<String, String> labels = new LinkedHashMap<>(podLabels);
                    labels.put("__meta_kubernetes_pod_container_name", c.getName());
                    labels.put("__meta_kubernetes_pod_container_image", c.getImage());
                    labels.put("__meta_kubernetes_pod_container_init", "false");
                    labels.put("__meta_kubernetes_pod_container_port_name", port.getName() == null ? "" : port.getName());
                    labels.put("__meta_kubernetes_pod_container_port_number", String.valueOf(port.getContainerPort()));
                    labels.put("__meta_kubernetes_pod_container_port_protocol", port.getProtocol() == null ? "TCP" : port.getProtocol());
                    groups.add(Map.of("targets", List.of(ip + ":" + port.getContainerPort()), "labels", labels));
                }
            }
        }
        return groups;
    }

    private static Map<String, String> podLabels(Pod pod) {
        Map<String, String> l = new LinkedHashMap<>();
        l.put("__meta_kubernetes_namespace", pod.getMetadata().getNamespace());
        l.put("__meta_kubernetes_pod_name", pod.getMetadata().getName());
        l.put("__meta_kubernetes_pod_ip", pod.getStatus().getPodIP());
        l.put("__meta_kubernetes_pod_uid", pod.getMetadata().getUid());
        l.put("__meta_kubernetes_pod_node_name", nullToEmpty(pod.getSpec().getNodeName()));
        l.put("__meta_kubernetes_pod_host_ip", nullToEmpty(pod.getStatus().getHostIP()));
        l.put("__meta_kubernetes_pod_phase", nullToEmpty(pod.getStatus().getPhase()));
        l.put("__meta_kubernetes_pod_ready", pod.getStatus().getConditions().stream()
                .filter(c -> "Ready".equals(c.getType())).map(c -> c.getStatus().toLowerCase()).findFirst().orElse("unknown"));
        pod.getMetadata().getLabels().forEach((k, v) -> {
            l.put("__meta_kubernetes_pod_label_" + sanitize(k), v);
            l.put("__meta_kubernetes_pod_labelpresent_" + sanitize(k), "true");
        });
        pod.getMetadata().getAnnotations().forEach((k, v) -> {
            l.put("__meta_kubernetes_pod_annotation_" + sanitize(k), v);
            l.put("__meta_kubernetes_pod_annotationpresent_" + sanitize(k), "true");
        });
        for (OwnerReference o : pod.getMetadata().getOwnerReferences()) {
            if (Boolean.TRUE.equals(o.getController())) {
                l.put("__meta_kubernetes_pod_controller_kind", o.getKind());
                l.put("__meta_kubernetes_pod_controller_name", o.getName());
            }
        }
        return l;
    }

    /** As Prometheus' strutil.SanitizeLabelName: every character outside [a-zA-Z0-9_] becomes '_'. */
    static String sanitize(String name) {
        return name.replaceAll("[^a-zA-Z0-9_]", "_");
    }

    private static String nullToEmpty(String s) {
        return s == null ? "" : s;
    }
}
