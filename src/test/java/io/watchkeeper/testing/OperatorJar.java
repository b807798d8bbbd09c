package io.watchkeeper.testing;

import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** The packaged jar, run as its own process against the test cluster, as an operator user would run it. */
public final class OperatorJar {

    public static final String JAR = System.getProperty("watchkeeper-it.jar", "target/quarkus-app/quarkus-run.jar");

    private OperatorJar() {
    }

    /**
     * Starts the jar as {@code watchkeeper-operator} on {@code port} and waits until {@code /q/health/ready} answers 200;
     * its output is appended to {@code log}.
     */
    public static Process start(Path log, int port, Map<String, String> extraEnv) throws IOException {
        ProcessBuilder pb = new ProcessBuilder("java", "-jar", JAR).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
        Map<String, String> env = new HashMap<>(Map.of("QUARKUS_KUBERNETES_CLIENT_API_SERVER_URL", TestCluster.controlPlane().url(),
                "QUARKUS_KUBERNETES_CLIENT_TOKEN", TestCluster.OPERATOR.token(), "QUARKUS_KUBERNETES_CLIENT_TRUST_CERTS", "true",
                "QUARKUS_HTTP_PORT", String.valueOf(port), "WATCHKEEPER_STATUS_COUNTS_REFRESH_INTERVAL", "2s"));
        env.putAll(extraEnv);
        pb.environment().putAll(env);
        Process p = pb.start();
        HttpClient http = HttpClient.newHttpClient();
        await("operator ready (log: " + log + ")").atMost(Duration.ofSeconds(60)).ignoreExceptions()
                .until(() -> http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/q/health/ready")).build(),
                        HttpResponse.BodyHandlers.discarding()).statusCode() == 200);
        return p;
    }

    /** The last lines of a log, for assertion messages. */
    public static String tail(Path log, int lines) {
        try {
            List<String> all = Files.readAllLines(log);
            return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
        } catch (IOException e) {
            return e.toString();
        }
    }

    public static int freePort() throws IOException {
        return io.watchkeeper.demo.Ports.free();
    }
}
