package io.watchkeeper.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.watchkeeper.demo.ControlPlane;
import io.watchkeeper.testing.OperatorJar;
import io.watchkeeper.testing.Prometheus;
import io.watchkeeper.testing.TestCluster;
import io.watchkeeper.testing.Watches;

/**
 * The packaged jar, as users run it: against the real API server, scraped by a real Prometheus (JOSDK's reconcile
 * metrics must be there, not only in {@code @QuarkusTest}); and with no cluster at all, one line that says what to set.
 */
class OperatorJarIT {

    private static final String JAR = OperatorJar.JAR;
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static final ObjectMapper JSON = new ObjectMapper();
    private static Process operator;
    private static int port;
    private static Path dir;

    @BeforeAll
    static void startOperator() throws IOException {
        dir = Files.createTempDirectory("operator-jar-it-");
        port = freePort();
        operator = OperatorJar.start(dir.resolve("operator.log"), port, Map.of());
    }

    @AfterAll
    static void stop() {
        if (operator != null) {
            operator.destroy();
        }
    }

    @Test
    void shouldBeScrapedByPrometheusWithReconcileAndInformerMetrics() throws Exception {
        String ns = TestCluster.namespace("jar-it");
        Watches.create(Watches.resourceWatch(ns, "pods", "pods", null));
        await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> assertThat(Watches.ready(Watches.get(ns, "pods")))
                .as("operator log: %s", log()).hasValueSatisfying(c -> assertThat(c.getStatus()).isEqualTo("True")));

        String config = """
                global: { scrape_interval: 1s }
                scrape_configs:
                  - job_name: watchkeeper
                    metrics_path: /q/metrics
                    static_configs: [ { targets: ["127.0.0.1:%d"] } ]
                """.formatted(port);
        try (Prometheus prometheus = Prometheus.start(dir, config)) {
            await().atMost(Duration.ofSeconds(60)).ignoreExceptions().untilAsserted(() -> {
                assertThat(prometheus.value("reconciliations_started_total{controller_name=\"resourcewatch\"}")).isPositive();
                assertThat(prometheus.value("watchkeeper_informer_synced{resource=\"pods\",namespace=\"" + ns + "\"}")).isEqualTo(1.0);
                assertThat(prometheus.value("watchkeeper_informers_active")).isGreaterThanOrEqualTo(2.0);
                assertThat(prometheus.value("watchkeeper_build_info")).isEqualTo(1.0);
                // Service insight runs in the jar: the API server's own Service has no selector
                assertThat(prometheus.value("reconciliations_started_total{controller_name=\"service-insight\"}")).isPositive();
                assertThat(prometheus.value("watchkeeper_services{namespace=\"default\",state=\"NoSelector\"}")).isEqualTo(1.0);
            });
        }
    }

    @Test
    void shouldSayInOneLineWhatToSetWhenNoClusterIsReachable() throws Exception {
        Path home = Files.createTempDirectory("no-cluster-home-");
        ProcessBuilder pb = new ProcessBuilder("java", "-Duser.home=" + home, "-jar", JAR).redirectErrorStream(true);
        pb.environment().keySet().removeIf(k -> k.startsWith("KUBE") || k.startsWith("QUARKUS_KUBERNETES"));
        pb.environment().put("QUARKUS_HTTP_PORT", String.valueOf(freePort()));
        pb.environment().put("HOME", home.toString());

        assertThat(theOnlyErrorOfAFailedStart(pb)).contains("Cannot reach the Kubernetes API server").contains("Set KUBECONFIG");
    }

    @Test
    void shouldSayInOneLineThatTheCrdsAreMissing() throws Exception {
        try (ControlPlane bare = ControlPlane.start(List.of(), null)) {
            assertThat(theOnlyErrorOfAFailedStart(connectedTo(bare.url(), ControlPlane.ADMIN.token())))
                    .contains("The CRD resourcewatches.watchkeeper.io is not installed").contains("kubectl apply -f kubernetes/");
        }
    }

    @Test
    void shouldSayInOneLineThatInsightLacksARight() throws Exception {
        // alice may read nothing cluster-wide: the CRD check cannot tell (and goes on), the insight check can
        assertThat(theOnlyErrorOfAFailedStart(connectedTo(TestCluster.controlPlane().url(), TestCluster.ALICE.token())))
                .contains("The operator may not list pods in all namespaces, which Pod and Service insight need")
                .contains("watchkeeper.insight.namespaces");
    }

    @Test
    void shouldRefuseInOneLineToLeaveCallersUncheckedAgainstARealCluster() throws Exception {
        ProcessBuilder pb = connectedTo(TestCluster.controlPlane().url(), TestCluster.OPERATOR.token());
        pb.environment().put("WATCHKEEPER_API_AUTH", "none");
        assertThat(theOnlyErrorOfAFailedStart(pb)).contains("watchkeeper.api.auth=none is allowed only with the embedded demo cluster");
    }

    private static ProcessBuilder connectedTo(String url, String token) throws IOException {
        ProcessBuilder pb = new ProcessBuilder("java", "-jar", JAR).redirectErrorStream(true);
        pb.environment().putAll(Map.of("QUARKUS_KUBERNETES_CLIENT_API_SERVER_URL", url, "QUARKUS_KUBERNETES_CLIENT_TOKEN", token,
                "QUARKUS_KUBERNETES_CLIENT_TRUST_CERTS", "true", "QUARKUS_HTTP_PORT", String.valueOf(freePort())));
        return pb;
    }

    /** Starts the jar, expects it to exit with status 1 by itself, with one ERROR line and no stack trace; returns that line. */
    private static String theOnlyErrorOfAFailedStart(ProcessBuilder pb) throws Exception {
        Process p = pb.start();
        assertThat(p.waitFor(90, TimeUnit.SECONDS)).as("the operator should exit by itself").isTrue();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.exitValue()).as(out).isEqualTo(1);
        assertThat(out).doesNotContain("\tat ").doesNotContain("Exception in thread");
        List<String> errors = out.lines().filter(l -> l.contains("ERROR")).toList();
        assertThat(errors).as(out).hasSize(1);
        return errors.get(0);
    }

    /**
     * The demo as a newcomer meets it: its own cluster and, where the machine can run one, a real node whose sample pods
     * really crash-loop, run out of memory and fail to pull (this machine can; the shared test node steps aside, as a
     * machine has room for one node).
     */
    @Test
    void shouldRunTheDemoAgainstAnEmbeddedClusterWhenAskedTo() throws Exception {
        TestCluster.releaseNode();
        java.util.Optional<String> noNode = io.watchkeeper.demo.Node.cannotRunHere();
        Path home = Files.createTempDirectory("demo-home-");
        int demoPort = freePort();
        ProcessBuilder pb = new ProcessBuilder("java", "-Duser.home=" + home, "-jar", JAR).redirectErrorStream(true)
                .redirectOutput(dir.resolve("demo.log").toFile());
        pb.environment().keySet().removeIf(k -> k.startsWith("KUBE") || k.startsWith("QUARKUS_KUBERNETES"));
        // no WATCHKEEPER_API_AUTH: with the embedded demo cluster, and only then, nobody is asked for a token
        pb.environment().putAll(Map.of("QUARKUS_HTTP_PORT", String.valueOf(demoPort), "HOME", home.toString(),
                "WATCHKEEPER_DEMO_CLUSTER", "always"));
        Process demo = pb.start();
        try {
            await().atMost(Duration.ofSeconds(120)).ignoreExceptions().untilAsserted(() -> {
                JsonNode watches = JSON.readTree(get("http://127.0.0.1:" + demoPort + "/api/v1alpha1/watches").body()).path("items");
                assertThat(watches.size()).as("demo log: %s", Files.readString(dir.resolve("demo.log"))).isEqualTo(3);
                watches.forEach(w -> assertThat(w.path("status").path("informer").path("synced").asBoolean()).isTrue());
                JsonNode items = JSON.readTree(get("http://127.0.0.1:" + demoPort
                        + "/api/v1alpha1/namespaces/shop/resourcewatches/web-pods/items").body()).path("items");
                assertThat(items.size()).isPositive();
            });
            if (noNode.isEmpty()) {
                // what the real kubelet does to the sample pods, named by insight (its first back-off is 10 s)
                await().atMost(Duration.ofSeconds(120)).ignoreExceptions().untilAsserted(() -> {
                    JsonNode pods = JSON.readTree(get("http://127.0.0.1:" + demoPort + "/api/v1alpha1/problems?namespace=shop").body())
                            .path("pods");
                    List<String> reasons = new java.util.ArrayList<>();
                    pods.forEach(p -> reasons.add(p.path("name").asText().replaceAll("-[a-z0-9]+-[a-z0-9]+$", "") + "=" + p.path("reason").asText()));
                    assertThat(reasons).as("demo log: %s", OperatorJar.tail(dir.resolve("demo.log"), 30))
                            .contains("worker=CrashLoopBackOff", "report=OOMKilled").containsAnyOf("legacy=ImagePullBackOff", "legacy=ErrImagePull");
                });
                assertThat(Files.readString(dir.resolve("demo.log"))).contains("with a real node");
            } else {
                System.out.println("[demo] no real node on this machine (" + noNode.get() + "): its pods' status is simulated");
            }
            // the page needs no sign-in either: its stream is READY without AUTH, and a watch's table fills
            try (io.watchkeeper.testing.Browser browser = new io.watchkeeper.testing.Browser(dir)) {
                browser.open("http://127.0.0.1:" + demoPort + "/");
                await().atMost(Duration.ofSeconds(10)).until(() -> browser.script(
                        "return document.getElementById('connection').dataset.state").asText().equals("live"));
                assertThat(browser.script("const e = document.getElementById('signin'); return !!e && !e.hidden;").asBoolean()).isFalse();
                await().atMost(Duration.ofSeconds(30)).until(() -> browser.script(
                        "const li = [...document.querySelectorAll('#watches li')].find(l => l.textContent.startsWith('shop/web-pods'));"
                                + "if (li) { li.click(); return true; } return false;").asBoolean());
                await().atMost(Duration.ofSeconds(10)).until(() -> browser.script("return document.querySelectorAll('#rows tr').length")
                        .asInt() > 0);
            }
        } finally {
            demo.destroy();
            // its node stops with it (containers, mounts, bridge, rules): the next test may start one
            boolean stopped = demo.waitFor(120, TimeUnit.SECONDS);
            demo.destroyForcibly();
            assertThat(stopped).as("the demo stops").isTrue();
        }
    }

    private static HttpResponse<String> get(String url) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private static String log() {
        return OperatorJar.tail(dir.resolve("operator.log"), 30);
    }

    private static int freePort() throws IOException {
        return OperatorJar.freePort();
    }
}
