package io.watchkeeper.health;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;

import org.junit.jupiter.api.Test;

import io.fabric8.kubernetes.api.model.rbac.ClusterRoleBinding;
import io.fabric8.kubernetes.api.model.rbac.ClusterRoleBindingBuilder;
import io.fabric8.kubernetes.api.model.rbac.ClusterRoleBuilder;
import io.fabric8.kubernetes.api.model.rbac.PolicyRuleBuilder;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.watchkeeper.testing.ControlPlaneResource;
import io.watchkeeper.testing.TestCluster;
import io.watchkeeper.testing.Watches;

/**
 * A watch that keeps failing after its informer synced (here: RBAC revoked, then the API server restarted so every
 * watch must be re-established) must not leave a silently stale cache: the watch says so, liveness goes down after
 * the grace period, and both recover when the cause goes away.
 */
@QuarkusTest
@QuarkusTestResource(ControlPlaneResource.class)
class WatchFailureTest {

    private static final String NS = TestCluster.namespace("failing");

    @Test
    void shouldReportAWatchThatKeepsFailingAfterSyncAndRecover() throws Exception {
        TestCluster.admin().resource(new ClusterRoleBuilder().withNewMetadata().withName("test-quotas").endMetadata()
                .withRules(new PolicyRuleBuilder().withApiGroups("").withResources("resourcequotas").withVerbs("list", "watch").build())
                .build()).create();
        ClusterRoleBinding binding = new ClusterRoleBindingBuilder().withNewMetadata().withName("test-quotas").endMetadata()
                .withNewRoleRef("rbac.authorization.k8s.io", "ClusterRole", "test-quotas")
                .addNewSubject().withKind("User").withName(TestCluster.OPERATOR.name()).withApiGroup("rbac.authorization.k8s.io").endSubject()
                .build();
        TestCluster.admin().resource(binding).create();
        Watches.create(Watches.resourceWatch(NS, "quotas", "resourcequotas", null));
        awaitReady("True", "CacheSynced");

        // when the operator loses the right and its watch has to be re-established
        TestCluster.admin().resource(binding).delete();
        TestCluster.controlPlane().restartApiServer();

        awaitReady("False", "WatchFailing");
        assertThat(Watches.ready(Watches.get(NS, "quotas")).orElseThrow().getMessage()).contains("HTTP 403");
        await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> given().get("/q/health/live").then().statusCode(503));

        // when the right comes back
        binding.getMetadata().setResourceVersion(null);
        TestCluster.admin().resource(binding).create();

        awaitReady("True", "CacheSynced");
        await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> given().get("/q/health/live").then().statusCode(200));
        // and the metrics tell the story: the refused watches by reason, and the new watches after the outage
        String labels = "namespace=\"" + NS + "\",resource=\"resourcequotas\"";
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(given().get("/q/metrics").then().extract().asString())
                .containsPattern("watchkeeper_informer_watch_restarts_total\\{" + labels + "} [1-9]")
                .containsPattern("watchkeeper_informer_failures_total\\{namespace=\"" + NS + "\",reason=\"Forbidden\",resource=\"resourcequotas\"} [1-9]")
                // the Pod reconciler's informer (JOSDK runs it with the operator's client; the hub shares it) reconnected too
                .containsPattern("watchkeeper_informer_watch_restarts_total\\{namespace=\"\\*\",resource=\"pods\"} [1-9]"));
    }

    private static void awaitReady(String status, String reason) {
        await().atMost(Duration.ofSeconds(120)).untilAsserted(() -> assertThat(Watches.ready(Watches.get(NS, "quotas")))
                .hasValueSatisfying(c -> {
                    assertThat(c.getStatus()).isEqualTo(status);
                    assertThat(c.getReason()).isEqualTo(reason);
                }));
    }
}
