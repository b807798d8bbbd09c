package io.watchkeeper.testing;

import java.util.Map;
import java.util.Optional;

import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.LabelSelectorBuilder;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.watchkeeper.api.v1alpha1.ClusterResourceWatch;
import io.watchkeeper.api.v1alpha1.ClusterResourceWatchSpec;
import io.watchkeeper.api.v1alpha1.ResourceWatch;
import io.watchkeeper.api.v1alpha1.ResourceWatchSpec;
import io.watchkeeper.api.v1alpha1.WatchStatus;

/** Builders and look-ups for watches and sample objects in tests. */
public final class Watches {

    private Watches() {
    }

    public static ResourceWatch resourceWatch(String ns, String name, String resource, Map<String, String> matchLabels) {
        ResourceWatch w = new ResourceWatch();
        w.setMetadata(new ObjectMetaBuilder().withNamespace(ns).withName(name).build());
        ResourceWatchSpec spec = new ResourceWatchSpec();
        spec.setResource(resource);
        if (matchLabels != null) {
            spec.setSelector(new LabelSelectorBuilder().withMatchLabels(matchLabels).build());
        }
        w.setSpec(spec);
        return w;
    }

    public static ClusterResourceWatch clusterWatch(String name, String resource, java.util.List<String> namespaces) {
        ClusterResourceWatch w = new ClusterResourceWatch();
        w.setMetadata(new ObjectMetaBuilder().withName(name).build());
        ClusterResourceWatchSpec spec = new ClusterResourceWatchSpec();
        spec.setResource(resource);
        spec.setNamespaces(namespaces);
        w.setSpec(spec);
        return w;
    }

    public static ResourceWatch create(ResourceWatch w) {
        return TestCluster.admin().resource(w).create();
    }

    /** Creates the watch and waits (up to a minute) until it is {@code Ready=True}. */
    public static ResourceWatch createReady(ResourceWatch w) {
        create(w);
        String ns = w.getMetadata().getNamespace();
        String name = w.getMetadata().getName();
        org.awaitility.Awaitility.await("ResourceWatch " + ns + "/" + name + " Ready").atMost(java.time.Duration.ofSeconds(60))
                .untilAsserted(() -> org.assertj.core.api.Assertions.assertThat(ready(get(ns, name)))
                        .hasValueSatisfying(c -> org.assertj.core.api.Assertions.assertThat(c.getStatus()).isEqualTo("True")));
        return get(ns, name);
    }

    public static ResourceWatch get(String ns, String name) {
        return TestCluster.admin().resources(ResourceWatch.class).inNamespace(ns).withName(name).get();
    }

    public static ClusterResourceWatch getCluster(String name) {
        return TestCluster.admin().resources(ClusterResourceWatch.class).withName(name).get();
    }

    public static Optional<Condition> condition(WatchStatus status, String type) {
        return status == null ? Optional.empty() : status.getConditions().stream().filter(c -> type.equals(c.getType())).findFirst();
    }

    public static Optional<Condition> ready(ResourceWatch w) {
        return w == null ? Optional.empty() : condition(w.getStatus(), "Ready");
    }

    public static Pod pod(String ns, String name, Map<String, String> labels) {
        return new PodBuilder().withNewMetadata().withNamespace(ns).withName(name).withLabels(labels).endMetadata()
                .withNewSpec().addNewContainer().withName("app").withImage("nginx:1.25").endContainer().endSpec().build();
    }
}
