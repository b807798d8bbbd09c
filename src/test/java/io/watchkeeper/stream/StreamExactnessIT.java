package io.watchkeeper.stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.LabelSelectorBuilder;
import io.fabric8.kubernetes.api.model.LabelSelectorRequirementBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.watchkeeper.api.v1alpha1.ClusterResourceWatch;
import io.watchkeeper.api.v1alpha1.ResourceWatch;
import io.watchkeeper.testing.OperatorJar;
import io.watchkeeper.testing.TestCluster;
import io.watchkeeper.testing.Watches;

/**
 * Exactness, by property. Seeded random churn (creates, updates, relabels in and out of selectors, deletes, and
 * delete-and-recreate of the same name) runs against the real API server while stream clients subscribe, drop their
 * connections, resume from their last resourceVersion, from an older one (with their state rewound to it), from a
 * made-up one or from another watch's; and while the operator is stopped with SIGTERM or SIGKILL and started again, the
 * API server restarts (so the informers' watches come back to a too-old resourceVersion, get 410 and relist), and a
 * watch changes its question and back. After each round the churn stops and, once a client has seen the round's marker
 * object and a BOOKMARK after it, its state (uid to resourceVersion) must equal a fresh LIST from the API server, for
 * a ResourceWatch, a ClusterResourceWatch over two namespaces (two informers), one over all namespaces, and one on pods
 * that rides the Pod insight controller's informer.
 * <p>
 * {@code -Dexactness.seed=N} replays a run's choices (timing still varies); {@code -Dexactness.rounds=N} runs longer
 * (BENCHMARKS.md, "Stream exactness soak").
 */
class StreamExactnessIT {

    private static final long SEED = Long.getLong("exactness.seed", new java.security.SecureRandom().nextLong());
    private static final int ROUNDS = Integer.getInteger("exactness.rounds", 8);
    /** The operator's own intervals here; every wait below derives from them. */
    private static final Duration BOOKMARK = Duration.ofSeconds(1);
    private static final Duration RETRY_MAX = Duration.ofSeconds(4);
    /** fabric8's watch reconnect backoff: 1 s, doubling on each failure, at most 2^5 times that. */
    private static final Duration WATCH_BACKOFF_MAX = Duration.ofSeconds(32);
    /** Small (about 40 of the test's config map changes), so that resumes also meet a log that no longer covers them. */
    private static final int REPLAY_BYTES = 16_000;
    /** A round's settling: informer retries, a relist, a reconnect and a few bookmarks, with a wide margin for a busy machine. */
    private static final Duration SETTLE = RETRY_MAX.multipliedBy(5).plus(BOOKMARK.multipliedBy(20));
    private static final ObjectMapper JSON = new ObjectMapper();

    private static final String RUN = Long.toHexString(SEED & 0xffffff);
    private static final String NS_A = "exact-" + RUN + "-a";
    private static final String NS_B = "exact-" + RUN + "-b";
    private static final String NS_C = "exact-" + RUN + "-c";
    private static final String CHURN = "churn";

    private static Path dir;
    private static int port;
    private static volatile Process operator;
    private static final ScheduledExecutorService reconnector = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "exactness-reconnect");
        t.setDaemon(true);
        return t;
    });
    private static final Map<String, AtomicInteger> stats = new ConcurrentHashMap<>();

    @BeforeAll
    static void startOperator() throws IOException {
        dir = Files.createTempDirectory("exactness-it-");
        port = OperatorJar.freePort();
        for (String ns : List.of(NS_A, NS_B, NS_C)) {
            TestCluster.namespace(ns);
        }
        startJar();
    }

    @AfterAll
    static void stopOperator() {
        reconnector.shutdownNow();
        if (operator != null) {
            operator.destroy();
        }
    }

    private static void startJar() throws IOException {
        operator = OperatorJar.start(dir.resolve("operator.log"), port, Map.of(
                "WATCHKEEPER_STREAM_BOOKMARK_INTERVAL", BOOKMARK.toSeconds() + "s",
                "WATCHKEEPER_STREAM_REPLAY_BUFFER_SIZE", String.valueOf(REPLAY_BYTES),
                // every client here is the admin, and a dropped connection may still count while its successor opens
                "WATCHKEEPER_STREAM_MAX_CONNECTIONS_PER_USER", "100",
                "WATCHKEEPER_INFORMERS_RETRY_INITIAL", "1s", "WATCHKEEPER_INFORMERS_RETRY_MAX", RETRY_MAX.toSeconds() + "s",
                "WATCHKEEPER_DISCOVERY_RETRY_INTERVAL", "2s", "WATCHKEEPER_DISCOVERY_REFRESH_MIN_INTERVAL", "1s",
                "QUARKUS_LOG_CATEGORY__IO_WATCHKEEPER__LEVEL", "DEBUG",
                // One replica, restarted and cut off from the API server on purpose: an elected one would wait out the
                // Lease a SIGKILLed predecessor left, and exit when the API server is down longer than the renew
                // deadline (LeaderElectionIT covers both). Streams are served the same either way.
                "WATCHKEEPER_LEADER_ELECTION_ENABLED", "false"));
    }

    /** What one watch asks, and the API server's answer to the same question. */
    record Question(String kind, String namespace, String name, Supplier<Map<String, String>> truth) {
        String subscribe(String id, String resourceVersion) {
            return "{\"type\":\"SUBSCRIBE\",\"id\":\"" + id + "\",\"watch\":{\"kind\":\"" + kind + "\""
                    + (namespace == null ? "" : ",\"namespace\":\"" + namespace + "\"") + ",\"name\":\"" + name + "\"}"
                    + (resourceVersion == null ? "" : ",\"resourceVersion\":" + JSON.valueToTree(resourceVersion)) + "}";
        }
    }

    @Test
    void shouldConvergeEveryClientOnAFreshListThroughChurnRestartsAndRelists() throws Exception {
        System.out.printf("StreamExactnessIT: seed %d (-Dexactness.seed=%d to replay), %d rounds, operator log %s%n", SEED, SEED,
                ROUNDS, dir.resolve("operator.log"));
        KubernetesClient admin = TestCluster.admin();
        Random random = new Random(SEED);

        List<Question> questions = createWatches(admin);
        List<Follower> followers = new ArrayList<>();
        for (Question q : questions) {
            for (int i = 0; i < 2; i++) {
                followers.add(new Follower(q.name() + "#" + i, q, new Random(random.nextLong())));
            }
        }
        followers.forEach(Follower::connect);
        reconnector.scheduleWithFixedDelay(() -> followers.forEach(Follower::reconnectIfNeeded), 250, 250, TimeUnit.MILLISECONDS);

        Perturbation[] kinds = Perturbation.values();
        int first = random.nextInt(kinds.length); // every kind comes once in as many rounds, in a seeded order
        for (int round = 1; round <= ROUNDS; round++) {
            Perturbation p = kinds[(first + round) % kinds.length];
            double relistsBefore = relists();
            Churn churn = new Churn(admin, new Random(random.nextLong()));
            Thread churning = new Thread(churn, "exactness-churn");
            churning.start();
            for (int step = 0; step < 12; step++) {
                Follower f = followers.get(random.nextInt(followers.size()));
                f.act(random.nextInt(100), followers);
                if (step == 4) {
                    perturb(p, admin, random, followers);
                }
                TimeUnit.MILLISECONDS.sleep(random.nextInt(150)); // pacing of the random schedule, not a synchronisation
            }
            churn.stop.set(true);
            churning.join();
            stats.computeIfAbsent("perturbation " + p, k -> new AtomicInteger()).incrementAndGet();
            stats.computeIfAbsent("churn operations", k -> new AtomicInteger()).addAndGet(churn.operations);
            converge(round, p, admin, followers);
            if (p == Perturbation.API_SERVER_RESTART) {
                // The followers may converge before the informer is back (no change reached it after the restart); it
                // comes back after fabric8's watch reconnect backoff (which grew while the API server was down), finds
                // its resourceVersion compacted, and relists.
                int r = round;
                await("the relist after the restart").atMost(WATCH_BACKOFF_MAX.plus(SETTLE)).untilAsserted(() -> assertThat(relists())
                        .as("seed %d, round %d: the informers relisted after the restart past their resourceVersions: %s", SEED, r,
                                metricLines("watchkeeper_informer_")).isGreaterThan(relistsBefore));
            }
        }
        followers.forEach(Follower::close);
        System.out.printf("StreamExactnessIT: seed %d passed %d rounds: %s%n", SEED, ROUNDS, new TreeMap<>(stats));
    }

    private static List<Question> createWatches(KubernetesClient admin) {
        ResourceWatch rw = Watches.resourceWatch(NS_A, "churn", "configmaps", Map.of(CHURN, "yes"));
        admin.resource(rw).create();
        ClusterResourceWatch two = Watches.clusterWatch("exact-" + RUN + "-two", "configmaps", List.of(NS_B, NS_C));
        two.getSpec().setSelector(new LabelSelectorBuilder().withMatchLabels(Map.of(CHURN, "yes")).build());
        admin.resource(two).create();
        ClusterResourceWatch all = Watches.clusterWatch("exact-" + RUN + "-all", "configmaps", List.of());
        all.getSpec().setSelector(new LabelSelectorBuilder().withMatchLabels(Map.of(CHURN, "yes")).build());
        admin.resource(all).create();
        ClusterResourceWatch pods = Watches.clusterWatch("exact-" + RUN + "-pods", "pods", List.of());
        admin.resource(pods).create();
        return List.of(
                new Question("ResourceWatch", NS_A, "churn", () -> uidToRv(admin.configMaps().inNamespace(NS_A).withLabel(CHURN, "yes").list().getItems())),
                new Question("ClusterResourceWatch", null, two.getMetadata().getName(), () -> {
                    Map<String, String> m = uidToRv(admin.configMaps().inNamespace(NS_B).withLabel(CHURN, "yes").list().getItems());
                    m.putAll(uidToRv(admin.configMaps().inNamespace(NS_C).withLabel(CHURN, "yes").list().getItems()));
                    return m;
                }),
                new Question("ClusterResourceWatch", null, all.getMetadata().getName(),
                        () -> uidToRv(admin.configMaps().inAnyNamespace().withLabel(CHURN, "yes").list().getItems())),
                new Question("ClusterResourceWatch", null, pods.getMetadata().getName(), () -> uidToRv(admin.pods().inAnyNamespace().list().getItems())));
    }

    enum Perturbation {
        NONE, CLIENTS, SIGTERM, SIGKILL, API_SERVER_RESTART, QUESTION_CHANGE, RBAC_OUTAGE
    }

    /** Relists of the ClusterResourceWatch over all namespaces' informer, as the running operator counts them. */
    private static double relists() throws IOException, InterruptedException {
        String body = metrics();
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("(?m)^watchkeeper_informer_relists_total\\{namespace=\"\\*\","
                + "resource=\"configmaps\"} (\\S+)$").matcher(body);
        return m.find() ? Double.parseDouble(m.group(1)) : 0;
    }

    private static String metrics() throws IOException, InterruptedException {
        return HttpClient.newHttpClient().send(java.net.http.HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port
                + "/q/metrics")).build(), java.net.http.HttpResponse.BodyHandlers.ofString()).body();
    }

    private static String metricLines(String prefix) throws IOException, InterruptedException {
        return metrics().lines().filter(l -> l.startsWith(prefix))
                .collect(java.util.stream.Collectors.joining("\n"));
    }

    /**
     * While the API server is down: one more write straight into etcd (outside anything Kubernetes serves), so the
     * restarted API server's watch cache begins past every resourceVersion an informer holds, then a compaction up to
     * it. Every watch that comes back is too old: 410 Gone, and a relist.
     */
    private static void bumpAndCompactEtcd() {
        try {
            HttpClient http = HttpClient.newHttpClient();
            String etcd = TestCluster.controlPlane().etcdUrl();
            String key = java.util.Base64.getEncoder().encodeToString("watchkeeper-test/bump".getBytes());
            JsonNode put = JSON.readTree(http.send(java.net.http.HttpRequest.newBuilder(URI.create(etcd + "/v3/kv/put"))
                    .POST(java.net.http.HttpRequest.BodyPublishers.ofString("{\"key\":\"" + key + "\",\"value\":\"" + key + "\"}"))
                    .build(), java.net.http.HttpResponse.BodyHandlers.ofString()).body());
            String revision = put.path("header").path("revision").asText();
            var compacted = http.send(java.net.http.HttpRequest.newBuilder(URI.create(etcd + "/v3/kv/compaction"))
                    .POST(java.net.http.HttpRequest.BodyPublishers.ofString("{\"revision\":\"" + revision + "\",\"physical\":true}"))
                    .build(), java.net.http.HttpResponse.BodyHandlers.ofString());
            assertThat(compacted.statusCode()).as("etcd compaction at %s: %s", revision, compacted.body()).isEqualTo(200);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static void perturb(Perturbation p, KubernetesClient admin, Random random, List<Follower> followers) throws Exception {
        switch (p) {
            case NONE -> {
            }
            case CLIENTS -> followers.forEach(f -> f.act(random.nextInt(100), followers));
            case SIGTERM, SIGKILL -> {
                if (p == Perturbation.SIGTERM) {
                    operator.destroy();
                } else {
                    operator.destroyForcibly();
                }
                operator.waitFor();
                TimeUnit.MILLISECONDS.sleep(500 + random.nextInt(1500)); // churn goes on while the operator is down
                startJar();
            }
            case API_SERVER_RESTART -> TestCluster.controlPlane().restartApiServer(StreamExactnessIT::bumpAndCompactEtcd);
            case RBAC_OUTAGE -> {
                // The operator loses the right to read config maps; every watch must come back and cannot; a new
                // informer (the widened question) fails before its first list and is restarted with backoff.
                String name = TestCluster.READER_ROLE + "-test";
                io.fabric8.kubernetes.api.model.rbac.ClusterRoleBinding binding = admin.rbac().clusterRoleBindings().withName(name).get();
                admin.rbac().clusterRoleBindings().withName(name).delete();
                TestCluster.controlPlane().restartApiServer();
                editSelector(admin, true);
                TimeUnit.MILLISECONDS.sleep(1000 + random.nextInt(2000)); // the outage lasts a while; churn goes on
                binding.getMetadata().setResourceVersion(null);
                binding.getMetadata().setUid(null);
                binding.getMetadata().setCreationTimestamp(null);
                binding.getMetadata().setManagedFields(null);
                retrying(() -> admin.resource(binding).create());
                // the failed informer is restarted after its backoff, and now lists
                await("the widened question's informer, restarted after failing").atMost(SETTLE).ignoreExceptions().until(() -> {
                    ResourceWatch w = Watches.get(NS_A, "churn");
                    return w.getStatus().getInformer().getKey().contains("maybe") && Watches.ready(w).orElseThrow().getStatus().equals("True");
                });
                editSelector(admin, false);
            }
            case QUESTION_CHANGE -> {
                editSelector(admin, true);
                TimeUnit.MILLISECONDS.sleep(random.nextInt(3000)); // subscriptions end (410) and start over meanwhile
                editSelector(admin, false);
            }
        }
    }

    /** Widens the ResourceWatch's selector to churn in (yes, maybe), or back to churn=yes: the same objects, another question. */
    private static void editSelector(KubernetesClient admin, boolean widen) {
        // edit() reads, then patches with that resourceVersion: the operator writing the watch's status meanwhile
        // gives 409, and the edit is tried again on what it wrote
        retrying(() -> admin.resources(ResourceWatch.class).inNamespace(NS_A).withName("churn").edit(w -> {
            w.getSpec().setSelector(widen ? new LabelSelectorBuilder().withMatchExpressions(new LabelSelectorRequirementBuilder()
                    .withKey(CHURN).withOperator("In").withValues("yes", "maybe").build()).build()
                    : new LabelSelectorBuilder().withMatchLabels(Map.of(CHURN, "yes")).build());
            return w;
        }));
    }

    /**
     * The churn is over: a marker object goes into every namespace; once a client holds every marker it can see, and a
     * BOOKMARK came after that, its state must be what the API server lists.
     */
    private static void converge(int round, Perturbation p, KubernetesClient admin, List<Follower> followers) {
        Map<String, String> markers = new HashMap<>();
        for (String ns : List.of(NS_A, NS_B, NS_C)) {
            HasMetadata m = retrying(() -> admin.resource(new ConfigMapBuilder().withNewMetadata().withNamespace(ns).withName("marker")
                    .addToLabels(CHURN, "yes").endMetadata().addToData("round", String.valueOf(round)).build()).forceConflicts()
                    .serverSideApply());
            markers.put(m.getMetadata().getUid(), m.getMetadata().getResourceVersion());
        }
        HasMetadata pod = retrying(() -> admin.resource(Watches.pod(NS_A, "marker-" + round, Map.of())).create());
        markers.put(pod.getMetadata().getUid(), pod.getMetadata().getResourceVersion());

        for (Follower f : followers) {
            Map<String, String> expectedMarkers = new HashMap<>();
            Map<String, String> truthNow = f.question.truth().get();
            markers.forEach((uid, rv) -> {
                if (truthNow.containsKey(uid)) {
                    expectedMarkers.put(uid, rv);
                }
            });
            String context = "seed " + SEED + ", round " + round + " (" + p + "), client " + f.name + "; operator log "
                    + dir.resolve("operator.log");
            int[] bookmarks = new int[1];
            await(context + ": the client sees the round's markers").atMost(SETTLE).untilAsserted(() -> {
                assertThat(f.violations()).as(context).isEmpty();
                Map<String, String> state = f.state();
                expectedMarkers.forEach((uid, rv) -> assertThat(state).as(context).containsEntry(uid, rv));
                bookmarks[0] = f.bookmarks.get();
            });
            await(context + ": a BOOKMARK after the markers").atMost(SETTLE).until(() -> f.bookmarks.get() > bookmarks[0]);
            Map<String, String> truth = f.question.truth().get();
            assertThat(f.state()).as(context + ": the client's uid -> resourceVersion against a fresh LIST").isEqualTo(truth);
            assertThat(f.violations()).as(context).isEmpty();
        }
    }

    /** {@code write}, tried again every 200 ms while the API server refuses it (it is coming back from a restart). */
    private static <T> T retrying(Supplier<T> write) {
        java.util.concurrent.atomic.AtomicReference<T> done = new java.util.concurrent.atomic.AtomicReference<>();
        await("a write while the API server comes back").atMost(Duration.ofSeconds(60)).pollDelay(Duration.ZERO)
                .pollInterval(Duration.ofMillis(200)).ignoreException(KubernetesClientException.class).until(() -> {
                    done.set(write.get());
                    return true;
                });
        return done.get();
    }

    private static Map<String, String> uidToRv(List<? extends HasMetadata> items) {
        Map<String, String> out = new HashMap<>();
        items.forEach(o -> out.put(o.getMetadata().getUid(), o.getMetadata().getResourceVersion()));
        return out;
    }

    /** Seeded random writes: upserts that move objects in and out of the selectors, deletes, delete-and-recreate. */
    private static final class Churn implements Runnable {
        final KubernetesClient admin;
        final Random random;
        final AtomicBoolean stop = new AtomicBoolean();
        int operations;

        Churn(KubernetesClient admin, Random random) {
            this.admin = admin;
            this.random = random;
        }

        @Override
        public void run() {
            while (!stop.get()) {
                try {
                    step();
                    operations++;
                    TimeUnit.MILLISECONDS.sleep(random.nextInt(40)); // pacing of the random schedule
                } catch (KubernetesClientException e) {
                    // conflicts, and the API server restarting: the API server's state is the truth either way
                } catch (InterruptedException e) {
                    return;
                }
            }
        }

        private void step() {
            String ns = List.of(NS_A, NS_B, NS_C).get(random.nextInt(3));
            int op = random.nextInt(100);
            if (op < 20) {
                String name = "p-" + random.nextInt(6);
                if (op < 8) {
                    admin.resource(Watches.pod(NS_A, name, Map.of("v", String.valueOf(random.nextInt(1000))))).forceConflicts().serverSideApply();
                } else if (op < 14) {
                    admin.pods().inNamespace(NS_A).withName(name).withGracePeriod(0).delete();
                } else {
                    admin.pods().inNamespace(NS_A).withName(name).withGracePeriod(0).delete();
                    admin.resource(Watches.pod(NS_A, name, Map.of())).create();
                }
                return;
            }
            String name = "cm-" + random.nextInt(12);
            if (op < 65) {
                admin.resource(new ConfigMapBuilder().withNewMetadata().withNamespace(ns).withName(name)
                        .addToLabels(CHURN, random.nextInt(10) < 7 ? "yes" : random.nextBoolean() ? "no" : "maybe").endMetadata()
                        .addToData("v", String.valueOf(random.nextInt(1_000_000))).build()).forceConflicts().serverSideApply();
            } else if (op < 85) {
                admin.configMaps().inNamespace(ns).withName(name).delete();
            } else {
                admin.configMaps().inNamespace(ns).withName(name).delete();
                admin.resource(new ConfigMapBuilder().withNewMetadata().withNamespace(ns).withName(name).addToLabels(CHURN, "yes")
                        .endMetadata().addToData("v", "recreated").build()).create();
            }
        }
    }

    /**
     * One stream client following one watch: keeps uid to resourceVersion as the stream tells it, remembers the state at
     * each resourceVersion it was given (to resume from an older one honestly), and checks what it can on the way.
     */
    private final class Follower implements WebSocket.Listener {
        final String name;
        final Question question;
        final Random random;
        final AtomicInteger bookmarks = new AtomicInteger();
        private final ClientView view = new ClientView();
        private String token;
        private final ArrayDeque<Map.Entry<String, Map<String, String>>> history = new ArrayDeque<>();
        private final List<String> violations = new ArrayList<>();
        private WebSocket socket;
        /** The JDK's WebSocket refuses a send while another is pending: sends are chained. */
        private java.util.concurrent.CompletableFuture<?> sent = java.util.concurrent.CompletableFuture.completedFuture(null);
        private boolean connecting;
        private String subscription;
        private int subscriptions;
        /** A resourceVersion this client made up or took from another watch: the answer must be a SNAPSHOT. */
        private boolean foreignToken;
        private final StringBuilder partial = new StringBuilder();

        Follower(String name, Question question, Random random) {
            this.name = name;
            this.question = question;
            this.random = random;
        }

        synchronized Map<String, String> state() {
            return view.objects();
        }

        synchronized List<String> violations() {
            return List.copyOf(violations);
        }

        synchronized void connect() {
            if (socket != null || connecting) {
                return;
            }
            connecting = true;
            URI uri = URI.create("ws://127.0.0.1:" + port + "/api/v1alpha1/stream");
            HttpClient.newHttpClient().newWebSocketBuilder().connectTimeout(Duration.ofSeconds(2)).buildAsync(uri, this)
                    .whenComplete((ws, t) -> {
                        synchronized (this) {
                            connecting = false;
                        }
                    });
        }

        void reconnectIfNeeded() {
            connect();
        }

        synchronized void close() {
            if (socket != null) {
                socket.abort();
                socket = null;
            }
        }

        /** A random client action, by {@code dice} (0-99). */
        synchronized void act(int dice, List<Follower> all) {
            if (dice < 45) {
                return;
            }
            count("client action " + (dice < 70 ? "drop" : dice < 80 ? "rewind" : dice < 88 ? "made-up rv" : dice < 95 ? "foreign rv" : "fresh"));
            if (dice >= 95) { // a fresh subscription on the same connection
                if (socket != null && subscription != null) {
                    send("{\"type\":\"UNSUBSCRIBE\",\"id\":\"" + subscription + "\"}");
                    subscribe(null);
                }
                return;
            }
            close();
            if (dice >= 70 && dice < 80 && !history.isEmpty()) {
                List<Map.Entry<String, Map<String, String>>> saved = new ArrayList<>(history);
                Map.Entry<String, Map<String, String>> back = saved.get(random.nextInt(saved.size()));
                token = back.getKey();
                view.restore(back.getValue());
                foreignToken = false; // one this watch gave it
            } else if (dice >= 80 && dice < 88) {
                token = random.nextBoolean() ? String.valueOf(random.nextInt(1_000_000)) : "x" + random.nextInt();
                foreignToken = true;
            } else if (dice >= 88 && dice < 95) {
                Follower other = all.get(random.nextInt(all.size()));
                if (other != this && !other.question.equals(question)) {
                    String theirs = other.currentToken();
                    if (theirs != null) {
                        token = theirs;
                        foreignToken = true;
                    }
                }
            }
        }

        private synchronized String currentToken() {
            return token;
        }

        private void subscribe(String resourceVersion) {
            subscription = "s" + (++subscriptions);
            send(question.subscribe(subscription, resourceVersion));
        }

        private void send(String text) {
            WebSocket ws = socket;
            sent = sent.handle((v, t) -> null).thenCompose(v -> ws.sendText(text, true));
        }

        @Override
        public void onOpen(WebSocket webSocket) {
            synchronized (this) {
                socket = webSocket; // before any message is handled
                sent = java.util.concurrent.CompletableFuture.completedFuture(null);
                send("{\"type\":\"AUTH\",\"token\":\"" + TestCluster.ADMIN_TOKEN + "\"}");
            }
            webSocket.request(1);
        }

        @Override
        public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
            synchronized (this) {
                partial.append(data);
                if (last) {
                    try {
                        handle(webSocket, JSON.readTree(partial.toString()));
                    } catch (IOException e) {
                        violations.add("not JSON: " + partial);
                    }
                    partial.setLength(0);
                }
            }
            webSocket.request(1);
            return null;
        }

        private void handle(WebSocket ws, JsonNode m) {
            if (ws != socket) {
                return;
            }
            String type = m.path("type").asText();
            if ("READY".equals(type)) {
                subscribe(token);
                return;
            }
            if (!m.path("id").asText().equals(subscription)) {
                return; // a subscription this client gave up
            }
            count("message " + type);
            view.apply(m);
            switch (type) {
                case "SNAPSHOT" -> {
                    foreignToken = false;
                    saw(m);
                }
                case "RESUMED" -> {
                    if (foreignToken) {
                        violations.add("RESUMED from a resourceVersion that was never this watch's: " + m);
                    }
                    saw(m);
                }
                case "ADDED", "MODIFIED", "DELETED" -> saw(m);
                case "BOOKMARK" -> {
                    saw(m);
                    bookmarks.incrementAndGet();
                }
                case "STALE" -> {
                    // the operator says the view is not current: nothing to apply
                }
                case "ERROR" -> {
                    int code = m.path("code").asInt();
                    if (code == 410) {
                        token = null; // the watch changed its question: start over
                        subscribe(null);
                    } else if (code == 503 || code == 404 || code == 409) {
                        // not reconciled or not synced yet (the operator has just started): ask again shortly
                        String again = token;
                        reconnector.schedule(() -> {
                            synchronized (this) {
                                if (socket == ws) {
                                    subscribe(again);
                                }
                            }
                        }, 500, TimeUnit.MILLISECONDS);
                    } else if (code != 429) {
                        violations.add("unexpected " + m);
                    }
                }
                default -> violations.add("unknown message " + m);
            }
        }

        private void saw(JsonNode m) {
            String rv = m.path("resourceVersion").asText(null);
            if (rv == null || rv.isEmpty()) {
                violations.add("no resourceVersion on " + m.path("type").asText());
                return;
            }
            if (!rv.equals(token)) {
                token = rv;
                history.addLast(Map.entry(rv, view.objects()));
                if (history.size() > 30) {
                    history.removeFirst();
                }
            }
        }

        @Override
        public CompletionStage<?> onClose(WebSocket webSocket, int statusCode, String reason) {
            dropped(webSocket);
            return null;
        }

        @Override
        public void onError(WebSocket webSocket, Throwable error) {
            dropped(webSocket);
        }

        private synchronized void dropped(WebSocket ws) {
            if (socket == ws) {
                socket = null;
                count("connection dropped");
            }
        }


    }

    private static void count(String what) {
        stats.computeIfAbsent(what, k -> new AtomicInteger()).incrementAndGet();
    }
}
