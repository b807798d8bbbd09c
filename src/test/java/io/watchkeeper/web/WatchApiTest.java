package io.watchkeeper.web;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.notNullValue;

import java.net.URI;
import java.net.URL;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.StreamSupport;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.api.model.rbac.PolicyRuleBuilder;
import io.fabric8.kubernetes.api.model.rbac.RoleBindingBuilder;
import io.fabric8.kubernetes.api.model.rbac.RoleBuilder;
import io.netty.buffer.ByteBufAllocator;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.watchkeeper.testing.ControlPlaneResource;
import io.watchkeeper.testing.Kubectl;
import io.watchkeeper.testing.TestCluster;
import io.watchkeeper.testing.Watches;

/** Reads over HTTP: what kubectl would return for the same question, and only for callers with the right to it. */
@QuarkusTest
@QuarkusTestResource(ControlPlaneResource.class)
class WatchApiTest {

    private static final String NS = TestCluster.namespace("api");
    private static final String ITEMS = "/api/v1alpha1/namespaces/" + NS + "/resourcewatches/web/items";
    private static final ObjectMapper JSON = new ObjectMapper();

    @BeforeAll
    static void createObjectsWatchesAndRights() {
        for (String name : List.of("web-a", "web-b")) {
            TestCluster.admin().resource(Watches.pod(NS, name, Map.of("app", "web", "tier", name.equals("web-a") ? "front" : "back"))).create();
        }
        TestCluster.admin().resource(Watches.pod(NS, "db-a", Map.of("app", "db"))).create();
        TestCluster.admin().resource(new SecretBuilder().withNewMetadata().withNamespace(NS).withName("creds").endMetadata()
                .addToStringData("password", "hunter2").build()).create();
        // alice may list pods, secrets and limitranges in this namespace, and see its watches; bob may do nothing
        TestCluster.admin().resource(new RoleBuilder().withNewMetadata().withNamespace(NS).withName("reader").endMetadata()
                .withRules(new PolicyRuleBuilder().withApiGroups("").withResources("pods", "secrets", "limitranges").withVerbs("get", "list").build(),
                        new PolicyRuleBuilder().withApiGroups("watchkeeper.io").withResources("resourcewatches").withVerbs("get", "list").build())
                .build()).create();
        TestCluster.admin().resource(new RoleBindingBuilder().withNewMetadata().withNamespace(NS).withName("alice-reader").endMetadata()
                .withNewRoleRef("rbac.authorization.k8s.io", "Role", "reader")
                .addNewSubject().withKind("User").withName("alice").withApiGroup("rbac.authorization.k8s.io").endSubject().build()).create();

        Watches.create(Watches.resourceWatch(NS, "web", "pods", Map.of("app", "web")));
        Watches.create(Watches.resourceWatch(NS, "secrets", "secrets", null));
        Watches.create(Watches.resourceWatch(NS, "limits", "limitranges", null));
        await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
            assertThat(Watches.ready(Watches.get(NS, "web"))).hasValueSatisfying(c -> assertThat(c.getStatus()).isEqualTo("True"));
            assertThat(Watches.ready(Watches.get(NS, "secrets"))).hasValueSatisfying(c -> assertThat(c.getStatus()).isEqualTo("True"));
            assertThat(Watches.ready(Watches.get(NS, "limits"))).hasValueSatisfying(c -> assertThat(c.getReason()).isEqualTo("Forbidden"));
        });
    }

    @Test
    void shouldListWhatKubectlListsForTheSameQuestion() throws Exception {
        JsonNode kubectl = JSON.readTree(Kubectl.run("get", "pods", "-n", NS, "-l", "app=web", "-o", "json"));

        String body = given().header("Authorization", "Bearer " + TestCluster.ALICE.token()).when().get(ITEMS)
                .then().statusCode(200).body("kind", equalTo("PodList")).body("apiVersion", equalTo("v1"))
                .body("metadata.resourceVersion", notNullValue()).extract().asString();

        JsonNode ours = JSON.readTree(body);
        assertThat(identities(ours)).isEqualTo(identities(kubectl)).hasSize(2);
        // the cache drops managedFields
        assertThat(ours.path("items").get(0).path("metadata").has("managedFields")).isFalse();
    }

    /**
     * A read is answered on the event loop when the caller's rights were decided lately and the answer is short, else
     * on a worker thread: the same answer either way, and an answer longer than the event loop writes comes whole.
     */
    @Test
    void shouldAnswerAlikeOnTheEventLoopAndOnAWorkerAndLongListsWhole() throws Exception {
        String ns = TestCluster.namespace("api-many"); // its own: the watches of NS are counted elsewhere
        TestCluster.admin().resource(new RoleBuilder().withNewMetadata().withNamespace(ns).withName("reader").endMetadata()
                .withRules(new PolicyRuleBuilder().withApiGroups("").withResources("configmaps").withVerbs("list").build()).build()).create();
        TestCluster.admin().resource(new RoleBindingBuilder().withNewMetadata().withNamespace(ns).withName("alice-reader").endMetadata()
                .withNewRoleRef("rbac.authorization.k8s.io", "Role", "reader")
                .addNewSubject().withKind("User").withName("alice").withApiGroup("rbac.authorization.k8s.io").endSubject().build()).create();
        int many = WatchApi.EVENT_LOOP_BYTES / 8192 + 10; // 8 KB each: more than the event loop writes
        String data = "x".repeat(8192);
        for (int i = 0; i < many; i++) {
            TestCluster.admin().resource(new ConfigMapBuilder().withNewMetadata().withNamespace(ns).withName("many-" + i)
                    .addToLabels(Map.of("batch", "many", "n", String.valueOf(i))).endMetadata().addToData("i", String.valueOf(i)).addToData("pad", data).build()).create();
        }
        Watches.create(Watches.resourceWatch(ns, "many", "configmaps", Map.of("batch", "many")));
        String items = "/api/v1alpha1/namespaces/" + ns + "/resourcewatches/many/items";
        await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> given().header("Authorization", "Bearer " + TestCluster.ADMIN_TOKEN)
                .when().get(items).then().statusCode(200));

        double worker = reads("worker");
        double eventLoop = reads("event-loop");
        // alice's right to list configmaps here is not decided yet: her first read asks the API server, on a worker
        String first = given().header("Authorization", "Bearer " + TestCluster.ALICE.token()).queryParam("labelSelector", "n=7")
                .when().get(items).then().statusCode(200).extract().asString();
        assertThat(reads("worker")).isEqualTo(worker + 1);
        assertThat(reads("event-loop")).isEqualTo(eventLoop);
        String again = given().header("Authorization", "Bearer " + TestCluster.ALICE.token()).queryParam("labelSelector", "n=7")
                .when().get(items).then().statusCode(200).extract().asString();
        assertThat(reads("event-loop")).as("decided now: on the event loop").isEqualTo(eventLoop + 1);
        assertThat(again).isEqualTo(first);
        assertThat(JSON.readTree(first).path("items").get(0).path("data").path("i").asText()).isEqualTo("7");

        JsonNode all = JSON.readTree(given().header("Authorization", "Bearer " + TestCluster.ALICE.token()).when().get(items)
                .then().statusCode(200).extract().asString());
        JsonNode server = JSON.readTree(TestCluster.admin().getKubernetesSerialization().asJson(
                TestCluster.admin().configMaps().inNamespace(ns).withLabel("batch", "many").list()));
        assertThat(identities(all)).hasSize(many).isEqualTo(identities(server));
        assertThat(all.toString().length()).isGreaterThan(WatchApi.EVENT_LOOP_BYTES);
        assertThat(reads("worker")).as("too long for the event loop").isEqualTo(worker + 2);
        assertThat(reads("event-loop")).isEqualTo(eventLoop + 1);
    }

    /**
     * An answer written on the event loop is in pooled memory, which the response gives back once sent: over HTTP/1.1 and
     * over h2c alike. A HEAD is checked and read but never written: it takes none. Each request is sent right after
     * alice's rights were decided (they are kept for a second in tests) and checked to have been answered on the event
     * loop, so that a slow machine cannot turn this into a test of the worker's heap answers.
     */
    @Test
    void shouldGiveEveryPooledAnswerBackOverHttp11AndH2cAndTakeNoneForAHead() throws Exception {
        JsonAnswerTest.Recording chunks = new JsonAnswerTest.Recording();
        ByteBufAllocator before = JsonAnswer.takeChunksFrom(chunks);
        URI items = URI.create(base.toString().replaceAll("/$", "") + ITEMS);
        String expected = given().header("Authorization", "Bearer " + TestCluster.ALICE.token()).when().get(ITEMS)
                .then().statusCode(200).extract().asString();
        HttpClient h1 = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        HttpClient h2 = HttpClient.newBuilder().version(HttpClient.Version.HTTP_2).build();
        try {
            for (HttpClient client : List.of(h1, h2, h2)) { // h2c: the first request upgrades the connection, the next is HTTP/2
                int taken = chunks.taken();
                HttpResponse<String> get = onTheEventLoop(client, HttpRequest.newBuilder(items).GET());
                assertThat(get.statusCode()).isEqualTo(200);
                assertThat(JSON.readTree(get.body()).path("items")).isEqualTo(JSON.readTree(expected).path("items"));
                assertThat(chunks.taken()).as("pooled").isGreaterThan(taken);
                if (client == h2) {
                    assertThat(get.version()).isEqualTo(HttpClient.Version.HTTP_2);
                }
            }
            for (HttpClient client : List.of(h1, h2)) {
                int taken = chunks.taken();
                HttpResponse<String> head = onTheEventLoop(client, HttpRequest.newBuilder(items).method("HEAD", HttpRequest.BodyPublishers.noBody()));
                assertThat(head.statusCode()).isEqualTo(200);
                assertThat(head.body()).isEmpty();
                assertThat(chunks.taken()).as("a HEAD's answer is never sent: nothing pooled for it").isEqualTo(taken);
            }
            await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(chunks.allGivenBack()).isTrue());
        } finally {
            JsonAnswer.takeChunksFrom(before);
        }
    }

    /** Alice's {@code request}, sent right after her rights were decided, again until it was answered on the event loop. */
    private static HttpResponse<String> onTheEventLoop(HttpClient client, HttpRequest.Builder builder) throws Exception {
        HttpRequest request = builder.header("Authorization", "Bearer " + TestCluster.ALICE.token()).build();
        for (int attempt = 0; attempt < 20; attempt++) {
            given().header("Authorization", "Bearer " + TestCluster.ALICE.token()).when().head(ITEMS).then().statusCode(200);
            double eventLoop = reads("event-loop");
            HttpResponse<String> answer = client.send(request, HttpResponse.BodyHandlers.ofString());
            if (reads("event-loop") == eventLoop + 1) {
                return answer;
            }
        }
        throw new AssertionError("no read was answered on the event loop in 20 attempts, each right after the caller's rights were decided");
    }

    @TestHTTPResource("/")
    URL base;

    /** {@code watchkeeper_api_item_reads_total} for where reads were answered. */
    private static double reads(String thread) {
        return given().get("/q/metrics").then().statusCode(200).extract().asString().lines()
                .filter(l -> l.startsWith("watchkeeper_api_item_reads_total{") && l.contains("thread=\"" + thread + "\""))
                .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1))).sum();
    }

    @Test
    void shouldNarrowByLabelSelectorAndGetOneObject() {
        given().header("Authorization", "Bearer " + TestCluster.ALICE.token()).queryParam("labelSelector", "tier in (front)")
                .when().get(ITEMS).then().statusCode(200).body("items.metadata.name", equalTo(List.of("web-a")));
        given().header("Authorization", "Bearer " + TestCluster.ALICE.token()).when().get(ITEMS + "/" + NS + "/web-b")
                .then().statusCode(200).body("metadata.name", equalTo("web-b")).body("metadata.labels.tier", equalTo("back"));
        given().header("Authorization", "Bearer " + TestCluster.ALICE.token()).when().get(ITEMS + "/" + NS + "/db-a")
                .then().statusCode(404).body("kind", equalTo("Status")).body("reason", equalTo("NotFound"));
        given().header("Authorization", "Bearer " + TestCluster.ALICE.token()).queryParam("labelSelector", "tier in (front")
                .when().get(ITEMS).then().statusCode(400).body("reason", equalTo("BadRequest"));
    }

    @Test
    void shouldRedactSecretValues() {
        given().header("Authorization", "Bearer " + TestCluster.ALICE.token())
                .when().get("/api/v1alpha1/namespaces/" + NS + "/resourcewatches/secrets/items/" + NS + "/creds")
                .then().statusCode(200).body("data.password", equalTo("")).body("metadata.annotations", org.hamcrest.Matchers.hasKey("watchkeeper.io/redacted"));
    }

    @Test
    void shouldRefuseCallersWithoutAValidTokenOrTheRight() {
        given().when().get(ITEMS).then().statusCode(401).body("reason", equalTo("Unauthorized"));
        given().header("Authorization", "Bearer not-a-token").when().get(ITEMS).then().statusCode(401);
        given().header("Authorization", "Bearer " + TestCluster.BOB.token()).when().get(ITEMS).then().statusCode(403)
                .body("message", equalTo("User \"bob\" cannot list pods in namespace " + NS + "."));
        given().header("Authorization", "Bearer " + TestCluster.BOB.token()).when().get(ITEMS + "/" + NS + "/web-a").then().statusCode(403);
    }

    @Test
    void shouldServeClusterWatchesOnlyToCallersWithClusterWideRights() {
        TestCluster.admin().resource(Watches.clusterWatch("api-pods", "pods", List.of(NS))).create();
        await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> given().header("Authorization", "Bearer " + TestCluster.ADMIN_TOKEN)
                .when().get("/api/v1alpha1/clusterresourcewatches/api-pods/items").then().statusCode(200)
                .body("items.metadata.name", equalTo(List.of("db-a", "web-a", "web-b"))));
        // alice may list pods in this namespace, which is all this cluster watch covers
        given().header("Authorization", "Bearer " + TestCluster.ALICE.token()).when().get("/api/v1alpha1/clusterresourcewatches/api-pods/items/"
                + NS + "/db-a").then().statusCode(200).body("metadata.name", equalTo("db-a"));
        given().header("Authorization", "Bearer " + TestCluster.BOB.token()).when().get("/api/v1alpha1/clusterresourcewatches/api-pods/items")
                .then().statusCode(403);
        TestCluster.admin().resource(Watches.clusterWatch("api-everywhere", "pods", List.of())).create();
        await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> given().header("Authorization", "Bearer " + TestCluster.ALICE.token())
                .when().get("/api/v1alpha1/clusterresourcewatches/api-everywhere/items").then().statusCode(403)
                .body("message", equalTo("User \"alice\" cannot list pods cluster-wide.")));
    }

    @Test
    void shouldAnswer503WithRetryAfterWhileTheCacheIsNotSynced() {
        given().header("Authorization", "Bearer " + TestCluster.ALICE.token())
                .when().get("/api/v1alpha1/namespaces/" + NS + "/resourcewatches/limits/items")
                .then().statusCode(503).header("Retry-After", notNullValue()).body("reason", equalTo("NotSynced"));
    }

    @Test
    void shouldListOnlyTheWatchesTheCallerMaySee() {
        given().header("Authorization", "Bearer " + TestCluster.ALICE.token()).when().get("/api/v1alpha1/watches")
                .then().statusCode(200).body("items.findAll { it.namespace == '" + NS + "' }.name", equalTo(List.of("limits", "secrets", "web")));
        given().header("Authorization", "Bearer " + TestCluster.BOB.token()).when().get("/api/v1alpha1/watches")
                .then().statusCode(200).body("items", equalTo(List.of()));
    }

    private static List<String> identities(JsonNode list) {
        return StreamSupport.stream(list.path("items").spliterator(), false)
                .map(i -> i.path("metadata").path("name").asText() + "@" + i.path("metadata").path("resourceVersion").asText()
                        + "#" + i.path("metadata").path("uid").asText())
                .sorted().toList();
    }
}
