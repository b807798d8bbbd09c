package io.watchkeeper.watch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import io.fabric8.kubernetes.api.model.Condition;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.watchkeeper.api.v1alpha1.ClusterResourceWatch;
import io.watchkeeper.api.v1alpha1.InformerStatus;
import io.watchkeeper.testing.ControlPlaneResource;
import io.watchkeeper.testing.TestCluster;
import io.watchkeeper.testing.Watches;

@QuarkusTest
@QuarkusTestResource(ControlPlaneResource.class)
class ClusterResourceWatchTest {

    private static final String A = TestCluster.namespace("crw-a");
    private static final String B = TestCluster.namespace("crw-b");

    @Test
    void shouldWatchNamedNamespacesWithOneInformerEachAndShareThemWithResourceWatches() {
        TestCluster.admin().resource(Watches.pod(A, "a1", Map.of("app", "x"))).create();
        TestCluster.admin().resource(Watches.pod(B, "b1", Map.of("app", "x"))).create();
        TestCluster.admin().resource(Watches.pod(B, "b2", Map.of("app", "x"))).create();

        TestCluster.admin().resource(Watches.clusterWatch("two-namespaces", "pods", List.of(B, A))).create();
        Watches.create(Watches.resourceWatch(A, "local", "po", null));

        await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
            ClusterResourceWatch w = Watches.getCluster("two-namespaces");
            assertThat(Watches.condition(w.getStatus(), "Ready")).map(Condition::getStatus).hasValue("True");
            assertThat(w.getStatus().getInformers()).extracting(InformerStatus::getKey)
                    .containsExactly("v1/pods ns=crw-a", "v1/pods ns=crw-b");
            assertThat(w.getStatus().getInformer().getItems()).isEqualTo(3);
            assertThat(w.getStatus().getInformer().getSynced()).isTrue();
            // the ResourceWatch in crw-a asks the same question as the cluster watch's crw-a part: one informer
            assertThat(w.getStatus().getInformers().get(0).getConsumers()).isEqualTo(2);
            assertThat(Watches.get(A, "local").getStatus().getInformer().getConsumers()).isEqualTo(2);
        });
    }

    @Test
    void shouldWatchAllNamespacesWhenNoneAreNamed() {
        TestCluster.admin().resource(Watches.clusterWatch("all-namespaces", "namespaces", List.of())).create();

        await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
            ClusterResourceWatch w = Watches.getCluster("all-namespaces");
            assertThat(Watches.condition(w.getStatus(), "Ready")).map(Condition::getStatus).hasValue("True");
            assertThat(w.getStatus().getInformer().getKey()).isEqualTo("v1/namespaces ns=*");
            assertThat(w.getStatus().getInformer().getItems()).isGreaterThanOrEqualTo(4);
            assertThat(w.getStatus().getResolved().getNamespaced()).isFalse();
        });
    }
}
