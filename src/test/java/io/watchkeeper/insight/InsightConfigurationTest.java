package io.watchkeeper.insight;

import static io.restassured.RestAssured.given;
import static io.watchkeeper.insight.Insight.status;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.containsString;

import java.time.Duration;
import java.util.Map;

import jakarta.inject.Inject;

import org.junit.jupiter.api.Test;

import io.javaoperatorsdk.operator.Operator;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.restassured.path.json.JsonPath;
import io.watchkeeper.informer.InformerHub;
import io.watchkeeper.testing.ControlPlaneResource;
import io.watchkeeper.testing.TestCluster;

/** Insight configured down: one namespace, the Pod reconciler off. The Service reconciler then reads the hub's own pod informer. */
@QuarkusTest
@QuarkusTestResource(ControlPlaneResource.class)
@TestProfile(InsightConfigurationTest.OneNamespaceServicesOnly.class)
class InsightConfigurationTest {

    static final String NS = "insight-scope";

    public static class OneNamespaceServicesOnly implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("watchkeeper.insight.namespaces", NS, "watchkeeper.insight.pods.enabled", "false");
        }
    }

    @Inject
    Operator operator;

    @Inject
    InformerHub hub;

    @Test
    void shouldRunOnlyWhatIsTurnedOnAndOnlyWhereItIsPointed() {
        TestCluster.namespace(NS);
        String elsewhere = TestCluster.namespace("insight-elsewhere");
        Insight.service(NS, "shop", Map.of("app", "shop"));
        Insight.pod(NS, "shop-1", Map.of("app", "shop"));
        Insight.pod(NS, "crasher", Map.of("app", "crasher"));
        status(NS, "crasher", PodStatuses.waiting("CrashLoopBackOff", 3, "Error"));
        status(NS, "shop-1", PodStatuses.running(true, 0));
        Insight.service(elsewhere, "other", Map.of("app", "other"));

        assertThat(operator.getRegisteredController("pod-insight")).isEmpty();
        assertThat(operator.getRegisteredController("service-insight")).isPresent();
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
            JsonPath insight = Insight.serviceInsight(NS, "shop");
            assertThat(insight.getString("state")).isEqualTo("Ready");
            assertThat(insight.getInt("readyPods")).isEqualTo(1);
        });
        assertThat(hub.informers()).filteredOn(i -> i.key().resource().equals("pods"))
                .singleElement().satisfies(i -> {
                    assertThat(i.key().toString()).isEqualTo("v1/pods ns=" + NS);
                    assertThat(i.adopted()).as("the hub's own informer, the Pod reconciler being off").isFalse();
                });
        assertThat(Insight.problems(NS).getList("pods")).isEmpty();
        assertThat(Insight.events(NS, "crasher", "CrashLoopBackOff")).isEmpty();
        given().header("Authorization", "Bearer " + TestCluster.ADMIN_TOKEN)
                .get("/api/v1alpha1/namespaces/" + elsewhere + "/services/other/insight").then().statusCode(404)
                .body("message", containsString("outside what the insight reconcilers watch (" + NS));
    }
}
