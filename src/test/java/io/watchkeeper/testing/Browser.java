package io.watchkeeper.testing;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * Debian's headless Chromium driven through chromedriver with the W3C WebDriver protocol, spoken directly over HTTP: a
 * handful of calls (open, run a script, screenshot) do not justify Selenium's dependency tree next to the Quarkus BOM.
 * Never lets anything download a browser.
 */
public final class Browser implements AutoCloseable {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private final Process driver;
    private final String base;
    private final String session;

    public Browser(Path workDir) throws Exception {
        int port = io.watchkeeper.demo.Ports.free();
        driver = new ProcessBuilder("chromedriver", "--port=" + port, "--allowed-ips=127.0.0.1").redirectErrorStream(true)
                .redirectOutput(workDir.resolve("chromedriver.log").toFile()).start();
        base = "http://127.0.0.1:" + port;
        org.awaitility.Awaitility.await("chromedriver ready (log: " + workDir.resolve("chromedriver.log") + ")")
                .atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(100)).ignoreExceptions()
                .until(() -> call("GET", "/status", null).path("value").path("ready").asBoolean());
        Path profile = Files.createTempDirectory(workDir, "chromium-");
        Map<String, Object> options = Map.of("binary", "/usr/bin/chromium", "args", List.of("--headless=new", "--no-sandbox",
                "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--disable-dev-shm-usage", "--window-size=1400,900", "--user-data-dir=" + profile));
        JsonNode created = call("POST", "/session",
                Map.of("capabilities", Map.of("alwaysMatch", Map.of("browserName", "chrome", "goog:chromeOptions", options))));
        session = created.path("value").path("sessionId").asText();
        if (session.isEmpty()) {
            throw new IllegalStateException("no WebDriver session: " + created);
        }
    }

    public void open(String url) throws IOException {
        call("POST", "/session/" + session + "/url", Map.of("url", url));
    }

    /** Runs {@code script} in the page ({@code arguments[i]} are {@code args}) and returns its result. */
    public JsonNode script(String script, Object... args) throws IOException {
        return call("POST", "/session/" + session + "/execute/sync", Map.of("script", script, "args", List.of(args))).path("value");
    }

    public void screenshot(Path png) throws IOException {
        String data = call("GET", "/session/" + session + "/screenshot", null).path("value").asText();
        Files.write(png, Base64.getDecoder().decode(data));
    }

    private JsonNode call(String method, String path, Object body) throws IOException {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(30));
        b = body == null ? b.method(method, HttpRequest.BodyPublishers.noBody())
                : b.header("Content-Type", "application/json").method(method, HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(body)));
        try {
            HttpResponse<String> r = HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
            JsonNode json = JSON.readTree(r.body());
            if (r.statusCode() >= 400) {
                throw new IOException("WebDriver " + method + " " + path + ": " + r.statusCode() + " " + json.path("value").path("message").asText());
            }
            return json;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException(e);
        }
    }

    @Override
    public void close() {
        try {
            call("DELETE", "/session/" + session, null);
        } catch (IOException e) {
            // the driver goes anyway
        }
        driver.destroy();
    }
}
