package io.watchkeeper.informer;

import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.watchkeeper.api.v1alpha1.ClusterResourceWatch;
import io.watchkeeper.demo.ControlPlane;
import io.watchkeeper.demo.Ports;
import io.watchkeeper.testing.OperatorJar;
import io.watchkeeper.testing.PairedRatios;
import io.watchkeeper.testing.RealisticPods;
import io.watchkeeper.testing.Watches;

/**
 * The packaged operator as users run it, for {@link ScaleBenchmark}: its own process, the default install's
 * configuration (insight on, every namespace), the chart's JVM options in {@code JAVA_TOOL_OPTIONS}, and, where this
 * machine lets a root process make a memory cgroup (v1), the chart's default memory limit, so that the JVM sizes
 * itself as in a container. Measures its resident set idle and with every pod cached, its time to synced at start and
 * at each restart, and reads over HTTP against the API server's LIST of the same answer.
 */
final class OperatorProcess {

    /** The chart's defaults (values.yaml), as the default install runs the operator. */
    private static final JsonNode CHART = chartValues();
    /** {@code resources.limits.memory} (768Mi). */
    static final long MEMORY_LIMIT = 768L << 20;
    /** {@code jvm.options}, or {@code -Dbench.jvm} for experiments. */
    static final String JVM_OPTIONS = System.getProperty("bench.jvm", CHART.path("jvm").path("options").asText());
    /** {@code jvm.mallocArenaMax}. */
    static final String MALLOC_ARENA_MAX = CHART.path("jvm").path("mallocArenaMax").asText();
    /** How long a started operator is left alone before its idle resident set is read. */
    private static final long SETTLE_SECONDS = 30;
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Process process;
    private final int port;
    private final Path log;
    private final long launched;
    private final HttpClient http = HttpClient.newHttpClient();

    private OperatorProcess(Process process, int port, Path log, long launched) {
        this.process = process;
        this.port = port;
        this.log = log;
        this.launched = launched;
    }

    private static JsonNode chartValues() {
        try {
            JsonNode values = new ObjectMapper(new YAMLFactory()).readTree(Path.of("helm/watchkeeper/values.yaml").toFile());
            if (values.path("jvm").path("options").asText().isEmpty() || values.path("jvm").path("mallocArenaMax").asText().isEmpty()) {
                throw new IllegalStateException("helm/watchkeeper/values.yaml has no jvm.options or jvm.mallocArenaMax");
            }
            return values;
        } catch (IOException e) {
            throw new IllegalStateException("cannot read the chart's values (run from the project's directory)", e);
        }
    }

    /** The operator's CRDs, from the build (as the test cluster installs them), established. */
    static void installCrds(KubernetesClient client) throws Exception {
        for (String crd : List.of("resourcewatches.watchkeeper.io", "clusterresourcewatches.watchkeeper.io")) {
            try (var in = Files.newInputStream(Path.of("target/kubernetes/" + crd + "-v1.yml"))) {
                client.load(in).serverSideApply();
            }
            client.apiextensions().v1().customResourceDefinitions().withName(crd).waitUntilCondition(c -> c.getStatus() != null
                    && c.getStatus().getConditions() != null && c.getStatus().getConditions().stream().anyMatch(k -> "Established".equals(k.getType()) && "True".equals(k.getStatus())),
                    1, TimeUnit.MINUTES);
        }
    }

    /** Idle: the operator on an empty cluster, synced, left alone. */
    static void idle(ControlPlane cp) throws Exception {
        OperatorProcess op = start(cp);
        try {
            op.awaitPodsSynced();
            TimeUnit.SECONDS.sleep(SETTLE_SECONDS); // the harness leaves its subject alone, then reads its memory
            System.out.printf("operator process, idle (no pods, insight on, %s): RSS %.0f MiB, heap used %.0f MiB%n", op.limits(),
                    op.rss() / 1048576.0, op.heapUsed() / 1048576.0);
        } finally {
            op.stop();
        }
    }

    /**
     * With {@code pods} pods: started {@code repeats} times (a restart each time after the first), time to synced, RSS
     * when synced and after settling; on the first start, label reads over HTTP from this process, beside the API
     * server's label LIST from its watch cache.
     */
    static void loaded(ControlPlane cp, KubernetesClient client, int pods, int repeats) throws Exception {
        ScaleBenchmark.Stats ready = new ScaleBenchmark.Stats("operator process: launch to ready");
        ScaleBenchmark.Stats synced = new ScaleBenchmark.Stats("operator process: launch to pods synced (" + pods + " pods)");
        ScaleBenchmark.Stats rssSynced = new ScaleBenchmark.Stats("operator process: RSS when synced");
        ScaleBenchmark.Stats rssSettled = new ScaleBenchmark.Stats("operator process: RSS " + SETTLE_SECONDS + " s after synced");
        ScaleBenchmark.Stats committedSynced = new ScaleBenchmark.Stats("operator process: heap committed when synced");
        ScaleBenchmark.Stats heap = new ScaleBenchmark.Stats("operator process: heap used " + SETTLE_SECONDS + " s after synced");
        ScaleBenchmark.Stats committed = new ScaleBenchmark.Stats("operator process: heap committed " + SETTLE_SECONDS + " s after synced");
        ScaleBenchmark.Stats live = new ScaleBenchmark.Stats("operator process: heap used after a full GC (jcmd GC.run)");
        ScaleBenchmark.Stats rssAfterGc = new ScaleBenchmark.Stats("operator process: RSS after that full GC");
        for (int r = 0; r < repeats; r++) {
            OperatorProcess op = start(cp);
            try {
                ready.add(op.readyAfter);
                synced.add(op.awaitPodsSynced());
                rssSynced.add(op.rss());
                committedSynced.add(op.heapCommitted());
                if (r == 0) {
                    op.labelReads(cp, client, pods);
                }
                TimeUnit.SECONDS.sleep(SETTLE_SECONDS);
                rssSettled.add(op.rss());
                heap.add(op.heapUsed());
                committed.add(op.heapCommitted());
                new ProcessBuilder("jcmd", String.valueOf(op.process.pid()), "GC.run").redirectErrorStream(true)
                        .redirectOutput(ProcessBuilder.Redirect.DISCARD).start().waitFor(60, TimeUnit.SECONDS);
                live.add(op.heapUsed());
                rssAfterGc.add(op.rss());
            } finally {
                op.stop();
            }
        }
        System.out.printf("operator process: %s; each start after the first is a restart%n", limits());
        ready.print("s", 1e-9);
        synced.print("s", 1e-9);
        rssSynced.print("MiB", 1.0 / 1048576);
        rssSettled.print("MiB", 1.0 / 1048576);
        committedSynced.print("MiB", 1.0 / 1048576);
        heap.print("MiB", 1.0 / 1048576);
        committed.print("MiB", 1.0 / 1048576);
        live.print("MiB", 1.0 / 1048576);
        rssAfterGc.print("MiB", 1.0 / 1048576);
    }

    private long readyAfter;

    private static OperatorProcess start(ControlPlane cp) throws Exception {
        int port = Ports.free();
        Path log = Files.createTempFile("watchkeeper-bench-operator-", ".log");
        String cgroup = memoryCgroup();
        List<String> command = cgroup == null ? List.of("java", "-jar", OperatorJar.JAR)
                : List.of("sh", "-c", "echo $$ > " + cgroup + "/cgroup.procs && exec java -jar " + OperatorJar.JAR);
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
        Map<String, String> env = new HashMap<>(Map.of("QUARKUS_KUBERNETES_CLIENT_API_SERVER_URL", cp.url(), "QUARKUS_KUBERNETES_CLIENT_TOKEN",
                ControlPlane.ADMIN.token(), "QUARKUS_KUBERNETES_CLIENT_TRUST_CERTS", "true", "QUARKUS_HTTP_PORT", String.valueOf(port),
                "JAVA_TOOL_OPTIONS", JVM_OPTIONS, "MALLOC_ARENA_MAX", MALLOC_ARENA_MAX));
        for (String kv : System.getProperty("bench.env", "").split(",")) { // -Dbench.env=NAME=VALUE,… for experiments
            if (kv.contains("=")) {
                env.put(kv.substring(0, kv.indexOf('=')), kv.substring(kv.indexOf('=') + 1));
            }
        }
        pb.environment().putAll(env);
        long t0 = System.nanoTime();
        OperatorProcess op = new OperatorProcess(pb.start(), port, log, t0);
        op.await("ready", () -> op.status("/q/health/ready") == 200);
        op.readyAfter = System.nanoTime() - t0;
        return op;
    }

    /** A memory cgroup (v1) limited as the chart's container is, or null (then the JVM sizes itself from the host). */
    private static String memoryCgroup() {
        try {
            String own = Files.readAllLines(Path.of("/proc/self/cgroup")).stream().filter(l -> l.matches("\\d+:memory:.*")).findFirst()
                    .map(l -> l.substring(l.indexOf(":memory:") + ":memory:".length())).orElse(null);
            if (own == null) {
                return null;
            }
            Path dir = Path.of("/sys/fs/cgroup/memory" + own, "watchkeeper-bench");
            Files.createDirectories(dir);
            Files.writeString(dir.resolve("memory.limit_in_bytes"), String.valueOf(MEMORY_LIMIT));
            return dir.toString();
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    /** Removes the memory cgroup {@link #memoryCgroup} made (empty once the operator processes are gone). */
    static void removeCgroup() {
        String dir = memoryCgroup();
        if (dir != null) {
            try {
                Files.deleteIfExists(Path.of(dir)); // rmdir: the kernel removes its control files with it
            } catch (IOException e) {
                System.out.println("could not remove the memory cgroup " + dir + ": " + e);
            }
        }
    }

    private static String limits() {
        return (memoryCgroup() != null ? "in a memory cgroup limited to " + (MEMORY_LIMIT >> 20) + " MiB"
                : "no memory cgroup here: the JVM sized itself from the host") + ", JAVA_TOOL_OPTIONS=" + JVM_OPTIONS
                + ", MALLOC_ARENA_MAX=" + MALLOC_ARENA_MAX
                + (System.getProperty("bench.env", "").isEmpty() ? "" : ", environment " + System.getProperty("bench.env"));
    }

    /** @return nanoseconds from launch until the operator reports its all-namespace pod informer synced */
    private long awaitPodsSynced() throws Exception {
        await("pods synced", () -> metrics().lines().anyMatch(l -> l.startsWith("watchkeeper_informer_synced{") && l.contains("resource=\"pods\"")
                && l.contains("namespace=\"*\"") && l.endsWith(" 1.0")));
        return System.nanoTime() - launched;
    }

    /** Reads counted as the cold start; reads before those measured (a server runs for days: its JIT is warm). */
    private static final int COLD_READS = 10;
    private static final int WARM_UP_READS = 200;
    /**
     * Reads of the operator alone after the cold ones, before the rounds that warm both up: its JIT still compiles
     * after hundreds of reads (the eighth run in BENCHMARKS.md: the compiled-method count rose by 86 over each 1,000
     * reads after 5,000). Without the API server's reads in between, these take seconds.
     */
    private static final int OWN_WARM_UP_READS = 4000;
    private static final int MEASURED_READS = 200;
    /** Measured rounds per block, for the API server's time over ours block by block (an even number: a block's median). */
    private static final int READS_PER_BLOCK = 10;

    /**
     * A ClusterResourceWatch on every pod (served from insight's pod informer), then label reads of one ReplicaSet's
     * pods over HTTP, each answer checked against the API server's label LIST of the same pods. Each round reads from
     * both with the JDK's client as it comes (HTTP/2: h2c with the operator, h2 over TLS with the API server) and with
     * one held to HTTP/1.1; the first {@link #COLD_READS} rounds are reported apart; then {@link #OWN_WARM_UP_READS}
     * reads of the operator alone and the next rounds warm the JIT up.
     */
    private void labelReads(ControlPlane cp, KubernetesClient client, int pods) throws Exception {
        client.resource(Watches.clusterWatch("bench-every-pod", "pods", List.of())).create();
        await("watch ready", () -> {
            ClusterResourceWatch w = client.resources(ClusterResourceWatch.class).withName("bench-every-pod").get();
            return w != null && w.getStatus() != null && Watches.condition(w.getStatus(), "Ready").map(c -> "True".equals(c.getStatus())).orElse(false);
        });
        HttpClient ours2 = HttpClient.newHttpClient(); // new on both sides: the first reads include connecting
        HttpClient ours11 = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        HttpClient theirs2 = HttpClient.newBuilder().sslContext(ControlPlane.trustAll()).build();
        HttpClient theirs11 = HttpClient.newBuilder().sslContext(ControlPlane.trustAll()).version(HttpClient.Version.HTTP_1_1).build();
        int sets = Math.max(1, pods / RealisticPods.PODS_PER_REPLICASET);
        String what = "HTTP items read, label selector, " + RealisticPods.PODS_PER_REPLICASET + " of " + pods + " pods, from another process";
        ScaleBenchmark.Stats oursCold = new ScaleBenchmark.Stats(what + ", the first " + COLD_READS + " reads after the start (JIT not warm yet)");
        ScaleBenchmark.Stats theirsCold = new ScaleBenchmark.Stats("API server label LIST of the same pods (watch cache), its first " + COLD_READS + " reads");
        ScaleBenchmark.Stats oursH2 = new ScaleBenchmark.Stats(what + ", JDK client by default (HTTP/2: h2c)");
        ScaleBenchmark.Stats theirsH2 = new ScaleBenchmark.Stats("API server label LIST of the same pods (watch cache), JDK client by default (HTTP/2 over TLS)");
        ScaleBenchmark.Stats oursH1 = new ScaleBenchmark.Stats(what + ", JDK client held to HTTP/1.1");
        ScaleBenchmark.Stats theirsH1 = new ScaleBenchmark.Stats("API server label LIST of the same pods (watch cache), JDK client held to HTTP/1.1 (TLS)");
        int bytes = 0;
        int theirBytes = 0;
        HttpClient.Version[] versions = new HttpClient.Version[4]; // as spoken: ours, theirs; by default, then held to 1.1
        ScaleBenchmark.Stats floorH2 = new ScaleBenchmark.Stats("the same answer's bytes from a process that holds them and does nothing else (BytesServer), JDK client by default");
        ScaleBenchmark.Stats floorH1 = new ScaleBenchmark.Stats("the same, held to HTTP/1.1");
        // each measured round's times, ns: ours and theirs by default, ours and theirs held to HTTP/1.1, the floor's two
        long[][] measured = new long[MEASURED_READS][];
        Process floor = null; // started after the cold reads, with an answer of ours
        HttpRequest floorRead = null;
        try {
            for (int r = 0; r < WARM_UP_READS + MEASURED_READS; r++) {
                String selector = "app=app-" + (r % sets);
                String q = "labelSelector=" + URLEncoder.encode(selector, StandardCharsets.UTF_8);
                HttpRequest read = itemsRead(selector);
                HttpRequest list = HttpRequest.newBuilder(URI.create(cp.url() + "/api/v1/pods?resourceVersion=0&" + q))
                        .header("Authorization", "Bearer " + ControlPlane.ADMIN.token()).build();
                long[] ours = new long[2];
                long[] theirs = new long[2];
                HttpResponse<byte[]> a = null;
                HttpResponse<byte[]> b = null;
                for (int v = 0; v < 2; v++) {
                    long t = System.nanoTime();
                    a = (v == 0 ? ours2 : ours11).send(read, HttpResponse.BodyHandlers.ofByteArray());
                    ours[v] = System.nanoTime() - t;
                    t = System.nanoTime();
                    b = (v == 0 ? theirs2 : theirs11).send(list, HttpResponse.BodyHandlers.ofByteArray());
                    theirs[v] = System.nanoTime() - t;
                    if (a.statusCode() != 200 || b.statusCode() != 200) {
                        throw new IllegalStateException("label read: HTTP " + a.statusCode() + " / " + b.statusCode());
                    }
                    if (!names(a.body()).equals(names(b.body()))) {
                        throw new IllegalStateException("label read " + selector + ": the operator and the API server answer differently");
                    }
                    versions[2 * v] = a.version();
                    versions[2 * v + 1] = b.version();
                }
                if (floor == null && r >= COLD_READS) {
                    for (int w = 0; w < OWN_WARM_UP_READS; w++) {
                        HttpResponse<byte[]> x = (w % 2 == 0 ? ours2 : ours11).send(itemsRead("app=app-" + (w % sets)),
                                HttpResponse.BodyHandlers.ofByteArray());
                        if (x.statusCode() != 200) {
                            throw new IllegalStateException("warm-up read: HTTP " + x.statusCode());
                        }
                    }
                    floor = bytesServer(a.body());
                    floorRead = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + floorPort + "/")).build();
                }
                long[] floors = new long[2];
                for (int v = 0; floor != null && v < 2; v++) {
                    long t = System.nanoTime();
                    (v == 0 ? ours2 : ours11).send(floorRead, HttpResponse.BodyHandlers.ofByteArray());
                    floors[v] = System.nanoTime() - t;
                }
                bytes = a.body().length;
                theirBytes = b.body().length;
                if (r < COLD_READS) { // the operator checks the caller's token once, then reuses that; its JIT warms up
                    oursCold.add(ours[0]);
                    theirsCold.add(theirs[0]);
                } else if (r >= WARM_UP_READS) {
                    oursH2.add(ours[0]);
                    theirsH2.add(theirs[0]);
                    oursH1.add(ours[1]);
                    theirsH1.add(theirs[1]);
                    floorH2.add(floors[0]);
                    floorH1.add(floors[1]);
                    measured[r - WARM_UP_READS] = new long[] {ours[0], theirs[0], ours[1], theirs[1], floors[0], floors[1]};
                }
            }
        } finally {
            if (floor != null) {
                floor.destroy();
                floor.waitFor(30, TimeUnit.SECONDS);
            }
        }
        System.out.printf("label reads: the operator's answer %,d bytes (no managedFields), the API server's %,d; spoken: %s and %s by "
                + "default, %s and %s held to HTTP/1.1%n", bytes, theirBytes, versions[0], versions[1], versions[2], versions[3]);
        for (ScaleBenchmark.Stats s : List.of(oursCold, theirsCold, oursH2, theirsH2, oursH1, theirsH1, floorH2, floorH1)) {
            s.print("ms", 1e-6);
        }
        // the API server's time over ours and over the floor's, block by block: each block's median of each, over blocks of
        // consecutive rounds (reads one right after the other are not independent; blocks are less dependent, not wholly)
        PairedRatios speedUpH2 = new PairedRatios();
        PairedRatios speedUpH1 = new PairedRatios();
        PairedRatios floorSpeedUpH2 = new PairedRatios();
        PairedRatios floorSpeedUpH1 = new PairedRatios();
        for (int from = 0; from + READS_PER_BLOCK <= MEASURED_READS; from += READS_PER_BLOCK) {
            long[] m = new long[6];
            for (int k = 0; k < 6; k++) {
                long[] block = new long[READS_PER_BLOCK];
                for (int i = 0; i < READS_PER_BLOCK; i++) {
                    block[i] = measured[from + i][k];
                }
                Arrays.sort(block);
                m[k] = (block[READS_PER_BLOCK / 2 - 1] + block[READS_PER_BLOCK / 2]) / 2;
            }
            speedUpH2.add(m[1], m[0]);
            speedUpH1.add(m[3], m[2]);
            floorSpeedUpH2.add(m[1], m[4]);
            floorSpeedUpH1.add(m[3], m[5]);
        }
        System.out.printf("the API server's LIST over our read, by blocks of %d rounds (the median of each): JDK client by default %s; held to "
                + "HTTP/1.1 %s%n", READS_PER_BLOCK, speedUpH2.describe(), speedUpH1.describe());
        System.out.printf("the API server's LIST over the floor's read, the same: JDK client by default %s; held to HTTP/1.1 %s%n",
                floorSpeedUpH2.describe(), floorSpeedUpH1.describe());
        client.resources(ClusterResourceWatch.class).withName("bench-every-pod").delete();
    }

    /** The operator's items of the every-pod watch with {@code selector}, as the admin. */
    private HttpRequest itemsRead(String selector) {
        return HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/api/v1alpha1/clusterresourcewatches/bench-every-pod/items?labelSelector="
                + URLEncoder.encode(selector, StandardCharsets.UTF_8))).header("Authorization", "Bearer " + ControlPlane.ADMIN.token()).build();
    }

    private int floorPort;

    /** A {@link BytesServer} of {@code body}, started and listening on {@link #floorPort}. */
    private Process bytesServer(byte[] body) throws Exception {
        Path file = Files.createTempFile("watchkeeper-bench-answer-", ".json");
        Files.write(file, body);
        file.toFile().deleteOnExit();
        floorPort = Ports.free();
        Process p = new ProcessBuilder("java", "-XX:+UseSerialGC", "-Xmx256m", "-cp", classPath(), BytesServer.class.getName(), file.toString(),
                String.valueOf(floorPort)).redirectError(ProcessBuilder.Redirect.DISCARD).start(); // stdout: one line
        String first = new java.io.BufferedReader(new java.io.InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8)).readLine();
        if (!"listening".equals(first)) {
            p.destroy();
            throw new IllegalStateException("BytesServer did not start: " + first);
        }
        return p;
    }

    /** This harness's class path: exec:java runs it in a class loader of its own, not on java.class.path. */
    private static String classPath() {
        List<String> out = new java.util.ArrayList<>();
        for (ClassLoader l = OperatorProcess.class.getClassLoader(); l != null; l = l.getParent()) {
            if (l instanceof java.net.URLClassLoader u) {
                for (java.net.URL url : u.getURLs()) {
                    out.add(Path.of(URI.create(url.toString())).toString());
                }
            }
        }
        out.add(System.getProperty("java.class.path"));
        return String.join(java.io.File.pathSeparator, out);
    }

    private static java.util.Set<String> names(byte[] list) throws IOException {
        java.util.Set<String> out = new java.util.TreeSet<>();
        for (JsonNode item : JSON.readTree(list).path("items")) {
            out.add(item.path("metadata").path("namespace").asText() + "/" + item.path("metadata").path("name").asText() + "@"
                    + item.path("metadata").path("resourceVersion").asText());
        }
        return out;
    }

    private long rss() throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/" + process.pid() + "/status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("\\D", "")) * 1024;
            }
        }
        throw new IllegalStateException("no VmRSS for " + process.pid());
    }

    /** The JVM's heap in use, from its own metrics (sum over the heap pools). */
    private long heapUsed() throws Exception {
        return heap("jvm_memory_used_bytes{");
    }

    /** The heap the JVM holds from the system (sum over the heap pools): what of the RSS is heap at most. */
    private long heapCommitted() throws Exception {
        return heap("jvm_memory_committed_bytes{");
    }

    private long heap(String metric) throws Exception {
        return (long) metrics().lines().filter(l -> l.startsWith(metric) && l.contains("area=\"heap\""))
                .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1))).sum();
    }

    private String metrics() throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/q/metrics")).build(),
                HttpResponse.BodyHandlers.ofString()).body();
    }

    private int status(String path) {
        try {
            return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).build(), HttpResponse.BodyHandlers.discarding())
                    .statusCode();
        } catch (IOException e) {
            return -1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        }
    }

    private void await(String what, java.util.concurrent.Callable<Boolean> condition) {
        org.awaitility.Awaitility.await(what + " (log: " + log + ")").atMost(10, TimeUnit.MINUTES).pollInterval(50, TimeUnit.MILLISECONDS)
                .ignoreException(IOException.class).failFast("the operator exited before " + what, () -> !process.isAlive())
                .until(condition);
    }

    /** SIGTERM, as a pod's stop, and waits for the exit. */
    private void stop() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(60, TimeUnit.SECONDS)) {
            process.destroyForcibly().waitFor();
        }
    }
}
