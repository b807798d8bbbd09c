package io.watchkeeper.web;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
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
import io.watchkeeper.testing.OperatorJar;
import io.watchkeeper.testing.TestCluster;
import io.watchkeeper.testing.Watches;

/**
 * The page in real headless Chromium, against the packaged jar and the real API server: sign in, pick a watch, and see
 * pods created, changed and deleted through the API server show up in the table without a reload.
 */
class PageIT {

    private static final Duration LIVE = Duration.ofSeconds(2);
    private static Process operator;
    private static Path dir;
    private static int port;

    @BeforeAll
    static void startOperator() throws Exception {
        dir = Files.createTempDirectory("page-it-");
        port = OperatorJar.freePort();
        startJar();
    }

    private static void startJar() throws IOException {
        operator = OperatorJar.start(dir.resolve("operator-" + port + ".log"), port, Map.of());
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
        Watches.createReady(Watches.resourceWatch(ns, "web", "pods", Map.of("app", "web")));

        try (Browser browser = new Browser(dir)) {
            signInAndPick(browser, ns + "/web (pods)");
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

    @Test
    void shouldShowServicesWithWhatStandsBehindThem() throws Exception {
        String ns = TestCluster.namespace("page-svc");
        TestCluster.admin().resource(Watches.pod(ns, "api-1", Map.of("app", "api"))).create();
        TestCluster.admin().resource(new io.fabric8.kubernetes.api.model.ServiceBuilder().withNewMetadata().withNamespace(ns)
                .withName("api").endMetadata().withNewSpec().withSelector(Map.of("app", "api")).addNewPort().withPort(80)
                .withProtocol("TCP").endPort().endSpec().build()).create();
        Watches.createReady(Watches.resourceWatch(ns, "services", "svc", null));

        try (Browser browser = new Browser(dir)) {
            signInAndPick(browser, ns + "/services (svc)");
            assertThat(browser.script("return [...document.querySelectorAll('#head th')].map(t => t.textContent)").toString())
                    .contains("Type", "Selected pods", "Ready pods", "State");
            // the insight columns come from the Service insight reads, refreshed every 5 s
            await().atMost(Duration.ofSeconds(15)).untilAsserted(() -> assertThat(rows(browser).get("api"))
                    .contains("ClusterIP").contains("NoReadyPods"));
        }
    }

    @Test
    void shouldRecoverByItselfAfterTheOperatorRestarts() throws Exception {
        String ns = TestCluster.namespace("page-restart");
        // enough pods that the informer's initial list is still being handed out when it reports synced
        List<String> before = new java.util.ArrayList<>();
        for (int i = 0; i < 60; i++) {
            before.add("before-" + i);
            TestCluster.admin().resource(Watches.pod(ns, "before-" + i, Map.of("app", "r"))).create();
        }
        Watches.createReady(Watches.resourceWatch(ns, "r", "pods", Map.of("app", "r")));

        try (Browser browser = new Browser(dir)) {
            signInAndPick(browser, ns + "/r (pods)");
            await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(rows(browser)).containsOnlyKeys(before));

            operator.destroy();
            operator.waitFor();
            await().atMost(Duration.ofSeconds(10)).until(() -> !connection(browser).equals("live"));
            // while it is down: one pod comes, one goes
            TestCluster.admin().resource(Watches.pod(ns, "while-down", Map.of("app", "r"))).create();
            TestCluster.admin().pods().inNamespace(ns).withName("before-7").withGracePeriod(0).delete();
            startJar();

            List<String> expected = new java.util.ArrayList<>(before);
            expected.remove("before-7");
            expected.add("while-down");
            await().atMost(Duration.ofSeconds(30)).until(() -> connection(browser).equals("live"));
            await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(rows(browser)).containsOnlyKeys(expected));
            TestCluster.admin().resource(Watches.pod(ns, "after", Map.of("app", "r"))).create();
            await().atMost(LIVE).untilAsserted(() -> assertThat(rows(browser)).containsKey("after"));
            assertThat(browser.script("return window.notReloaded === true").asBoolean()).isTrue();
        }
    }

    /** 5,000 rows and a burst of 1,000 changes fed to the page's own message handler: all drawn, the filter still works. */
    @Test
    void shouldDrawFiveThousandRows() throws Exception {
        String ns = TestCluster.namespace("page-big");
        TestCluster.admin().resource(Watches.pod(ns, "seed", Map.of("app", "big"))).create();
        Watches.createReady(Watches.resourceWatch(ns, "big", "pods", Map.of("app", "big")));

        try (Browser browser = new Browser(dir)) {
            signInAndPick(browser, ns + "/big (pods)");
            await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(rows(browser)).containsOnlyKeys("seed"));
            String pod = "n => ({kind: 'Pod', metadata: {uid: 'u' + n, name: 'pod-' + n, namespace: arguments[0],"
                    + " creationTimestamp: new Date().toISOString()}, spec: {containers: [{name: 'a'}]}, status: {phase: 'Running'}})";
            JsonNode timing = browser.script("const make = " + pod + ";"
                    + "const items = []; for (let i = 0; i < 5000; i++) items.push(make(i));"
                    + "const t0 = performance.now();"
                    + "receive({type: 'SNAPSHOT', id: state.subscription, resourceVersion: '1', items});"
                    + "draw(); const t1 = performance.now();"
                    + "for (let i = 0; i < 1000; i++) { const o = make(i * 5); o.status.phase = 'Succeeded';"
                    + "  receive({type: 'MODIFIED', id: state.subscription, resourceVersion: String(2 + i), object: o}); }"
                    + "draw(); const t2 = performance.now();"
                    + "return [t1 - t0, t2 - t1];", ns);
            assertThat(browser.script("return document.querySelectorAll('#rows tr').length").asInt()).isEqualTo(5000);
            assertThat(browser.script("return [...document.querySelectorAll('#rows tr')].filter(r => r.textContent.includes('Succeeded')).length")
                    .asInt()).isEqualTo(1000);
            browser.script("const f = document.getElementById('filter'); f.value = 'pod-4999'; f.dispatchEvent(new Event('input'));");
            assertThat(browser.script("return [...document.querySelectorAll('#rows tr')].filter(r => !r.hidden).map(r => r.dataset.name)")
                    .toString()).isEqualTo("[\"pod-4999\"]");
            // a number, not a check: BENCHMARKS.md
            System.out.printf("page: 5000-row snapshot drawn in %.0f ms; 1000 changes drawn in %.0f ms%n", timing.get(0).asDouble(),
                    timing.get(1).asDouble());
        }
    }

    /** Opens the page, signs in with the admin token, and picks the watch whose entry starts with {@code watch}. */
    private static void signInAndPick(Browser browser, String watch) throws Exception {
        browser.open("http://127.0.0.1:" + port + "/");
        await().atMost(Duration.ofSeconds(10)).until(() -> visible(browser, "signin"));
        browser.script("document.getElementById('token').value = arguments[0];"
                + "document.getElementById('signin-button').click(); window.notReloaded = true;", TestCluster.ADMIN_TOKEN);
        await().atMost(Duration.ofSeconds(10)).until(() -> connection(browser).equals("live"));
        await().atMost(Duration.ofSeconds(10)).until(() -> browser.script(
                "const li = [...document.querySelectorAll('#watches li')].find(l => l.textContent.startsWith(arguments[0]));"
                        + "if (li) { li.click(); return true; } return false;", watch).asBoolean());
    }

    private static String connection(Browser browser) throws IOException {
        return browser.script("return document.getElementById('connection').dataset.state").asText();
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
