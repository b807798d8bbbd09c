package io.watchkeeper.web;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;

import io.fabric8.kubernetes.api.model.PodBuilder;
import io.watchkeeper.testing.Browser;
import io.watchkeeper.testing.TestCluster;
import io.watchkeeper.testing.Watches;

/**
 * The page in real headless Chromium, against the packaged jar and the real API server: sign in, pick a watch, and see
 * pods created, changed and deleted through the API server show up in the table without a reload.
 */
class PageIT {

    private static final String JAR = System.getProperty("watchkeeper-it.jar", "target/quarkus-app/quarkus-run.jar");
    private static final Duration LIVE = Duration.ofSeconds(2);
    private static Process operator;
    private static Path dir;
    private static int port;

    @BeforeAll
    static void startOperator() throws Exception {
        dir = Files.createTempDirectory("page-it-");
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        ProcessBuilder pb = new ProcessBuilder("java", "-jar", JAR).redirectErrorStream(true).redirectOutput(dir.resolve("operator.log").toFile());
        pb.environment().putAll(Map.of("QUARKUS_KUBERNETES_CLIENT_API_SERVER_URL", TestCluster.controlPlane().url(),
                "QUARKUS_KUBERNETES_CLIENT_TOKEN", TestCluster.OPERATOR.token(), "QUARKUS_KUBERNETES_CLIENT_TRUST_CERTS", "true",
                "QUARKUS_HTTP_PORT", String.valueOf(port), "WATCHKEEPER_STATUS_COUNTS_REFRESH_INTERVAL", "2s"));
        operator = pb.start();
        HttpClient http = HttpClient.newHttpClient();
        await().atMost(Duration.ofSeconds(60)).ignoreExceptions().until(() -> http.send(HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + port + "/q/health/ready")).build(), HttpResponse.BodyHandlers.discarding()).statusCode() == 200);
    }

    @AfterAll
    static void stop() {
        if (operator != null) {
            operator.destroy();
        }
    }

    @Test
    void shouldShowPodsComeChangeAndGoWithoutAReload() throws Exception {
        String ns = TestCluster.namespace("page");
        for (String name : List.of("web-1", "web-2")) {
            TestCluster.admin().resource(Watches.pod(ns, name, Map.of("app", "web"))).create();
        }
        Watches.create(Watches.resourceWatch(ns, "web", "pods", Map.of("app", "web")));
        await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> assertThat(Watches.ready(Watches.get(ns, "web")))
                .hasValueSatisfying(c -> assertThat(c.getStatus()).isEqualTo("True")));

        try (Browser browser = new Browser(dir)) {
            browser.open("http://127.0.0.1:" + port + "/");
            await().atMost(Duration.ofSeconds(10)).until(() -> visible(browser, "signin"));
            browser.script("document.getElementById('token').value = arguments[0];"
                    + "document.getElementById('signin-button').click(); window.notReloaded = true;", TestCluster.ADMIN_TOKEN);

            await().atMost(Duration.ofSeconds(10)).until(() -> browser.script("return document.getElementById('connection').dataset.state")
                    .asText().equals("live"));
            await().atMost(Duration.ofSeconds(10)).until(() -> browser.script(
                    "const li = [...document.querySelectorAll('#watches li')].find(l => l.textContent.startsWith(arguments[0]));"
                            + "if (li) { li.click(); return true; } return false;", ns + "/web").asBoolean());
            await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(rows(browser)).containsOnlyKeys("web-1", "web-2"));
            assertThat(browser.script("return [...document.querySelectorAll('#head th')].map(t => t.textContent)").toString())
                    .contains("Phase", "Restarts", "Problem");

            // created through the API server: in the table within 2 s
            TestCluster.admin().resource(Watches.pod(ns, "web-3", Map.of("app", "web"))).create();
            await().atMost(LIVE).untilAsserted(() -> assertThat(rows(browser)).containsKey("web-3"));

            // changed: a kubelet would write this status
            TestCluster.admin().pods().inNamespace(ns).withName("web-3").editStatus(p -> new PodBuilder(p).editOrNewStatus()
                    .withPhase("Running").endStatus().build());
            await().atMost(LIVE).untilAsserted(() -> assertThat(rows(browser).get("web-3")).contains("Running"));

            browser.screenshot(dir.resolve("page.png"));
            Files.copy(dir.resolve("page.png"), Path.of("target/page.png"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);

            // deleted: gone within 2 s
            TestCluster.admin().pods().inNamespace(ns).withName("web-1").withGracePeriod(0).delete();
            await().atMost(LIVE).untilAsserted(() -> assertThat(rows(browser)).doesNotContainKey("web-1").containsKeys("web-2", "web-3"));

            // the filter box narrows the rows
            browser.script("const f = document.getElementById('filter'); f.value = 'web-2'; f.dispatchEvent(new Event('input'));");
            assertThat(browser.script("return [...document.querySelectorAll('#rows tr')].filter(r => !r.hidden).map(r => r.dataset.name)")
                    .toString()).isEqualTo("[\"web-2\"]");

            assertThat(browser.script("return window.notReloaded === true").asBoolean()).as("the page never reloaded").isTrue();
        }
    }

    private static boolean visible(Browser browser, String id) throws IOException {
        return browser.script("const e = document.getElementById(arguments[0]); return !!e && !e.hidden;", id).asBoolean();
    }

    /** Row name -> the row's text. */
    private static Map<String, String> rows(Browser browser) throws IOException {
        JsonNode rows = browser.script("return [...document.querySelectorAll('#rows tr')].map(r => [r.dataset.name, r.textContent])");
        Map<String, String> out = new java.util.TreeMap<>();
        rows.forEach(r -> out.put(r.get(0).asText(), r.get(1).asText()));
        return out;
    }
}
