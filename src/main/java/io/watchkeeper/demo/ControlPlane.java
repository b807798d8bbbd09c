package io.watchkeeper.demo;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPairGenerator;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;

import org.jboss.logging.Logger;

/**
 * A real, local Kubernetes control plane: etcd, kube-apiserver and kube-controller-manager as child processes on
 * loopback, from the binaries {@code src/testbed/install-testbed.sh} builds. Tests run the operator against it;
 * the demo runs the operator against it when no cluster is at hand.
 * <p>
 * Authentication is by static tokens ({@link #users}); authorization is RBAC. An audit log of every request is kept
 * when asked for, which is how tests see what the operator does at the API server.
 */
public final class ControlPlane implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(ControlPlane.class);
    public static final String VERSION = "1.20.2";

    /** A static-token user: {@code token,name,uid,"groups"}. */
    public record User(String token, String name, List<String> groups) {
    }

    public static final User ADMIN = new User("admin-token", "admin", List.of("system:masters"));

    /**
     * The address pods reach the API server at: the gateway of a node's pod bridge (10.88.0.0/16). The API server
     * advertises it, so the in-cluster {@code kubernetes} Service (10.0.0.1:443) leads there; the node relays it to the
     * API server, which itself listens on loopback only.
     */
    public static final String POD_GATEWAY = "10.88.0.1";

    private final Path dir;
    private final Map<Process, String> processes = new LinkedHashMap<>();
    private List<String> apiServerCommand;
    private Process apiServer;
    private final int apiPort;
    private final Path auditLog;
    private String etcdUrl;

    private ControlPlane(Path dir, int apiPort, Path auditLog) {
        this.dir = dir;
        this.apiPort = apiPort;
        this.auditLog = auditLog;
    }

    /** Where the binaries live: {@code $WATCHKEEPER_CACHE} or {@code ~/.cache/watchkeeper}, then {@code k8s/1.20.2-linux-amd64}. */
    public static Path binaries() {
        String cache = System.getenv().getOrDefault("WATCHKEEPER_CACHE", System.getProperty("user.home") + "/.cache/watchkeeper");
        return Path.of(cache, "k8s", VERSION + "-linux-amd64");
    }

    public static boolean installed() {
        Path bin = binaries();
        return Files.isExecutable(bin.resolve("kube-apiserver")) && Files.isExecutable(bin.resolve("etcd"))
                && Files.isExecutable(bin.resolve("kube-controller-manager"));
    }

    /**
     * Starts etcd, kube-apiserver and kube-controller-manager and waits until the API server is ready.
     *
     * @param users       static-token users besides {@link #ADMIN}
     * @param auditedUser whose requests to write to the audit log ({@link #auditLog()}), with the stages that show a
     *                    watch start and end; null: no audit log
     */
    public static ControlPlane start(List<User> users, String auditedUser) throws IOException {
        boolean audit = auditedUser != null;
        if (!installed()) {
            throw new IllegalStateException("No control plane binaries in " + binaries()
                    + ": run src/testbed/install-testbed.sh (it builds them once and caches them)");
        }
        Path dir = Files.createTempDirectory("watchkeeper-control-plane-");
        int etcdPort = Ports.free();
        int etcdPeerPort = Ports.free();
        int apiPort = Ports.free();
        int kcmPort = Ports.free();
        Path auditLog = audit ? dir.resolve("audit.log") : null;
        ControlPlane cp = new ControlPlane(dir, apiPort, auditLog);
        try {
            cp.launch(users, auditedUser, etcdPort, etcdPeerPort, kcmPort);
        } catch (IOException | RuntimeException e) {
            cp.stopProcesses(); // keep the folder: its logs say why
            throw e;
        }
        return cp;
    }

    private void launch(List<User> users, String auditedUser, int etcdPort, int etcdPeerPort, int kcmPort) throws IOException {
        this.etcdUrl = "http://127.0.0.1:" + etcdPort;
        Path bin = binaries();
        Path certs = Files.createDirectories(dir.resolve("certs"));
        Path saKey = dir.resolve("sa.key");
        writeKey(saKey);
        List<User> all = new ArrayList<>(users);
        all.add(0, ADMIN);
        StringBuilder tokens = new StringBuilder();
        for (User u : all) {
            tokens.append(u.token()).append(',').append(u.name()).append(',').append(u.name()).append(",\"")
                    .append(String.join(",", u.groups())).append("\"\n");
        }
        Path tokenFile = Files.writeString(dir.resolve("tokens.csv"), tokens);

        spawn("etcd", List.of(bin.resolve("etcd").toString(), "--data-dir", dir.resolve("etcd").toString(),
                "--listen-client-urls", "http://127.0.0.1:" + etcdPort, "--advertise-client-urls", "http://127.0.0.1:" + etcdPort,
                "--listen-peer-urls", "http://127.0.0.1:" + etcdPeerPort, "--initial-advertise-peer-urls",
                "http://127.0.0.1:" + etcdPeerPort, "--initial-cluster", "default=http://127.0.0.1:" + etcdPeerPort,
                "--log-level", "warn"), Map.of("ETCD_UNSUPPORTED_ARCH", "amd64"));

        List<String> api = new ArrayList<>(List.of(bin.resolve("kube-apiserver").toString(),
                "--etcd-servers", "http://127.0.0.1:" + etcdPort, "--bind-address", "127.0.0.1",
                "--secure-port", String.valueOf(apiPort), "--cert-dir", certs.toString(),
                "--service-account-issuer", "https://kubernetes.default.svc",
                "--service-account-key-file", saKey.toString(), "--service-account-signing-key-file", saKey.toString(),
                "--token-auth-file", tokenFile.toString(), "--authorization-mode", "RBAC",
                "--service-cluster-ip-range", "10.0.0.0/24", "--advertise-address", POD_GATEWAY,
                // As in a real cluster, pods get their ServiceAccount's token: ServiceAccount admission is on (as by
                // default), and the tokens are bound ones (TokenRequest, refreshed by the kubelet), which need no
                // token controller and no Secrets.
                "--feature-gates", "BoundServiceAccountTokenVolume=true",
                // a node is reached at its address (kubectl logs, exec): its name resolves nowhere
                "--kubelet-preferred-address-types", "InternalIP,Hostname",
                "--allow-privileged=true", "--v=0"));
        if (auditLog != null) {
            Path policy = Files.writeString(dir.resolve("audit-policy.yaml"), """
                    apiVersion: audit.k8s.io/v1
                    kind: Policy
                    omitStages: [RequestReceived]
                    rules:
                      - level: Metadata
                        users: ["%s"]
                      - level: None
                    """.formatted(auditedUser));
            api.addAll(List.of("--audit-policy-file", policy.toString(), "--audit-log-path", auditLog.toString(),
                    "--audit-log-format", "json"));
        }
        apiServerCommand = List.copyOf(api);
        apiServer = spawn("kube-apiserver", api, Map.of());
        waitReady();

        Path kubeconfig = writeKubeconfig(ADMIN, dir.resolve("admin.kubeconfig"));
        // --root-ca-file: the CA that pods find in each namespace's kube-root-ca.crt, which their projected token
        // volume mounts; the API server's self-signed certificate file holds its CA too.
        spawn("kube-controller-manager", List.of(bin.resolve("kube-controller-manager").toString(),
                "--kubeconfig", kubeconfig.toString(), "--leader-elect=false", "--controllers", "*,-serviceaccount-token",
                "--root-ca-file", certs.resolve("apiserver.crt").toString(), "--feature-gates", "BoundServiceAccountTokenVolume=true",
                "--bind-address", "127.0.0.1", "--secure-port", String.valueOf(kcmPort), "--port", "0"), Map.of());
        // Pods need their namespace's ServiceAccount, which the controller manager creates; ServiceAccount admission
        // refuses a pod until it exists.
        await("/api/v1/namespaces/default/serviceaccounts/default", "the default ServiceAccount");
    }

    /**
     * Waits for the namespace's {@code default} ServiceAccount, which the controller manager makes: ServiceAccount
     * admission refuses pods until it exists.
     */
    public static void awaitDefaultServiceAccount(io.fabric8.kubernetes.client.KubernetesClient client, String namespace) {
        client.serviceAccounts().inNamespace(namespace).withName("default").waitUntilCondition(java.util.Objects::nonNull, 60, TimeUnit.SECONDS);
    }

    public String url() {
        return "https://127.0.0.1:" + apiPort;
    }

    /** etcd's client URL (plain HTTP on loopback; its v3 JSON gateway answers under {@code /v3/}). */
    public String etcdUrl() {
        return etcdUrl;
    }

    /** The audit log (JSON lines), when started with {@code audit = true}. */
    public Path auditLog() {
        return auditLog;
    }

    /** Writes a kubeconfig for {@code user} (TLS verification off: the server's certificate is self-signed). */
    public Path writeKubeconfig(User user, Path file) throws IOException {
        return Files.writeString(file, """
                apiVersion: v1
                kind: Config
                clusters:
                - name: watchkeeper
                  cluster:
                    server: %s
                    insecure-skip-tls-verify: true
                users:
                - name: %s
                  user:
                    token: %s
                contexts:
                - name: watchkeeper
                  context:
                    cluster: watchkeeper
                    user: %s
                    namespace: default
                current-context: watchkeeper
                """.formatted(url(), user.name(), user.token(), user.name()));
    }

    /**
     * Stops kube-apiserver and starts it again on the same port (etcd keeps the state): every client's watch drops
     * and must be re-established, as after an API server upgrade.
     */
    public void restartApiServer() throws IOException {
        restartApiServer(() -> {
        });
    }

    /** {@link #restartApiServer()}, running {@code whileDown} (against etcd, say) while no API server runs. */
    public void restartApiServer(Runnable whileDown) throws IOException {
        processes.remove(apiServer);
        apiServer.destroy();
        try {
            // On SIGTERM kube-apiserver closes its listener at once but keeps serving the watches it has (hijacked
            // connections) for up to a minute, while a new one already answers on the port: clients would never
            // notice the restart. What it has not finished within a few seconds is cut off.
            if (!apiServer.waitFor(5, TimeUnit.SECONDS)) {
                apiServer.destroyForcibly();
                apiServer.waitFor(30, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
        whileDown.run();
        apiServer = spawn("kube-apiserver", apiServerCommand, Map.of());
        waitReady();
    }

    private Process spawn(String name, List<String> command, Map<String, String> env) throws IOException {
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve(name + ".log").toFile()));
        pb.environment().putAll(env);
        Process p = pb.start();
        processes.put(p, name);
        return p;
    }

    private void waitReady() throws IOException {
        await("/readyz", "kube-apiserver");
        LOG.infof("Kubernetes %s API server ready at %s (state in %s)", VERSION, url(), dir);
    }

    /** Polls {@code path} as {@link #ADMIN} until it answers 200. */
    private void await(String path, String what) throws IOException {
        HttpClient http = HttpClient.newBuilder().sslContext(trustAll()).connectTimeout(Duration.ofSeconds(2)).build();
        Instant deadline = Instant.now().plusSeconds(60);
        String last = "no answer";
        while (Instant.now().isBefore(deadline)) {
            checkAlive(processes, dir);
            try {
                HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(url() + path))
                        .header("Authorization", "Bearer " + ADMIN.token()).timeout(Duration.ofSeconds(2)).build(),
                        HttpResponse.BodyHandlers.ofString());
                if (r.statusCode() == 200) {
                    return;
                }
                last = "HTTP " + r.statusCode();
            } catch (IOException e) {
                last = e.toString();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted", e);
            }
            try {
                // Polling a process we started; no observable event to wait on instead.
                TimeUnit.MILLISECONDS.sleep(250);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted", e);
            }
        }
        throw new IOException(what + " did not become ready within 60s (" + last + "); see " + dir);
    }

    @Override
    public void close() {
        stopProcesses();
        deleteQuietly(dir);
    }

    private void stopProcesses() {
        stop(processes);
    }

    /**
     * Fails, naming the process and quoting the end of its log, when one of {@code processes} (each logging to
     * {@code dir/<name>.log}) has exited.
     */
    static void checkAlive(Map<Process, String> processes, Path dir) throws IOException {
        for (Map.Entry<Process, String> p : processes.entrySet()) {
            if (!p.getKey().isAlive()) {
                Path log = dir.resolve(p.getValue() + ".log");
                throw new IOException(p.getValue() + " exited early with status " + p.getKey().exitValue() + "; the end of " + log
                        + ":\n" + tail(log, 15));
            }
        }
    }

    private static String tail(Path log, int lines) {
        try {
            List<String> all = Files.readAllLines(log, StandardCharsets.UTF_8);
            return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
        } catch (IOException | UncheckedIOException e) {
            return "(unreadable: " + e + ")";
        }
    }

    /** Stops {@code processes}, last started first: SIGTERM, and SIGKILL for any still running 10 s later. */
    static void stop(Map<Process, String> processes) {
        List<Process> started = new ArrayList<>(processes.keySet());
        for (int i = started.size() - 1; i >= 0; i--) {
            Process p = started.get(i);
            p.destroy();
            try {
                if (!p.waitFor(10, TimeUnit.SECONDS)) {
                    p.destroyForcibly();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                p.destroyForcibly();
            }
        }
        processes.clear();
    }

    private static void deleteQuietly(Path dir) {
        try (var walk = Files.walk(dir)) {
            walk.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException | UncheckedIOException e) {
            LOG.debugf("Could not delete %s: %s", dir, e);
        }
    }

    private static void writeKey(Path file) throws IOException {
        try {
            KeyPairGenerator gen = KeyPairGenerator.getInstance("RSA");
            gen.initialize(2048);
            byte[] der = gen.generateKeyPair().getPrivate().getEncoded();
            String pem = "-----BEGIN PRIVATE KEY-----\n"
                    + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(der)
                    + "\n-----END PRIVATE KEY-----\n";
            Files.writeString(file, pem);
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Trusts any certificate: for talking to the test bed's own API server over its self-signed TLS. */
    public static SSLContext trustAll() {
        try {
            SSLContext ctx = SSLContext.getInstance("TLS");
            ctx.init(null, new TrustManager[] { new X509TrustManager() {
                @Override
                public void checkClientTrusted(X509Certificate[] chain, String authType) {
                }

                @Override
                public void checkServerTrusted(X509Certificate[] chain, String authType) {
                }

                @Override
                public X509Certificate[] getAcceptedIssuers() {
                    return new X509Certificate[0];
                }
            } }, new SecureRandom());
            return ctx;
        } catch (java.security.GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }
}
