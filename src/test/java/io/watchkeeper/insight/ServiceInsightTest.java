package io.watchkeeper.insight;

import static io.restassured.RestAssured.given;
import static io.watchkeeper.insight.Insight.events;
import static io.watchkeeper.insight.Insight.metric;
import static io.watchkeeper.insight.Insight.serviceInsight;
import static io.watchkeeper.insight.Insight.status;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.containsString;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;

import io.fabric8.kubernetes.api.model.Event;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;
import io.watchkeeper.testing.AuditLog;
import io.watchkeeper.testing.ControlPlaneResource;
import io.watchkeeper.testing.TestCluster;

/** Service insight against a real API server: states, transitions, Events, metrics, the reads, and no reads of its own. */
@QuarkusTest
@QuarkusTestResource(ControlPlaneResource.class)
class ServiceInsightTest {

    private static final Duration WAIT = Duration.ofSeconds(30);

    @Test
    void shouldFollowAServiceThroughEveryStateWithOneEventPerTransition() {
        String ns = TestCluster.namespace("insight-svc");
        Insight.service(ns, "shop", Map.of("app", "shop"));

        // nothing matches
        await().atMost(WAIT).untilAsserted(() -> {
            assertState(ns, "shop", "NoMatchingPods", 0, 0);
            assertThat(events(ns, "shop", "NoMatchingPods")).singleElement().satisfies(e -> {
                assertThat(e.getType()).isEqualTo("Warning");
                assertThat(e.getInvolvedObject().getKind()).isEqualTo("Service");
            });
            assertThat(metric("watchkeeper_services{namespace=\"" + ns + "\",state=\"NoMatchingPods\"}")).hasValue(1.0);
        });

        // a pod that is not ready yet
        Insight.pod(ns, "shop-1", Map.of("app", "shop"));
        await().atMost(WAIT).untilAsserted(() -> {
            assertState(ns, "shop", "NoReadyPods", 1, 0);
            assertThat(events(ns, "shop", "NoReadyPods")).singleElement().extracting(Event::getType).isEqualTo("Warning");
        });

        // it becomes ready
        status(ns, "shop-1", PodStatuses.running(true, 0));
        await().atMost(WAIT).untilAsserted(() -> {
            JsonPath insight = assertState(ns, "shop", "Ready", 1, 1);
            assertThat(insight.getList("pods.name")).containsExactly("shop-1");
            assertThat(insight.getString("since")).isNotBlank();
            assertThat(events(ns, "shop", "Recovered")).singleElement().extracting(Event::getType).isEqualTo("Normal");
            assertThat(metric("watchkeeper_service_selected_pods{namespace=\"" + ns + "\",service=\"shop\"}")).hasValue(1.0);
            assertThat(metric("watchkeeper_service_ready_pods{namespace=\"" + ns + "\",service=\"shop\"}")).hasValue(1.0);
            assertThat(metric("watchkeeper_services{namespace=\"" + ns + "\",state=\"NoMatchingPods\"}")).hasValue(0.0);
        });

        // a second pod, not ready: partially ready, no Event
        Insight.pod(ns, "shop-2", Map.of("app", "shop"));
        await().atMost(WAIT).untilAsserted(() -> assertState(ns, "shop", "PartiallyReady", 2, 1));

        // the ready pod is deleted: it leaves the Service, which has no ready pod again
        TestCluster.admin().pods().inNamespace(ns).withName("shop-1").withGracePeriod(0).delete();
        await().atMost(WAIT).untilAsserted(() -> {
            JsonPath insight = assertState(ns, "shop", "NoReadyPods", 1, 0);
            assertThat(insight.getList("pods.name")).containsExactly("shop-2");
            // the same transition again updates its Event rather than adding one
            assertThat(events(ns, "shop", "NoReadyPods")).singleElement().extracting(Event::getCount).isEqualTo(2);
            assertThat(Insight.problems(ns).getList("services.name")).containsExactly("shop");
        });

        // the selector changes: judged again against other pods
        TestCluster.admin().services().inNamespace(ns).withName("shop").edit(s -> {
            s.getSpec().setSelector(Map.of("app", "elsewhere"));
            return s;
        });
        await().atMost(WAIT).untilAsserted(() -> assertState(ns, "shop", "NoMatchingPods", 0, 0));
        assertThat(events(ns, "shop", "PartiallyReady")).isEmpty();
        assertThat(events(ns, "shop", "Ready")).isEmpty();
    }

    @Test
    void shouldLeaveServicesWithoutASelectorAlone() {
        String ns = TestCluster.namespace("insight-headless");
        Insight.service(ns, "external", Map.of());
        await().atMost(WAIT).untilAsserted(() -> assertState(ns, "external", "NoSelector", 0, 0));
        assertThat(TestCluster.admin().v1().events().inNamespace(ns).list().getItems()).isEmpty();
        assertThat(Insight.problems(ns).getList("services")).isEmpty();
    }

    @Test
    void shouldAnswerOnlyCallersWhoMayListPodsAndServicesThere() {
        String ns = TestCluster.namespace("insight-authz");
        Insight.service(ns, "api", Map.of("app", "api"));
        await().atMost(WAIT).untilAsserted(() -> assertState(ns, "api", "NoMatchingPods", 0, 0));

        given().header("Authorization", "Bearer " + TestCluster.BOB.token()).get("/api/v1alpha1/namespaces/" + ns + "/services/api/insight")
                .then().statusCode(403).body("reason", org.hamcrest.Matchers.equalTo("Forbidden"));
        given().header("Authorization", "Bearer " + TestCluster.BOB.token()).queryParam("namespace", ns).get("/api/v1alpha1/problems")
                .then().statusCode(403);
        // across namespaces, bob sees only where he may list: nowhere
        JsonPath all = given().header("Authorization", "Bearer " + TestCluster.BOB.token()).get("/api/v1alpha1/problems")
                .then().statusCode(200).extract().jsonPath();
        assertThat(all.getList("services")).isEmpty();
        assertThat(all.getList("pods")).isEmpty();
        given().get("/api/v1alpha1/problems").then().statusCode(401);
        given().header("Authorization", "Bearer " + TestCluster.ADMIN_TOKEN).get("/api/v1alpha1/namespaces/" + ns + "/services/nope/insight")
                .then().statusCode(404).body("message", containsString("Service " + ns + "/nope is not in the cache"));
    }

    @Test
    void shouldReadNothingFromTheApiServerWhileEventsFlow() {
        String ns = TestCluster.namespace("insight-reads");
        int mark = AuditLog.entries(e -> true).size();

        Insight.service(ns, "web", Map.of("app", "web"));
        await().atMost(WAIT).untilAsserted(() -> assertState(ns, "web", "NoMatchingPods", 0, 0));
        for (int i = 1; i <= 3; i++) {
            Insight.pod(ns, "web-" + i, Map.of("app", "web"));
        }
        status(ns, "web-1", PodStatuses.running(true, 0));
        status(ns, "web-2", PodStatuses.waiting("CrashLoopBackOff", 3, "Error"));
        TestCluster.admin().pods().inNamespace(ns).withName("web-3").withGracePeriod(0).delete();
        await().atMost(WAIT).untilAsserted(() -> {
            assertState(ns, "web", "PartiallyReady", 2, 1);
            assertThat(Insight.problemOf(ns, "web-2")).isEqualTo("CrashLoopBackOff");
        });
        TestCluster.admin().services().inNamespace(ns).withName("web").edit(s -> {
            s.getSpec().setSelector(Map.of("app", "none"));
            return s;
        });
        await().atMost(WAIT).untilAsserted(() -> {
            assertState(ns, "web", "NoMatchingPods", 0, 0);
            // NoMatchingPods a second time: the Event exists (in the operator's cache of its Events), so it is updated,
            // without reading it first
            assertThat(events(ns, "web", "NoMatchingPods")).singleElement().extracting(Event::getCount).isEqualTo(2);
        });

        List<JsonNode> since = AuditLog.entries(e -> true).stream().skip(mark).toList();
        // the audit log does see the operator's requests here: its Event writes
        assertThat(since).anyMatch(e -> "create".equals(e.path("verb").asText()) && "events".equals(e.path("objectRef").path("resource").asText())
                && ns.equals(e.path("objectRef").path("namespace").asText()));
        assertThat(since).anyMatch(e -> "update".equals(e.path("verb").asText()) && "events".equals(e.path("objectRef").path("resource").asText())
                && ns.equals(e.path("objectRef").path("namespace").asText()));
        // and no read of a pod, a service or an event, in this namespace or across all of them
        assertThat(since).filteredOn(e -> List.of("get", "list").contains(e.path("verb").asText()))
                .filteredOn(e -> List.of("pods", "services", "endpoints", "events").contains(e.path("objectRef").path("resource").asText()))
                .filteredOn(e -> !e.path("objectRef").has("namespace") || ns.equals(e.path("objectRef").path("namespace").asText()))
                .extracting(e -> e.path("verb").asText() + " " + e.path("requestURI").asText())
                .isEmpty();
    }

    private static JsonPath assertState(String ns, String service, String state, int selected, int ready) {
        JsonPath insight = serviceInsight(ns, service);
        assertThat(insight.getString("state")).isEqualTo(state);
        assertThat(insight.getInt("selectedPods")).as("selected pods").isEqualTo(selected);
        assertThat(insight.getInt("readyPods")).as("ready pods").isEqualTo(ready);
        return insight;
    }
}
