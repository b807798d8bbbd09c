package io.watchkeeper.stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.URI;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;

import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.watchkeeper.testing.ControlPlaneResource;
import io.watchkeeper.testing.TestCluster;
import io.watchkeeper.testing.Watches;

/**
 * An API server restart drops every watch; each informer must resume (or relist) and each stream subscription must
 * follow it: it ends up holding exactly what the API server holds, is never ended for a discovery hiccup, and is never
 * left on an informer that no longer gets changes.
 */
@QuarkusTest
@QuarkusTestResource(ControlPlaneResource.class)
class StreamApiServerRestartTest {

    private static final String NS = TestCluster.namespace("stream-apiserver-restart");

    @TestHTTPResource("/api/v1alpha1/stream")
    URI stream;

    @Test
    void shouldFollowItsInformerThroughAnApiServerRestart() throws Exception {
        for (int i = 0; i < 3; i++) {
            TestCluster.admin().resource(configMap("before-" + i)).create();
        }
        Watches.createReady(Watches.resourceWatch(NS, "maps", "configmaps", Map.of("app", "r")));

        try (StreamConnection c = new StreamConnection(stream)) {
            c.auth(TestCluster.ADMIN_TOKEN).next(Duration.ofSeconds(15));
            c.send("{\"type\":\"SUBSCRIBE\",\"id\":\"m\",\"watch\":{\"namespace\":\"" + NS + "\",\"name\":\"maps\"}}");
            ClientView view = new ClientView();
            List<JsonNode> errors = new java.util.ArrayList<>();
            assertThat(view.apply(c.next(Duration.ofSeconds(15)))).isEqualTo("SNAPSHOT");
            assertThat(view.objects()).isEqualTo(truth()).hasSize(3);

            // when the API server restarts, and objects change while it was down and after it is back
            TestCluster.controlPlane().restartApiServer();
            TestCluster.admin().configMaps().inNamespace(NS).withName("before-1").delete();
            TestCluster.admin().resource(configMap("after")).create();

            // then the subscription converges on what the API server holds, without an error
            await().atMost(Duration.ofSeconds(90)).untilAsserted(() -> {
                JsonNode m;
                while ((m = c.poll()) != null) {
                    if ("ERROR".equals(view.apply(m))) {
                        errors.add(m);
                    }
                }
                assertThat(errors).as("errors on the subscription").isEmpty();
                assertThat(view.objects()).isEqualTo(truth());
            });
            // and it got there through the informer's own watch coming back (counted by the request interceptor)
            String series = "watchkeeper_informer_watch_restarts_total{namespace=\"" + NS + "\",resource=\"configmaps\"}";
            assertThat(io.watchkeeper.testing.OperatorMetrics.value(series).orElse(0)).as(series).isPositive();
        }
    }

    /**
     * While the API server is down, a caller whose token and rights were checked before keeps reading from the cache
     * (the decision cache lives 1 s in the test profile; the reads go on for 3 s), where a new caller gets 503.
     */
    @Test
    void shouldKeepAnsweringReadsFromTheCacheWhileTheApiServerIsDown() throws Exception {
        TestCluster.admin().resource(new ConfigMapBuilder().withNewMetadata().withNamespace(NS).withName("read-0")
                .addToLabels("app", "reads").endMetadata().build()).create();
        Watches.createReady(Watches.resourceWatch(NS, "reads", "configmaps", Map.of("app", "reads")));
        String items = "/api/v1alpha1/namespaces/" + NS + "/resourcewatches/reads/items";
        io.restassured.RestAssured.given().header("Authorization", "Bearer " + TestCluster.ADMIN_TOKEN).get(items).then().statusCode(200);

        java.util.List<Integer> whileDown = new java.util.ArrayList<>();
        String neverSeen = "never-seen-before";
        TestCluster.controlPlane().restartApiServer(() -> {
            long until = System.nanoTime() + Duration.ofSeconds(3).toNanos();
            do {
                whileDown.add(io.restassured.RestAssured.given().header("Authorization", "Bearer " + TestCluster.ADMIN_TOKEN)
                        .get(items).then().extract().statusCode());
            } while (System.nanoTime() < until);
            whileDown.add(io.restassured.RestAssured.given().header("Authorization", "Bearer " + neverSeen).get(items).then()
                    .extract().statusCode());
        });
        // (asserted once the API server is back, so that a failure leaves the test bed whole for the other tests)
        assertThat(whileDown.subList(0, whileDown.size() - 1)).as("reads of a known caller while the API server was down")
                .isNotEmpty().containsOnly(200);
        assertThat(whileDown.get(whileDown.size() - 1)).as("a caller the API server never answered for").isEqualTo(503);
    }

    private static Map<String, String> truth() {
        Map<String, String> out = new HashMap<>();
        for (HasMetadata o : TestCluster.admin().configMaps().inNamespace(NS).withLabel("app", "r").list().getItems()) {
            out.put(o.getMetadata().getUid(), o.getMetadata().getResourceVersion());
        }
        return out;
    }

    private static HasMetadata configMap(String name) {
        return new ConfigMapBuilder().withNewMetadata().withNamespace(NS).withName(name).addToLabels("app", "r").endMetadata()
                .addToData("k", "v").build();
    }
}
