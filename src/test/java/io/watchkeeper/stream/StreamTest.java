package io.watchkeeper.stream;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;

import io.fabric8.kubernetes.api.model.PodBuilder;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.watchkeeper.testing.ControlPlaneResource;
import io.watchkeeper.testing.TestCluster;
import io.watchkeeper.testing.Watches;

/** The stream protocol against the real API server: snapshot, order, bookmarks, resume, and who may subscribe. */
@QuarkusTest
@QuarkusTestResource(ControlPlaneResource.class)
class StreamTest {

    private static final String NS = TestCluster.namespace("stream");
    private static final Duration WAIT = Duration.ofSeconds(15);

    @TestHTTPResource("/api/v1alpha1/stream")
    URI stream;

    @BeforeAll
    static void watchTwoPods() {
        TestCluster.admin().resource(Watches.pod(NS, "s1", Map.of("app", "s"))).create();
        TestCluster.admin().resource(Watches.pod(NS, "s2", Map.of("app", "s"))).create();
        Watches.createReady(Watches.resourceWatch(NS, "s", "pods", Map.of("app", "s")));
    }

    @Test
    void shouldSendASnapshotThenEveryChangeInOrderThenBookmarks() throws Exception {
        try (StreamConnection c = new StreamConnection(stream)) {
            assertThat(c.auth(TestCluster.ADMIN_TOKEN).next(WAIT).path("type").asText()).isEqualTo("READY");
            c.send(subscribe("a", null));

            JsonNode snapshot = c.next(WAIT);
            assertThat(snapshot.path("type").asText()).isEqualTo("SNAPSHOT");
            assertThat(snapshot.path("id").asText()).isEqualTo("a");
            assertThat(snapshot.path("items").findValuesAsText("name")).contains("s1", "s2");

            TestCluster.admin().resource(Watches.pod(NS, "s3", Map.of("app", "s"))).create();
            TestCluster.admin().pods().inNamespace(NS).withName("s3").edit(p -> new PodBuilder(p).editMetadata()
                    .addToLabels("step", "two").endMetadata().build());
            TestCluster.admin().pods().inNamespace(NS).withName("s3").withGracePeriod(0).delete();

            JsonNode added = c.nextChange(WAIT);
            JsonNode modified = c.nextChange(WAIT);
            JsonNode deleted = c.nextChange(WAIT);
            while ("MODIFIED".equals(deleted.path("type").asText())) { // the API server may first mark it as being deleted
                assertThat(deleted.path("object").path("metadata").has("deletionTimestamp")).isTrue();
                deleted = c.nextChange(WAIT);
            }
            assertThat(added.path("type").asText()).isEqualTo("ADDED");
            assertThat(added.path("object").path("metadata").path("name").asText()).isEqualTo("s3");
            assertThat(modified.path("type").asText()).isEqualTo("MODIFIED");
            assertThat(modified.path("object").path("metadata").path("labels").path("step").asText()).isEqualTo("two");
            assertThat(deleted.path("type").asText()).isEqualTo("DELETED");
            // in the API server's order; each message with its own position to resume from
            assertThat(Long.parseLong(modified.path("object").path("metadata").path("resourceVersion").asText()))
                    .isGreaterThan(Long.parseLong(added.path("object").path("metadata").path("resourceVersion").asText()));
            assertThat(List.of(snapshot, added, modified, deleted)).extracting(m -> m.path("resourceVersion").asText())
                    .doesNotHaveDuplicates().allSatisfy(rv -> assertThat(rv).isNotEmpty());

            // nothing changed since the DELETED: the bookmark is current at its position
            JsonNode bookmark;
            do {
                bookmark = c.next(Duration.ofSeconds(5));
            } while (!"BOOKMARK".equals(bookmark.path("type").asText()));
            assertThat(bookmark.path("resourceVersion").asText()).isEqualTo(deleted.path("resourceVersion").asText());

            String metrics = io.restassured.RestAssured.given().get("/q/metrics").then().statusCode(200).extract().asString();
            assertThat(metrics).containsPattern("(?m)^watchkeeper_stream_clients(\\{[^}]*})? [1-9]")
                    .containsPattern("(?m)^watchkeeper_stream_subscriptions(\\{[^}]*})? [1-9]")
                    .containsPattern("watchkeeper_stream_messages_total\\{message=\"SNAPSHOT\"} [1-9]")
                    .containsPattern("watchkeeper_stream_messages_total\\{message=\"BOOKMARK\"} [1-9]");
        }
    }

    @Test
    void shouldResumeFromTheLastResourceVersionWithoutANewSnapshot() throws Exception {
        String last;
        try (StreamConnection c = new StreamConnection(stream)) {
            c.auth(TestCluster.ADMIN_TOKEN).next(WAIT);
            c.send(subscribe("a", null));
            c.next(WAIT); // SNAPSHOT
            TestCluster.admin().resource(Watches.pod(NS, "r1", Map.of("app", "s"))).create();
            JsonNode added = c.nextChange(WAIT);
            assertThat(added.path("object").path("metadata").path("name").asText()).isEqualTo("r1");
            last = added.path("resourceVersion").asText();
        }
        // while away
        TestCluster.admin().resource(Watches.pod(NS, "r2", Map.of("app", "s"))).create();

        try (StreamConnection c = new StreamConnection(stream)) {
            c.auth(TestCluster.ADMIN_TOKEN).next(WAIT);
            c.send(subscribe("a", last));
            JsonNode resumed = c.next(WAIT);
            assertThat(resumed.path("type").asText()).isEqualTo("RESUMED");
            assertThat(resumed.path("resourceVersion").asText()).isEqualTo(last);
            JsonNode missed = c.nextChange(WAIT);
            assertThat(missed.path("type").asText()).isEqualTo("ADDED");
            assertThat(missed.path("object").path("metadata").path("name").asText()).isEqualTo("r2");
        }

        // from a resourceVersion the change log does not cover: a fresh snapshot, never a silent gap
        try (StreamConnection c = new StreamConnection(stream)) {
            c.auth(TestCluster.ADMIN_TOKEN).next(WAIT);
            c.send(subscribe("a", "1"));
            JsonNode snapshot = c.next(WAIT);
            assertThat(snapshot.path("type").asText()).isEqualTo("SNAPSHOT");
            assertThat(snapshot.path("items").findValuesAsText("name")).contains("r1", "r2");
        }
    }

    @Test
    void shouldContinueExactlyAfterAnHttpListFromItsResourceVersion() throws Exception {
        String listed = io.restassured.RestAssured.given().header("Authorization", "Bearer " + TestCluster.ADMIN_TOKEN)
                .get("/api/v1alpha1/namespaces/" + NS + "/resourcewatches/s/items").then().statusCode(200)
                .extract().path("metadata.resourceVersion");
        TestCluster.admin().resource(Watches.pod(NS, "after-list", Map.of("app", "s"))).create();
        try (StreamConnection c = new StreamConnection(stream)) {
            c.auth(TestCluster.ADMIN_TOKEN).next(WAIT);
            c.send(subscribe("l", listed));
            JsonNode resumed = c.next(WAIT);
            assertThat(resumed.path("type").asText()).isEqualTo("RESUMED");
            JsonNode added = c.nextChange(WAIT);
            assertThat(added.path("type").asText()).isEqualTo("ADDED");
            assertThat(added.path("object").path("metadata").path("name").asText()).isEqualTo("after-list");
        }
    }

    @Test
    void shouldLetCallersSubscribeOnlyToWhatTheyMayRead() throws Exception {
        try (StreamConnection c = new StreamConnection(stream)) {
            assertThat(c.auth(TestCluster.BOB.token()).next(WAIT).path("user").asText()).isEqualTo("bob");
            c.send(subscribe("mine", null));
            JsonNode refused = c.next(WAIT);
            assertThat(refused.path("type").asText()).isEqualTo("ERROR");
            assertThat(refused.path("id").asText()).isEqualTo("mine");
            assertThat(refused.path("code").asInt()).isEqualTo(403);
            assertThat(refused.path("message").asText()).contains("User \"bob\" cannot list pods in namespace " + NS);
            c.send("{\"type\":\"SUBSCRIBE\",\"id\":\"x\",\"watch\":{\"kind\":\"ResourceWatch\",\"namespace\":\"" + NS + "\",\"name\":\"nope\"}}");
            assertThat(c.next(WAIT).path("code").asInt()).as("the connection stays open").isEqualTo(404);
        }
        try (StreamConnection c = new StreamConnection(stream)) {
            c.send(subscribe("early", null));
            JsonNode refused = c.next(WAIT);
            assertThat(refused.path("code").asInt()).isEqualTo(401);
            assertThat(c.closed.get(WAIT.toSeconds(), TimeUnit.SECONDS)).isEqualTo(1008);
        }
        try (StreamConnection c = new StreamConnection(stream)) {
            c.auth("not-a-token");
            assertThat(c.next(WAIT).path("code").asInt()).isEqualTo(401);
            assertThat(c.closed.get(WAIT.toSeconds(), TimeUnit.SECONDS)).isEqualTo(1008);
        }
    }

    @Test
    void shouldCutOffAClientThatDoesNotReadWithoutSlowingTheOthers() throws Exception {
        String ns = TestCluster.namespace("stream-slow");
        String blob = "x".repeat(900_000);
        for (int i = 0; i < 10; i++) {
            TestCluster.admin().resource(new io.fabric8.kubernetes.api.model.ConfigMapBuilder().withNewMetadata().withNamespace(ns)
                    .withName("blob-" + i).endMetadata().addToData("blob", blob).build()).create();
        }
        Watches.createReady(Watches.resourceWatch(ns, "blobs", "configmaps", null));
        double droppedBefore = tooSlowDrops();

        try (StreamConnection fast = new StreamConnection(stream); StreamConnection slow = new StreamConnection(stream, false)) {
            fast.auth(TestCluster.ADMIN_TOKEN).next(WAIT);
            fast.send(subscribe("a", null));
            assertThat(fast.next(WAIT).path("type").asText()).isEqualTo("SNAPSHOT");

            // the slow client reads READY and nothing more, and asks for four 9 MB snapshots: its queue (20 MB in the
            // test profile) overflows
            slow.auth(TestCluster.ADMIN_TOKEN).next(WAIT);
            for (int i = 0; i < 4; i++) {
                slow.send("{\"type\":\"SUBSCRIBE\",\"id\":\"b" + i + "\",\"watch\":{\"kind\":\"ResourceWatch\",\"namespace\":\""
                        + ns + "\",\"name\":\"blobs\"}}");
            }
            org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> tooSlowDrops() > droppedBefore);

            // meanwhile the informers and the other client go on
            TestCluster.admin().resource(Watches.pod(NS, "while-slow", Map.of("app", "s"))).create();
            JsonNode added = fast.nextChange(WAIT);
            assertThat(added.path("object").path("metadata").path("name").asText()).isEqualTo("while-slow");

            // the slow client, once it reads, learns why it was disconnected
            slow.readAgain();
            JsonNode last;
            do {
                last = slow.next(Duration.ofSeconds(30));
            } while (!"ERROR".equals(last.path("type").asText()));
            assertThat(last.path("reason").asText()).isEqualTo("TooSlow");
            assertThat(last.path("code").asInt()).isEqualTo(429);
            assertThat(slow.closed.get(30, TimeUnit.SECONDS)).isEqualTo(1013);
        }
    }

    @Test
    void shouldStreamAClusterResourceWatchAndSayWhenItIsGone() throws Exception {
        TestCluster.admin().resource(Watches.clusterWatch("stream-crw", "pods", java.util.List.of(NS))).create();
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> assertThat(
                Watches.condition(Watches.getCluster("stream-crw").getStatus(), "Ready")).hasValueSatisfying(c -> assertThat(c.getStatus()).isEqualTo("True")));
        try (StreamConnection c = new StreamConnection(stream)) {
            c.auth(TestCluster.ADMIN_TOKEN).next(WAIT);
            c.send("{\"type\":\"SUBSCRIBE\",\"id\":\"c\",\"watch\":{\"kind\":\"ClusterResourceWatch\",\"name\":\"stream-crw\"}}");
            JsonNode snapshot = c.next(WAIT);
            assertThat(snapshot.path("type").asText()).isEqualTo("SNAPSHOT");
            assertThat(snapshot.path("items").findValuesAsText("name")).contains("s1", "s2");

            TestCluster.admin().resource(Watches.getCluster("stream-crw")).delete();
            JsonNode gone = c.nextChange(Duration.ofSeconds(30));
            assertThat(gone.path("type").asText()).isEqualTo("ERROR");
            assertThat(gone.path("id").asText()).isEqualTo("c");
            assertThat(gone.path("code").asInt()).isEqualTo(410);
            assertThat(gone.path("message").asText()).contains("The subscription has ended");
        }
    }

    @Test
    void shouldEndASubscriptionWhenItsWatchChangesItsQuestion() throws Exception {
        Watches.createReady(Watches.resourceWatch(NS, "changing", "pods", Map.of("app", "s")));
        try (StreamConnection c = new StreamConnection(stream)) {
            c.auth(TestCluster.ADMIN_TOKEN).next(WAIT);
            c.send("{\"type\":\"SUBSCRIBE\",\"id\":\"q\",\"watch\":{\"namespace\":\"" + NS + "\",\"name\":\"changing\"}}");
            assertThat(c.next(WAIT).path("type").asText()).isEqualTo("SNAPSHOT");

            TestCluster.admin().resources(io.watchkeeper.api.v1alpha1.ResourceWatch.class).inNamespace(NS).withName("changing")
                    .edit(w -> {
                        w.getSpec().setSelector(new io.fabric8.kubernetes.api.model.LabelSelectorBuilder().addToMatchLabels("app", "other").build());
                        return w;
                    });
            JsonNode ended = c.nextChange(Duration.ofSeconds(30));
            assertThat(ended.path("type").asText()).isEqualTo("ERROR");
            assertThat(ended.path("code").asInt()).isEqualTo(410);
            assertThat(ended.path("message").asText()).contains("now asks a different question");
        }
    }

    private static double tooSlowDrops() {
        return io.watchkeeper.testing.OperatorMetrics.value("watchkeeper_stream_clients_dropped_total{reason=\"TooSlow\"}").orElse(0);
    }

    private static String subscribe(String id, String resourceVersion) {
        return "{\"type\":\"SUBSCRIBE\",\"id\":\"" + id + "\",\"watch\":{\"kind\":\"ResourceWatch\",\"namespace\":\"" + NS
                + "\",\"name\":\"s\"}" + (resourceVersion == null ? "" : ",\"resourceVersion\":\"" + resourceVersion + "\"") + "}";
    }

}
