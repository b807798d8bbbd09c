package io.watchkeeper.informer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import io.watchkeeper.testing.RealisticPods;

class CompactorTest {

    private static final KubernetesSerialization JSON = new KubernetesSerialization();
    private final Compactor compactor = new Compactor();

    @Test
    void shouldShareWhatPodsOfOneReplicaSetHaveInCommonAndChangeNothingElse() {
        Pod a = pod(0);
        Pod b = pod(1);
        Pod other = pod(100);
        String[] before = { JSON.asJson(a), JSON.asJson(b), JSON.asJson(other) };

        compactor.compact(a);
        compactor.compact(b);
        compactor.compact(other);

        assertThat(new String[] { JSON.asJson(a), JSON.asJson(b), JSON.asJson(other) }).as("the same JSON, field by field, in order")
                .containsExactly(before);
        assertThat(b.getSpec().getContainers()).isSameAs(a.getSpec().getContainers());
        assertThat(b.getMetadata().getLabels()).isSameAs(a.getMetadata().getLabels());
        assertThat(b.getMetadata().getOwnerReferences()).isSameAs(a.getMetadata().getOwnerReferences());
        assertThat(other.getSpec().getContainers().get(0)).as("another ReplicaSet's app container").isNotSameAs(a.getSpec().getContainers().get(0));
        assertThat(other.getSpec().getContainers().get(1)).as("the same proxy container").isSameAs(a.getSpec().getContainers().get(1));
        assertThat(b.getStatus().getConditions().get(0).getType()).isSameAs(a.getStatus().getConditions().get(0).getType());
        assertThat(b.getMetadata().getName()).isNotEqualTo(a.getMetadata().getName());
    }

    /** What a status says is nearly always the object's own: compacted, but not worth a pool entry. */
    @Test
    void shouldNotPoolStatusParts() {
        Pod a = pod(0);
        Pod twin = pod(0);
        twin.getMetadata().setName("twin");

        compactor.compact(a);
        compactor.compact(twin);

        assertThat(twin.getSpec().getContainers()).isSameAs(a.getSpec().getContainers());
        assertThat(twin.getStatus().getConditions()).isEqualTo(a.getStatus().getConditions()).isNotSameAs(a.getStatus().getConditions());
        assertThat(twin.getStatus().getPhase()).isSameAs(a.getStatus().getPhase());
    }

    @Test
    void shouldCompactGenericObjectsTheSameWay() {
        GenericKubernetesResource a = JSON.unmarshal(JSON.asJson(pod(0)), GenericKubernetesResource.class);
        GenericKubernetesResource b = JSON.unmarshal(JSON.asJson(pod(1)), GenericKubernetesResource.class);
        String[] before = { JSON.asJson(a), JSON.asJson(b) };

        compactor.compact(a);
        compactor.compact(b);

        assertThat(new String[] { JSON.asJson(a), JSON.asJson(b) }).containsExactly(before);
        assertThat((Object) b.get("spec", "containers")).isSameAs(a.get("spec", "containers"));
        assertThat((Object) b.get("spec")).as("the spec itself is at the top: compacted in place, not pooled").isNotSameAs(a.get("spec"));
    }

    /** fabric8's Quantity.equals says 1000m equals 1; sharing must not turn one into the other. */
    @Test
    void shouldKeepEqualQuantitiesThatAreWrittenDifferently() {
        Pod milli = pod(0);
        milli.getSpec().getContainers().get(1).getResources().getRequests().put("cpu", new Quantity("1000m"));
        Pod whole = pod(1);
        whole.getSpec().getContainers().get(1).getResources().getRequests().put("cpu", new Quantity("1"));
        assertThat(new Quantity("1000m")).isEqualTo(new Quantity("1"));

        compactor.compact(milli);
        compactor.compact(whole);

        assertThat(JSON.asJson(milli.getSpec().getContainers().get(1))).contains("\"cpu\":\"1000m\"");
        assertThat(JSON.asJson(whole.getSpec().getContainers().get(1))).contains("\"cpu\":\"1\"");
    }

    @Test
    void shouldRefuseChangesToCompactedObjects() {
        Pod a = compactor.compact(pod(0));
        assertThatThrownBy(() -> a.getMetadata().getLabels().put("x", "y")).isInstanceOf(UnsupportedOperationException.class);
        assertThatThrownBy(() -> a.getSpec().getContainers().add(null)).isInstanceOf(UnsupportedOperationException.class);
    }

    @Test
    void shouldLetPartsGoWhenNoCachedObjectUsesThemAnyMore() throws Exception {
        List<Pod> cached = new ArrayList<>();
        for (int i = 0; i < 300; i++) {
            cached.add(compactor.compact(pod(i)));
        }
        ObjectJson.mapper(compactor).writeValueAsBytes(cached); // shared parts' JSON kept beside them
        int pooled = compactor.pooled();
        int indexed = compactor.pooledByIdentity();
        assertThat(indexed).as("parts found for more than one pod").isPositive().isLessThanOrEqualTo(pooled);
        cached.clear();
        await().atMost(Duration.ofSeconds(30)).until(() -> {
            System.gc(); // what this test is about: the pool lets go of collected parts, and of their JSON
            return compactor.pooled() < pooled / 10 && compactor.pooledByIdentity() < indexed / 10;
        });
    }

    private static Pod pod(int i) {
        Pod p = RealisticPods.pod("ns", i);
        p.setStatus(RealisticPods.status(i));
        return p;
    }
}
