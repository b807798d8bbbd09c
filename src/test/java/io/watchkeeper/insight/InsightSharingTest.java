package io.watchkeeper.insight;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.List;

import jakarta.inject.Inject;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;

import io.fabric8.kubernetes.api.model.Condition;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.watchkeeper.api.v1alpha1.ClusterResourceWatch;
import io.watchkeeper.informer.InformerHub;
import io.watchkeeper.informer.SharedInformer;
import io.watchkeeper.testing.ApiServerMetrics;
import io.watchkeeper.testing.AuditLog;
import io.watchkeeper.testing.ControlPlaneResource;
import io.watchkeeper.testing.TestCluster;
import io.watchkeeper.testing.Watches;

/** The insight reconcilers and the watches share informers: one list and one watch per question, operator-wide. */
@QuarkusTest
@QuarkusTestResource(ControlPlaneResource.class)
class InsightSharingTest {

    @Inject
    InformerHub hub;

    @Test
    void shouldServeAWatchOnAllPodsFromThePodReconcilersInformer() {
        await().atMost(Duration.ofSeconds(30)).until(() -> hub.informers().stream()
                .anyMatch(i -> i.key().toString().equals("v1/pods ns=*") && i.adopted() && i.synced()));
        long podWatchers = ApiServerMetrics.registeredWatchers("Pod");
        // the reconciler's informer read its first list as the hub's own informers do: one response from the watch
        // cache, not pages from etcd. Nothing else lists all pods so (a hub informer for them, served from the watch
        // cache when new, would only run where no Pod reconciler watches all namespaces: not in this test's profile)
        List<JsonNode> podLists = AuditLog.entries(AuditLog.listOf("/api/v1/pods", null).and(AuditLog.stage("ResponseComplete")));
        assertThat(podLists).filteredOn(e -> !AuditLog.uri(e).contains("Selector=")).anySatisfy(e -> assertThat(AuditLog.uri(e))
                .contains("resourceVersion=0").doesNotContain("limit=").doesNotContain("continue="));

        TestCluster.admin().resource(Watches.clusterWatch("every-pod", "pods", List.of())).create();
        TestCluster.admin().resource(Watches.clusterWatch("every-service", "services", List.of())).create();

        await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
            ClusterResourceWatch pods = Watches.getCluster("every-pod");
            assertThat(Watches.condition(pods.getStatus(), "Ready")).map(Condition::getStatus).hasValue("True");
            assertThat(pods.getStatus().getInformer().getKey()).isEqualTo("v1/pods ns=*");
            // the Pod reconciler, the Service reconciler's pod source, and this watch
            assertThat(pods.getStatus().getInformer().getConsumers()).isEqualTo(3);
            assertThat(pods.getStatus().getInformer().getItems())
                    .isEqualTo(TestCluster.admin().pods().inAnyNamespace().list().getItems().size());
            ClusterResourceWatch services = Watches.getCluster("every-service");
            assertThat(services.getStatus().getInformer().getConsumers()).isEqualTo(2);
            assertThat(ApiServerMetrics.registeredWatchers("Pod")).isEqualTo(podWatchers);
        });
        assertThat(hub.informers()).filteredOn(i -> i.key().resource().equals("pods") && i.key().allNamespaces())
                .singleElement().extracting(SharedInformer::adopted).isEqualTo(true);

        // the watch going does not stop the reconcilers' informer
        TestCluster.admin().resource(Watches.getCluster("every-pod")).delete();
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(hub.informers())
                .filteredOn(i -> i.key().toString().equals("v1/pods ns=*")).singleElement()
                .satisfies(i -> assertThat(i.consumers()).isEqualTo(2)));
        TestCluster.admin().resource(Watches.getCluster("every-service")).delete();
    }
}
