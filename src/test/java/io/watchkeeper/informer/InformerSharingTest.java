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
    private static final String PATH = "/api/v1/namespaces/" + NS + "/configmaps";
    private static final String PODS_PATH = "/api/v1/namespaces/" + NS + "/pods";

    @Inject
    InformerHub hub;

    /** Config maps: no built-in informer watches them, so the watches' informer lists and watches by itself. */
    @Test
    void shouldShareOneInformerBetweenTwentyWatchesAndStopItWithTheLast() {
        // given three web config maps and one other
        long watchersBefore = ApiServerMetrics.registeredWatchers("ConfigMap");
        for (int i = 0; i < 3; i++) {
            TestCluster.admin().resource(configMap("web-" + i, "web")).create();
        }
        TestCluster.admin().resource(configMap("db-0", "db")).create();

        // when twenty watches ask the same question in three spellings
        List<String> spellings = List.of("configmaps", "cm", "ConfigMap");
        IntStream.range(0, 20).forEach(i -> Watches.create(Watches.resourceWatch(NS, "web-" + i, spellings.get(i % 3),
                Map.of("app", "web"))));

        // then they share one informer, which each of them reports
        await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> IntStream.range(0, 20).forEach(i -> {
            ResourceWatch w = Watches.get(NS, "web-" + i);
            assertThat(Watches.ready(w)).hasValueSatisfying(c -> assertThat(c.getStatus()).isEqualTo("True"));
            assertThat(w.getStatus().getInformer().getConsumers()).isEqualTo(20);
            assertThat(w.getStatus().getInformer().getItems()).isEqualTo(3);
            assertThat(w.getStatus().getInformer().getKey()).isEqualTo("v1/configmaps ns=" + NS + " labels=app=web");
            assertThat(w.getStatus().getInformer().getServedFrom()).isNull();
            assertThat(w.getStatus().getResolved().getKind()).isEqualTo("ConfigMap");
        }));
        assertThat(informers("configmaps")).hasSize(1);
        // and a watch whose question does not change writes no status while nothing changes
        long patches = statusPatches();
        await().during(Duration.ofSeconds(6)).atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(statusPatches()).isEqualTo(patches));
        // but a changed count is written within the refresh interval (2s in tests)
        TestCluster.admin().resource(configMap("web-3", "web")).create();
        await().atMost(Duration.ofSeconds(15)).untilAsserted(() -> assertThat(Watches.get(NS, "web-7").getStatus().getInformer().getItems()).isEqualTo(4));
        // and the API server holds one more config map watcher than before, and served one list for that question
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(ApiServerMetrics.registeredWatchers("ConfigMap"))
                .isEqualTo(watchersBefore + 1));
        assertThat(AuditLog.entries(AuditLog.listOf(PATH, "labelSelector=app=web").and(AuditLog.stage("ResponseComplete"))))
                .hasSize(1);

        // when nineteen go
        IntStream.range(1, 20).forEach(i -> TestCluster.admin().resources(ResourceWatch.class).inNamespace(NS).withName("web-" + i).delete());

        // then the informer stays for the last one
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
            assertThat(informers("configmaps")).singleElement().satisfies(si -> assertThat(si.consumers()).isEqualTo(1));
            assertThat(Watches.get(NS, "web-0").getStatus().getInformer().getConsumers()).isEqualTo(1);
        });

        // when the last goes, the informer stops and its one watch connection closes at the API server
        TestCluster.admin().resources(ResourceWatch.class).inNamespace(NS).withName("web-0").delete();
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
            assertThat(informers("configmaps")).isEmpty();
            assertThat(ApiServerMetrics.registeredWatchers("ConfigMap")).isEqualTo(watchersBefore);
            // WebSocket watches are audited when they close: one watch request in the operator's whole life
            assertThat(AuditLog.entries(AuditLog.watchOf(PATH, "labelSelector=app=web").and(AuditLog.stage("ResponseComplete"))))
                    .hasSize(1);
        });
        assertThat(AuditLog.entries(AuditLog.listOf(PATH, "labelSelector=app=web").and(AuditLog.stage("ResponseComplete"))))
                .hasSize(1);
    }

    /**
     * Pods: the Pod reconciler's informer watches every namespace (the test profile's insight scope), so a watch on the
     * web pods of one namespace is served from its cache: no list, no watch of its own, the same answers.
     */
    @Test
    void shouldServeANarrowerQuestionFromTheInformerWhoseQuestionContainsIt() {
        await().atMost(Duration.ofSeconds(30)).until(() -> hub.informers().stream()
                .anyMatch(i -> i.key().toString().equals("v1/pods ns=*") && i.adopted() && i.synced()));
        long podWatchersBefore = ApiServerMetrics.registeredWatchers("Pod");
        for (int i = 0; i < 3; i++) {
            TestCluster.admin().resource(Watches.pod(NS, "web-" + i, Map.of("app", "web"))).create();
        }
        TestCluster.admin().resource(Watches.pod(NS, "db-0", Map.of("app", "db"))).create();

        Watches.create(Watches.resourceWatch(NS, "web-pods", "pods", Map.of("app", "web")));

        await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
            ResourceWatch w = Watches.get(NS, "web-pods");
            assertThat(Watches.ready(w)).hasValueSatisfying(c -> assertThat(c.getStatus()).isEqualTo("True"));
            assertThat(w.getStatus().getInformer().getKey()).isEqualTo("v1/pods ns=" + NS + " labels=app=web");
            assertThat(w.getStatus().getInformer().getServedFrom()).isEqualTo("v1/pods ns=*");
            assertThat(w.getStatus().getInformer().getItems()).isEqualTo(3);
        });
        // the answer is the API server's, and stays so as pods change
        TestCluster.admin().resource(Watches.pod(NS, "web-3", Map.of("app", "web"))).create();
        TestCluster.admin().pods().inNamespace(NS).withName("web-0").edit(p -> {
            p.getMetadata().getLabels().put("app", "db");
            return p;
        });
        TestCluster.admin().pods().inNamespace(NS).withName("db-0").edit(p -> {
            p.getMetadata().getLabels().put("app", "web");
            return p;
        });
        TestCluster.admin().pods().inNamespace(NS).withName("web-1").withGracePeriod(0).delete();
        await().atMost(Duration.ofSeconds(15)).untilAsserted(() -> {
            SharedInformer web = informers("pods").get(0);
            assertThat(web.list(NS, LabelSelectors.Selector.EVERYTHING)).extracting(o -> o.getMetadata().getName() + "@" + o.getMetadata()
                    .getResourceVersion()).containsExactlyInAnyOrderElementsOf(TestCluster.admin().pods().inNamespace(NS)
                            .withLabel("app", "web").list().getItems().stream().map(p -> p.getMetadata().getName() + "@" + p.getMetadata()
                                    .getResourceVersion()).toList());
        });
        // and the API server served no list and no watch for it: one pod watch for both questions
        assertThat(ApiServerMetrics.registeredWatchers("Pod")).isEqualTo(podWatchersBefore);
        assertThat(AuditLog.entries(AuditLog.listOf(PODS_PATH, "labelSelector=app=web"))).isEmpty();
        assertThat(AuditLog.entries(AuditLog.watchOf(PODS_PATH, "labelSelector=app=web"))).isEmpty();

        // when the watch goes, its informer goes, and the one it was served from stays
        TestCluster.admin().resources(ResourceWatch.class).inNamespace(NS).withName("web-pods").delete();
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(informers("pods")).isEmpty());
        assertThat(hub.informers()).anyMatch(i -> i.key().toString().equals("v1/pods ns=*") && i.synced());
    }

    private static io.fabric8.kubernetes.api.model.ConfigMap configMap(String name, String app) {
        return new io.fabric8.kubernetes.api.model.ConfigMapBuilder().withNewMetadata().withNamespace(NS).withName(name)
                .addToLabels("app", app).endMetadata().build();
    }

    private static long statusPatches() {
        return AuditLog.entries(e -> "patch".equals(e.path("verb").asText()) && "status".equals(e.path("objectRef").path("subresource").asText())
                && NS.equals(e.path("objectRef").path("namespace").asText()) && "ResponseComplete".equals(e.path("stage").asText())).size();
    }

    private List<SharedInformer> informers(String resource) {
        return hub.informers().stream().filter(si -> si.key().resource().equals(resource) && NS.equals(si.key().namespace())).toList();
    }
}
