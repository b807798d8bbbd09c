package io.watchkeeper.stream;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.net.http.WebSocketHandshakeException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;

import io.fabric8.kubernetes.api.model.ServiceAccountBuilder;
import io.fabric8.kubernetes.api.model.authentication.TokenRequestBuilder;
import io.fabric8.kubernetes.api.model.rbac.PolicyRuleBuilder;
import io.fabric8.kubernetes.api.model.rbac.RoleBindingBuilder;
import io.fabric8.kubernetes.api.model.rbac.RoleBuilder;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.watchkeeper.testing.ControlPlaneResource;
import io.watchkeeper.testing.TestCluster;
import io.watchkeeper.testing.Watches;

/**
 * Credential hygiene and per-client limits of the stream, with real ServiceAccount tokens (TokenRequest) checked by the
 * real API server. The test profile sets small limits: 4 connections per user, 4 subscriptions per connection, 10
 * failed token reviews per 10 s per address, a 1 s decision cache.
 */
@QuarkusTest
@QuarkusTestResource(ControlPlaneResource.class)
class StreamLimitsTest {

    private static final String NS = TestCluster.namespace("stream-limits");
    private static final Duration WAIT = Duration.ofSeconds(15);
    /** Two decision-cache TTLs (1 s in the test profile), two bookmark intervals (1 s), and a margin for a busy machine. */
    private static final Duration RECHECK = Duration.ofSeconds(4 + 20);

    @TestHTTPResource("/api/v1alpha1/stream")
    URI stream;

    @BeforeAll
    static void setUp() {
        TestCluster.admin().resource(Watches.pod(NS, "l1", Map.of("app", "l"))).create();
        Watches.createReady(Watches.resourceWatch(NS, "l", "pods", Map.of("app", "l")));
        TestCluster.admin().resource(new RoleBuilder().withNewMetadata().withName("list-watch").withNamespace(NS).endMetadata()
                .withRules(new PolicyRuleBuilder().withApiGroups("").withResources("pods").withVerbs("list", "watch").build()).build()).create();
        TestCluster.admin().resource(new RoleBuilder().withNewMetadata().withName("list-only").withNamespace(NS).endMetadata()
                .withRules(new PolicyRuleBuilder().withApiGroups("").withResources("pods").withVerbs("list").build()).build()).create();
        for (String sa : List.of("watcher", "lister", "revoked", "many")) {
            TestCluster.admin().resource(new ServiceAccountBuilder().withNewMetadata().withName(sa).withNamespace(NS).endMetadata().build()).create();
            TestCluster.admin().resource(new RoleBindingBuilder().withNewMetadata().withName(sa).withNamespace(NS).endMetadata()
                    .withNewRoleRef("rbac.authorization.k8s.io", "Role", sa.equals("lister") ? "list-only" : "list-watch")
                    .addNewSubject().withKind("ServiceAccount").withName(sa).withNamespace(NS).endSubject().build()).create();
        }
    }

    private static String token(String serviceAccount) {
        return TestCluster.admin().serviceAccounts().inNamespace(NS).withName(serviceAccount)
                .tokenRequest(new TokenRequestBuilder().withNewSpec().withExpirationSeconds(3600L).endSpec().build())
                .getStatus().getToken();
    }

    private static String subscribe(String id) {
        return "{\"type\":\"SUBSCRIBE\",\"id\":\"" + id + "\",\"watch\":{\"kind\":\"ResourceWatch\",\"namespace\":\"" + NS
                + "\",\"name\":\"l\"}}";
    }

    @Test
    void shouldNeedTheRightToWatchForAStreamAndToListForARead() throws Exception {
        String lister = token("lister");
        given().header("Authorization", "Bearer " + lister).get("/api/v1alpha1/namespaces/" + NS + "/resourcewatches/l/items")
                .then().statusCode(200);
        try (StreamConnection c = new StreamConnection(stream)) {
            assertThat(c.auth(lister).next(WAIT).path("type").asText()).isEqualTo("READY");
            JsonNode refused = c.send(subscribe("a")).next(WAIT);
            assertThat(refused.path("type").asText()).isEqualTo("ERROR");
            assertThat(refused.path("code").asInt()).isEqualTo(403);
            assertThat(refused.path("message").asText()).contains("cannot watch pods");
        }
    }

    @Test
    void shouldEndAStreamWhoseTokenWasRevoked() throws Exception {
        try (StreamConnection c = new StreamConnection(stream)) {
            assertThat(c.auth(token("revoked")).next(WAIT).path("type").asText()).isEqualTo("READY");
            assertThat(c.send(subscribe("a")).next(WAIT).path("type").asText()).isEqualTo("SNAPSHOT");

            TestCluster.admin().serviceAccounts().inNamespace(NS).withName("revoked").delete();

            long deadline = System.nanoTime() + RECHECK.toNanos();
            JsonNode ended = null;
            while (System.nanoTime() < deadline && (ended == null || !"ERROR".equals(ended.path("type").asText()))) {
                ended = c.next(RECHECK); // bookmarks, until the stream is ended
            }
            assertThat(ended.path("type").asText()).as("the stream ended within %s of the token's revocation", RECHECK).isEqualTo("ERROR");
            assertThat(ended.path("code").asInt()).isEqualTo(401);
            assertThat(c.closed.get(WAIT.toSeconds(), TimeUnit.SECONDS)).isEqualTo(StreamClient.CLOSE_POLICY);
        }
    }

    @Test
    void shouldRefuseAWebSocketFromAnotherSitesPage() {
        URI ws = URI.create(stream.toString().replaceFirst("^http", "ws"));
        assertThatThrownBy(() -> HttpClient.newHttpClient().newWebSocketBuilder().header("Origin", "https://evil.example")
                .buildAsync(ws, new WebSocket.Listener() {
                }).join()).isInstanceOf(CompletionException.class).cause().isInstanceOf(WebSocketHandshakeException.class)
                .satisfies(e -> assertThat(((WebSocketHandshakeException) e).getResponse().statusCode()).isEqualTo(403));
        // the page's own origin is welcome
        String own = stream.getScheme() + "://" + stream.getHost() + ":" + stream.getPort();
        WebSocket ok = HttpClient.newHttpClient().newWebSocketBuilder().header("Origin", own).buildAsync(ws, new WebSocket.Listener() {
        }).join();
        ok.abort();
    }

    @Test
    void shouldLimitConnectionsPerUser() throws Exception {
        String many = token("many");
        List<StreamConnection> open = new ArrayList<>();
        try {
            for (int i = 0; i < 4; i++) {
                StreamConnection c = new StreamConnection(stream);
                open.add(c);
                assertThat(c.auth(many).next(WAIT).path("type").asText()).isEqualTo("READY");
            }
            StreamConnection fifth = new StreamConnection(stream);
            open.add(fifth);
            JsonNode refused = fifth.auth(many).next(WAIT);
            assertThat(refused.path("type").asText()).isEqualTo("ERROR");
            assertThat(refused.path("code").asInt()).isEqualTo(429);
            assertThat(refused.path("reason").asText()).isEqualTo("TooManyConnections");
            assertThat(fifth.closed.get(WAIT.toSeconds(), TimeUnit.SECONDS)).isEqualTo(StreamClient.CLOSE_TRY_LATER);

            // the first four are untouched, and when one goes another may come
            assertThat(open.get(0).send(subscribe("a")).next(WAIT).path("type").asText()).isEqualTo("SNAPSHOT");
            open.get(1).close();
            await().atMost(WAIT).untilAsserted(() -> {
                try (StreamConnection again = new StreamConnection(stream)) {
                    assertThat(again.auth(many).next(WAIT).path("type").asText()).isEqualTo("READY");
                }
            });
        } finally {
            open.forEach(StreamConnection::close);
        }
        given().get("/q/metrics").then().body(org.hamcrest.Matchers.containsString(
                "watchkeeper_stream_clients_dropped_total{reason=\"TooManyConnections\"}"));
    }

    @Test
    void shouldLimitSubscriptionsPerConnection() throws Exception {
        try (StreamConnection c = new StreamConnection(stream)) {
            assertThat(c.auth(token("watcher")).next(WAIT).path("type").asText()).isEqualTo("READY");
            for (int i = 0; i < 4; i++) {
                assertThat(c.send(subscribe("s" + i)).next(WAIT).path("type").asText()).isEqualTo("SNAPSHOT");
            }
            JsonNode refused = c.send(subscribe("s4")).next(WAIT);
            assertThat(refused.path("type").asText()).isEqualTo("ERROR");
            assertThat(refused.path("code").asInt()).isEqualTo(429);
            assertThat(refused.path("reason").asText()).isEqualTo("TooManySubscriptions");
            // the connection stays: one less, and there is room again
            c.send("{\"type\":\"UNSUBSCRIBE\",\"id\":\"s0\"}");
            JsonNode next;
            c.send(subscribe("s4"));
            do {
                next = c.next(WAIT);
            } while ("BOOKMARK".equals(next.path("type").asText()));
            assertThat(next.path("type").asText()).isEqualTo("SNAPSHOT");
            assertThat(next.path("id").asText()).isEqualTo("s4");
        }
    }

    @Test
    void shouldRateLimitFailedTokenReviews() {
        List<Integer> codes = new ArrayList<>();
        for (int i = 0; i < 25; i++) {
            codes.add(given().header("Authorization", "Bearer not-a-token-" + i).get("/api/v1alpha1/watches").then().extract().statusCode());
        }
        assertThat(codes).as("401 for the first failures, then 429 without asking the API server").startsWith(401).contains(429)
                .containsOnly(401, 429);
        given().header("Authorization", "Bearer not-a-token-x").get("/api/v1alpha1/watches").then().statusCode(429)
                .header("Retry-After", org.hamcrest.Matchers.notNullValue());
        given().get("/q/metrics").then().body(org.hamcrest.Matchers.containsString(
                "watchkeeper_auth_refusals_total{reason=\"TokenReviewsRateLimited\"}"));
        // the window (10 s in the test profile) passes, and the API server is asked again; other tests expect 401 here
        await().atMost(Duration.ofSeconds(10 + 20)).untilAsserted(() -> given().header("Authorization", "Bearer not-a-token-y")
                .get("/api/v1alpha1/watches").then().statusCode(401));
    }
}
