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
 * A user's watch that fails or never syncs is that watch's problem, never the operator's: it is reported on the watch,
 * in metrics and in a health check's details, but the operator stays ready (in its Service, for everybody else's
 * reads) and live (not restarted by the kubelet). Readiness and liveness are the operator's own machinery.
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
        // reported in the health details, while the operator stays ready and live (for 20 s: the liveness check that
        // used to restart the whole operator for one user's watch did so after 15 s in the test profile)
        await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> assertThat(given().get("/q/health/ready").then().statusCode(200)
                .extract().asString()).contains("WATCH_FAILING"));
        await().during(Duration.ofSeconds(20)).atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
            given().get("/q/health/live").then().statusCode(200);
            given().get("/q/health/ready").then().statusCode(200);
        });

        // when the right comes back
        binding.getMetadata().setResourceVersion(null);
        TestCluster.admin().resource(binding).create();

        awaitReady("True", "CacheSynced");
        // and the metrics tell the story: the refused watches by reason, and the new watches after the outage
        String labels = "namespace=\"" + NS + "\",resource=\"resourcequotas\"";
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(given().get("/q/metrics").then().extract().asString())
                .containsPattern("watchkeeper_informer_watch_restarts_total\\{" + labels + "} [1-9]")
                .containsPattern("watchkeeper_informer_failures_total\\{namespace=\"" + NS + "\",reason=\"Forbidden\",resource=\"resourcequotas\"} [1-9]")
                // the Pod reconciler's informer (JOSDK runs it with the operator's client; the hub shares it) reconnected too
                .containsPattern("watchkeeper_informer_watch_restarts_total\\{namespace=\"\\*\",resource=\"pods\"} [1-9]"));
    }

    /**
     * A CRD whose conversion webhook is broken: listing the version that needs conversion fails with 500 for as long as
     * the webhook is broken, so the watch never syncs. The operator stays ready.
     */
    @Test
    void shouldStayReadyWhileAWatchCannotSync() {
        var versions = new java.util.ArrayList<io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinitionVersion>();
        for (String v : java.util.List.of("v1", "v2")) {
            versions.add(new io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinitionVersionBuilder().withName(v)
                    .withServed(true).withStorage(v.equals("v1")).withNewSchema().withNewOpenAPIV3Schema().withType("object")
                    .withXKubernetesPreserveUnknownFields(true).endOpenAPIV3Schema().endSchema().build());
        }
        io.watchkeeper.testing.Crds.install(new io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinitionBuilder()
                .withNewMetadata().withName("gizmos.example.com").endMetadata().withNewSpec().withGroup("example.com")
                .withScope("Namespaced").withNewNames().withPlural("gizmos").withSingular("gizmo").withKind("Gizmo").endNames()
                .withVersions(versions).withNewConversion().withStrategy("Webhook").withNewWebhook().withConversionReviewVersions("v1")
                .withNewClientConfig().withUrl("https://127.0.0.1:9/convert").endClientConfig().endWebhook().endConversion()
                .endSpec().build());
        var v1 = new io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext.Builder().withGroup("example.com")
                .withVersion("v1").withPlural("gizmos").withKind("Gizmo").withNamespaced(true).build();
        TestCluster.admin().genericKubernetesResources(v1).inNamespace(NS).resource(new io.fabric8.kubernetes.api.model.GenericKubernetesResourceBuilder()
                .withApiVersion("example.com/v1").withKind("Gizmo").withNewMetadata().withName("g1").endMetadata().build()).create();

        try {
            Watches.create(Watches.resourceWatch(NS, "gizmos", "example.com/v2/gizmos", null));
            await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> assertThat(Watches.ready(Watches.get(NS, "gizmos")))
                    .hasValueSatisfying(c -> assertThat(c.getStatus()).isEqualTo("False")));
            await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> assertThat(given().get("/q/health/ready").then().statusCode(200)
                    .extract().asString()).contains("gizmos"));
            await().during(Duration.ofSeconds(5)).atMost(Duration.ofSeconds(15)).untilAsserted(() -> {
                given().get("/q/health/ready").then().statusCode(200);
                given().get("/q/health/live").then().statusCode(200);
            });
        } finally {
            TestCluster.admin().resource(Watches.get(NS, "gizmos")).delete();
            io.watchkeeper.testing.Crds.uninstall(TestCluster.admin().apiextensions().v1().customResourceDefinitions()
                    .withName("gizmos.example.com").get());
        }
    }

    private static void awaitReady(String status, String reason) {
        await().atMost(Duration.ofSeconds(120)).untilAsserted(() -> assertThat(Watches.ready(Watches.get(NS, "quotas")))
                .hasValueSatisfying(c -> {
                    assertThat(c.getStatus()).isEqualTo(status);
                    assertThat(c.getReason()).isEqualTo(reason);
                }));
    }
}
