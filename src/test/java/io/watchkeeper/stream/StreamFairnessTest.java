package io.watchkeeper.stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.watchkeeper.testing.ControlPlaneResource;
import io.watchkeeper.testing.TestCluster;
import io.watchkeeper.testing.Watches;

/**
 * One client's flood must not delay another client's changes. Client B (a ServiceAccount) floods as hard as it may: on
 * two connections it asks for twenty snapshots of a watch of 2,000 configmaps (about 16 MB each) at once, reads
 * everything, and asks again; when it is refused or cut off it reconnects and goes on. Meanwhile client A, subscribed
 * to a small watch, must receive every change of a burst of 100 within 2 s of the API server accepting it.
 */
@QuarkusTest
@QuarkusTestResource(ControlPlaneResource.class)
class StreamFairnessTest {

    private static final String NS = TestCluster.namespace("fairness");
    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final Duration BOUND = Duration.ofSeconds(2);
    private static final int BIG = 2000;
    private static final int SMALL = 100;

    @TestHTTPResource("/api/v1alpha1/stream")
    URI stream;

    @BeforeAll
    static void setUp() throws Exception {
        String filler = "x".repeat(8000);
        ExecutorService pool = Executors.newFixedThreadPool(8);
        List<Future<?>> creates = new ArrayList<>();
        for (int i = 0; i < BIG; i++) {
            String name = "big-" + i;
            creates.add(pool.submit(() -> TestCluster.admin().resource(new ConfigMapBuilder().withNewMetadata().withName(name)
                    .withNamespace(NS).addToLabels("set", "big").endMetadata().addToData("filler", filler).build()).create()));
        }
        for (int i = 0; i < SMALL; i++) {
            String name = "small-" + i;
            creates.add(pool.submit(() -> TestCluster.admin().resource(new ConfigMapBuilder().withNewMetadata().withName(name)
                    .withNamespace(NS).addToLabels("set", "small").endMetadata().addToData("n", "0").build()).create()));
        }
        for (Future<?> f : creates) {
            f.get();
        }
        pool.shutdown();
        Watches.createReady(Watches.resourceWatch(NS, "big", "configmaps", Map.of("set", "big")));
        Watches.createReady(Watches.resourceWatch(NS, "small", "configmaps", Map.of("set", "small")));
        TestCluster.admin().resource(new io.fabric8.kubernetes.api.model.ServiceAccountBuilder().withNewMetadata().withName("flooder")
                .withNamespace(NS).endMetadata().build()).create();
        TestCluster.admin().resource(new io.fabric8.kubernetes.api.model.rbac.RoleBindingBuilder().withNewMetadata().withName("flooder")
                .withNamespace(NS).endMetadata().withNewRoleRef("rbac.authorization.k8s.io", "ClusterRole", TestCluster.READER_ROLE)
                .addNewSubject().withKind("ServiceAccount").withName("flooder").withNamespace(NS).endSubject().build()).create();
        flooderToken = TestCluster.admin().serviceAccounts().inNamespace(NS).withName("flooder")
                .tokenRequest(new io.fabric8.kubernetes.api.model.authentication.TokenRequestBuilder().withNewSpec()
                        .withExpirationSeconds(3600L).endSpec().build()).getStatus().getToken();
    }

    private static String flooderToken;

    private static String subscribe(String id, String watch) {
        return "{\"type\":\"SUBSCRIBE\",\"id\":\"" + id + "\",\"watch\":{\"kind\":\"ResourceWatch\",\"namespace\":\"" + NS
                + "\",\"name\":\"" + watch + "\"}}";
    }

    @Test
    void shouldDeliverEveryChangeToOneClientWithinTwoSecondsWhileAnotherFloods() throws Exception {
        AtomicInteger floodSnapshots = new AtomicInteger();
        AtomicLong floodBytes = new AtomicLong();
        URI ws = URI.create(stream.toString().replaceFirst("^http", "ws"));
        List<Flooder> flooders = List.of(new Flooder(ws, floodSnapshots, floodBytes), new Flooder(ws, floodSnapshots, floodBytes));
        ExecutorService writers = Executors.newFixedThreadPool(4);
        try (StreamConnection a = new StreamConnection(stream)) {
            assertThat(a.auth(TestCluster.ADMIN_TOKEN).next(WAIT).path("type").asText()).isEqualTo("READY");
            assertThat(a.send(subscribe("small", "small")).next(WAIT).path("type").asText()).isEqualTo("SNAPSHOT");
            flooders.forEach(Flooder::start);
            await().atMost(WAIT).until(() -> floodSnapshots.get() >= 4);

            for (int burst = 1; burst <= 3; burst++) {
                long seen = floodBytes.get(); // start the burst while the flood is being delivered (not while a flooder reconnects)
                await().atMost(WAIT).until(() -> floodBytes.get() > seen);
                long floodBefore = floodBytes.get();
                Map<String, Long> written = new ConcurrentHashMap<>();
                List<Future<?>> patches = new ArrayList<>();
                for (int i = 0; i < SMALL; i++) {
                    String name = "small-" + i;
                    String value = String.valueOf(burst);
                    patches.add(writers.submit(() -> {
                        ConfigMap cm = TestCluster.admin().configMaps().inNamespace(NS).withName(name)
                                .edit(c -> new ConfigMapBuilder(c).addToData("n", value).build());
                        written.put(cm.getMetadata().getResourceVersion(), System.nanoTime());
                    }));
                }
                for (Future<?> p : patches) {
                    p.get();
                }
                Map<String, Long> arrived = new HashMap<>();
                while (arrived.size() < SMALL) {
                    StreamConnection.Received r = a.nextReceived(WAIT);
                    if ("MODIFIED".equals(r.message().path("type").asText())) {
                        arrived.put(r.message().path("object").path("metadata").path("resourceVersion").asText(), r.nanos());
                    }
                }
                assertThat(arrived.keySet()).containsExactlyInAnyOrderElementsOf(written.keySet());
                long worst = written.entrySet().stream().mapToLong(w -> arrived.get(w.getKey()) - w.getValue()).max().orElseThrow();
                long flood = floodBytes.get() - floodBefore;
                System.out.printf("StreamFairnessTest: burst %d, slowest change %d ms; meanwhile the flood received %d MB; %d "
                        + "snapshots to the flood in all%n", burst, worst / 1_000_000, flood >> 20, floodSnapshots.get());
                assertThat(Duration.ofNanos(worst)).as("burst %d: the slowest change took %d ms, while the flood received %d MB",
                        burst, worst / 1_000_000, flood >> 20).isLessThan(BOUND);
                assertThat(flood).as("the flood went on during the burst").isPositive();
            }
        } finally {
            flooders.forEach(Flooder::stop);
            writers.shutdownNow();
        }
    }

    /**
     * Client B, one connection of it: asks for twenty snapshots of the big watch at once, reads everything as fast as it
     * comes (without parsing it), and asks again once every one is answered (a snapshot or a refusal); reconnects when it
     * is disconnected.
     */
    private static final class Flooder implements WebSocket.Listener, Runnable {
        private static final int AT_ONCE = 20;
        private final URI ws;
        private final AtomicInteger snapshots;
        private final AtomicLong bytes;
        private final LinkedBlockingQueue<String> heads = new LinkedBlockingQueue<>();
        private final StringBuilder partial = new StringBuilder();
        private final Thread thread = new Thread(this, "flooder");
        private volatile boolean stopped;
        private volatile WebSocket socket;

        Flooder(URI ws, AtomicInteger snapshots, AtomicLong bytes) {
            this.ws = ws;
            this.snapshots = snapshots;
            this.bytes = bytes;
            thread.setDaemon(true);
        }

        void start() {
            thread.start();
        }

        @Override
        public void run() {
            int round = 0;
            while (!stopped) {
                try {
                    heads.clear();
                    socket = HttpClient.newHttpClient().newWebSocketBuilder().buildAsync(ws, this).join();
                    socket.sendText("{\"type\":\"AUTH\",\"token\":\"" + flooderToken + "\"}", true).join();
                    if (!take().contains("\"READY\"")) {
                        continue;
                    }
                    while (!stopped) {
                        round++;
                        for (int i = 0; i < AT_ONCE; i++) {
                            socket.sendText(subscribe(round + "-" + i, "big"), true).join();
                        }
                        int answered = 0;
                        while (answered < AT_ONCE) {
                            String head = take();
                            if (head.contains("\"SNAPSHOT\"")) {
                                snapshots.incrementAndGet();
                                answered++;
                            } else if (head.contains("\"ERROR\"") && head.contains("\"id\"")) {
                                answered++;
                            } else if (head.contains("\"ERROR\"") || head.equals("CLOSED")) {
                                throw new IllegalStateException("cut off");
                            }
                        }
                        for (int i = 0; i < AT_ONCE; i++) {
                            socket.sendText("{\"type\":\"UNSUBSCRIBE\",\"id\":\"" + round + "-" + i + "\"}", true).join();
                        }
                    }
                } catch (RuntimeException | InterruptedException e) {
                    if (socket != null) {
                        socket.abort();
                    }
                }
            }
        }

        /** The start of the next message, or CLOSED. */
        private String take() throws InterruptedException {
            String head = heads.poll(30, TimeUnit.SECONDS);
            if (head == null) {
                throw new IllegalStateException("no answer");
            }
            return head;
        }

        @Override
        public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
            bytes.addAndGet(data.length());
            if (partial.length() < 64) {
                partial.append(data, 0, Math.min(data.length(), 64 - partial.length()));
            }
            if (last) {
                heads.add(partial.toString());
                partial.setLength(0);
            }
            webSocket.request(1);
            return null;
        }

        @Override
        public CompletionStage<?> onClose(WebSocket webSocket, int statusCode, String reason) {
            heads.add("CLOSED");
            return null;
        }

        @Override
        public void onError(WebSocket webSocket, Throwable error) {
            heads.add("CLOSED");
        }

        void stop() {
            stopped = true;
            thread.interrupt();
            if (socket != null) {
                socket.abort();
            }
        }
    }
}
