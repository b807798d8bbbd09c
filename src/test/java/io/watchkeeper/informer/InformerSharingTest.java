package io.watchkeeper.informer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;

import jakarta.inject.Inject;

import org.junit.jupiter.api.Test;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.watchkeeper.api.v1alpha1.ResourceWatch;
import io.watchkeeper.testing.ApiServerMetrics;
import io.watchkeeper.testing.AuditLog;
import io.watchkeeper.testing.ControlPlaneResource;
import io.watchkeeper.testing.TestCluster;
import io.watchkeeper.testing.Watches;

@QuarkusTest
@QuarkusTestResource(ControlPlaneResource.class)
class InformerSharingTest {

    private static final String NS = TestCluster.namespace("sharing");
    private static final String PODS_PATH = "/api/v1/namespaces/" + NS + "/pods";

    @Inject
    InformerHub hub;

    @Test
    void shouldShareOneInformerBetweenTwentyWatchesAndStopItWithTheLast() {
        // given three web pods and one other
        long podWatchersBefore = ApiServerMetrics.registeredWatchers("Pod");
        for (int i = 0; i < 3; i++) {
            TestCluster.admin().resource(Watches.pod(NS, "web-" + i, Map.of("app", "web"))).create();
        }
        TestCluster.admin().resource(Watches.pod(NS, "db-0", Map.of("app", "db"))).create();

        // when twenty watches ask the same question in three spellings
        List<String> spellings = List.of("pods", "po", "Pod");
        IntStream.range(0, 20).forEach(i -> Watches.create(Watches.resourceWatch(NS, "web-" + i, spellings.get(i % 3),
                Map.of("app", "web"))));

        // then they share one informer, which each of them reports
        await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> IntStream.range(0, 20).forEach(i -> {
            ResourceWatch w = Watches.get(NS, "web-" + i);
            assertThat(Watches.ready(w)).hasValueSatisfying(c -> assertThat(c.getStatus()).isEqualTo("True"));
            assertThat(w.getStatus().getInformer().getConsumers()).isEqualTo(20);
            assertThat(w.getStatus().getInformer().getItems()).isEqualTo(3);
            assertThat(w.getStatus().getInformer().getKey()).isEqualTo("v1/pods ns=" + NS + " labels=app=web");
            assertThat(w.getStatus().getResolved().getKind()).isEqualTo("Pod");
        }));
        assertThat(podInformers()).hasSize(1);
        // and a watch whose question does not change writes no status while nothing changes
        long patches = statusPatches();
        await().during(Duration.ofSeconds(6)).atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(statusPatches()).isEqualTo(patches));
        // but a changed count is written within the refresh interval (2s in tests)
        TestCluster.admin().resource(Watches.pod(NS, "web-3", Map.of("app", "web"))).create();
        await().atMost(Duration.ofSeconds(15)).untilAsserted(() -> assertThat(Watches.get(NS, "web-7").getStatus().getInformer().getItems()).isEqualTo(4));
        // and the API server holds one more pod watcher than before, and served one list for that question
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(ApiServerMetrics.registeredWatchers("Pod"))
                .isEqualTo(podWatchersBefore + 1));
        assertThat(AuditLog.entries(AuditLog.listOf(PODS_PATH, "labelSelector=app=web").and(AuditLog.stage("ResponseComplete"))))
                .hasSize(1);

        // when nineteen go
        IntStream.range(1, 20).forEach(i -> TestCluster.admin().resources(ResourceWatch.class).inNamespace(NS).withName("web-" + i).delete());

        // then the informer stays for the last one
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
            assertThat(podInformers()).singleElement().satisfies(si -> assertThat(si.consumers()).isEqualTo(1));
            assertThat(Watches.get(NS, "web-0").getStatus().getInformer().getConsumers()).isEqualTo(1);
        });

        // when the last goes, the informer stops and its one watch connection closes at the API server
        TestCluster.admin().resources(ResourceWatch.class).inNamespace(NS).withName("web-0").delete();
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
            assertThat(podInformers()).isEmpty();
            assertThat(ApiServerMetrics.registeredWatchers("Pod")).isEqualTo(podWatchersBefore);
            // WebSocket watches are audited when they close: one watch request in the operator's whole life
            assertThat(AuditLog.entries(AuditLog.watchOf(PODS_PATH, "labelSelector=app=web").and(AuditLog.stage("ResponseComplete"))))
                    .hasSize(1);
        });
        assertThat(AuditLog.entries(AuditLog.listOf(PODS_PATH, "labelSelector=app=web").and(AuditLog.stage("ResponseComplete"))))
                .hasSize(1);
    }

    private static long statusPatches() {
        return AuditLog.entries(e -> "patch".equals(e.path("verb").asText()) && "status".equals(e.path("objectRef").path("subresource").asText())
                && NS.equals(e.path("objectRef").path("namespace").asText()) && "ResponseComplete".equals(e.path("stage").asText())).size();
    }

    private List<SharedInformer> podInformers() {
        return hub.informers().stream().filter(si -> si.key().resource().equals("pods") && NS.equals(si.key().namespace())).toList();
    }
}
