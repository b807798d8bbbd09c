package io.watchkeeper.stream;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.UUID;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.watchkeeper.testing.ControlPlaneResource;
import io.watchkeeper.testing.Kubectl;
import io.watchkeeper.testing.TestCluster;
import io.watchkeeper.testing.Watches;

/**
 * Nothing Watchkeeper serves may contain a Secret's value: not the HTTP items, not any stream message (a DELETED one
 * included, which fabric8 builds from the raw watch event), not a replay, not the log. {@code kubectl apply} copies the
 * data into the {@code last-applied-configuration} annotation, so the Secrets here are applied with kubectl.
 */
@QuarkusTest
@QuarkusTestResource(ControlPlaneResource.class)
class StreamSecretsTest {

    private static final String NS = TestCluster.namespace("stream-secrets");
    private static final Duration WAIT = Duration.ofSeconds(15);

    @TestHTTPResource("/api/v1alpha1/stream")
    URI stream;

    @Test
    void shouldNeverServeASecretValueOverHttpStreamOrReplay() throws Exception {
        String first = "first-" + UUID.randomUUID();
        String second = "second-" + UUID.randomUUID();
        List<String> forbidden = List.of(first, b64(first), second, b64(second), "managedFields");
        apply("token", first);
        Watches.createReady(Watches.resourceWatch(NS, "secrets", "secrets", null));

        // HTTP: the list and the one item
        String items = given().header("Authorization", "Bearer " + TestCluster.ADMIN_TOKEN).get("/api/v1alpha1/namespaces/" + NS + "/resourcewatches/secrets/items").then().statusCode(200)
                .extract().asString();
        assertThat(items).contains("\"token\"", "last-applied-configuration").doesNotContain(forbidden);
        assertThat(given().header("Authorization", "Bearer " + TestCluster.ADMIN_TOKEN)
                .get("/api/v1alpha1/namespaces/" + NS + "/resourcewatches/secrets/items/" + NS + "/token").then()
                .statusCode(200).extract().asString()).doesNotContain(forbidden);

        List<JsonNode> seen = new ArrayList<>();
        String afterSnapshot;
        try (StreamConnection c = new StreamConnection(stream)) {
            c.auth(TestCluster.ADMIN_TOKEN).next(WAIT);
            c.send(subscribe(null));
            JsonNode snapshot = c.next(WAIT);
            assertThat(snapshot.path("type").asText()).isEqualTo("SNAPSHOT");
            assertThat(snapshot.path("items").findValuesAsText("name")).contains("token");
            seen.add(snapshot);
            afterSnapshot = snapshot.path("resourceVersion").asText();

            // when the value changes, and the Secret is deleted while subscribed
            apply("token", second);
            JsonNode modified = c.nextChange(WAIT);
            assertThat(modified.path("type").asText()).isEqualTo("MODIFIED");
            seen.add(modified);
            Kubectl.run("delete", "secret", "token", "-n", NS);
            JsonNode deleted = c.nextChange(WAIT);
            while ("MODIFIED".equals(deleted.path("type").asText())) {
                seen.add(deleted);
                deleted = c.nextChange(WAIT);
            }
            assertThat(deleted.path("type").asText()).isEqualTo("DELETED");
            seen.add(deleted);
        }

        // and a client that resumes gets the same changes from the replay buffer
        try (StreamConnection c = new StreamConnection(stream)) {
            c.auth(TestCluster.ADMIN_TOKEN).next(WAIT);
            c.send(subscribe(afterSnapshot));
            JsonNode resumed = c.next(WAIT);
            assertThat(resumed.path("type").asText()).isEqualTo("RESUMED");
            JsonNode replayed;
            do {
                replayed = c.nextChange(WAIT);
                seen.add(replayed);
            } while (!"DELETED".equals(replayed.path("type").asText()));
        }

        for (JsonNode m : seen) {
            assertThat(m.toString()).as("%s message", m.path("type").asText()).doesNotContain(forbidden);
        }
        assertThat(seen).extracting(m -> m.path("type").asText()).contains("SNAPSHOT", "MODIFIED", "DELETED");
        Path log = Path.of("target/quarkus-test.log");
        assertThat(Files.readString(log)).as("the operator's log").contains(NS).doesNotContain(first, b64(first), second, b64(second));
    }

    private static void apply(String name, String value) throws Exception {
        Path file = Files.createTempFile("secret-", ".yaml");
        Files.writeString(file, """
                apiVersion: v1
                kind: Secret
                metadata: {name: %s, namespace: %s}
                data: {password: %s}
                """.formatted(name, NS, b64(value)));
        Kubectl.run("apply", "-f", file.toString());
    }

    private static String b64(String s) {
        return Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.UTF_8));
    }

    private static String subscribe(String resourceVersion) {
        return "{\"type\":\"SUBSCRIBE\",\"id\":\"sec\",\"watch\":{\"kind\":\"ResourceWatch\",\"namespace\":\"" + NS
                + "\",\"name\":\"secrets\"}" + (resourceVersion == null ? "" : ",\"resourceVersion\":\"" + resourceVersion + "\"") + "}";
    }
}
