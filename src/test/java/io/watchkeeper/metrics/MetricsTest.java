package io.watchkeeper.metrics;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.Map;

import org.junit.jupiter.api.Test;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.watchkeeper.testing.ControlPlaneResource;
import io.watchkeeper.testing.TestCluster;
import io.watchkeeper.testing.Watches;

/** What Prometheus scrapes, and what the probes say, while a watch is served. */
@QuarkusTest
@QuarkusTestResource(ControlPlaneResource.class)
class MetricsTest {

    private static final String NS = TestCluster.namespace("metrics");

    @Test
    void shouldExposeInformerCacheReadAndReconcileMetrics() {
        TestCluster.admin().resource(Watches.pod(NS, "m1", Map.of("app", "m"))).create();
        Watches.createReady(Watches.resourceWatch(NS, "m", "pods", Map.of("app", "m")));
        TestCluster.admin().resource(Watches.pod(NS, "m2", Map.of("app", "m"))).create();
        given().header("Authorization", "Bearer " + TestCluster.ADMIN_TOKEN)
                .get("/api/v1alpha1/namespaces/" + NS + "/resourcewatches/m/items").then().statusCode(200);

        String labels = "namespace=\"" + NS + "\",resource=\"pods\"";
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
            String metrics = given().get("/q/metrics").then().statusCode(200).extract().asString();
            assertThat(metrics)
                    .containsPattern("(?m)^watchkeeper_informers_active(\\{[^}]*})? [1-9]")
                    .contains("watchkeeper_informer_consumers{" + labels + "} 1.0")
                    .contains("watchkeeper_informer_cache_items{" + labels + "} 2.0")
                    .contains("watchkeeper_informer_synced{" + labels + "} 1.0")
                    .contains("watchkeeper_informer_events_total{" + labels + ",type=\"added\"} 2.0")
                    .containsPattern("watchkeeper_informer_last_event_timestamp_seconds\\{" + labels + "} 1\\.[0-9]+E9")
                    .containsPattern("watchkeeper_cache_reads_total\\{namespace=\"" + NS + "\",operation=\"list\",resource=\"pods\"} [1-9]")
                    .containsPattern("watchkeeper_build_info\\{commit=\"[^\"]+\",version=\"[^\"]+\"} 1.0")
                    .containsPattern("reconciliations_started_total\\{controller_name=\"resourcewatch\"} [1-9]")
                    .doesNotContain("name=\"m1\"");
        });
    }

    @Test
    void shouldBeReadyWhenInformersHaveSynced() {
        given().get("/q/health/ready").then().statusCode(200);
        given().get("/q/health/live").then().statusCode(200);
    }
}
