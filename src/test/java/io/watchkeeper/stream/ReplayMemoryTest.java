package io.watchkeeper.stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.URI;
import java.time.Duration;
import java.util.Map;

import jakarta.inject.Inject;

import org.jboss.logging.Logger;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.watchkeeper.informer.InformerHub;
import io.watchkeeper.informer.SharedInformer;
import io.watchkeeper.testing.ControlPlaneResource;
import io.watchkeeper.testing.Heap;
import io.watchkeeper.testing.TestCluster;
import io.watchkeeper.testing.Watches;

/**
 * Anyone who may patch a pod must not be able to pin the operator's heap: 100 patches of a 200 KB annotation (20 MB of
 * changes) move the GC'd heap by no more than the replay buffer's byte bound (2 MiB in the test profile) plus a margin
 * for measuring, whether a stream client follows the pods or not, and whether it reads or has stopped reading. The test
 * runs in the operator's JVM, so it measures the operator's heap.
 */
@QuarkusTest
@QuarkusTestResource(ControlPlaneResource.class)
class ReplayMemoryTest {

    private static final Logger LOG = Logger.getLogger(ReplayMemoryTest.class);
    /** One namespace (pod, watch, informer) per test, so that one test's replay log cannot be the other's. */
    private static final String QUIET = TestCluster.namespace("replay-quiet");
    private static final String FOLLOWED = TestCluster.namespace("replay-followed");
    private static final String STALLED = TestCluster.namespace("replay-stalled");
    private static final long BOUND = 2L << 20;
    /** What measuring costs: the current 200 KB object in each cache, the stream's own buffers, GC noise. */
    private static final long MARGIN = 8L << 20;
    private static final int PATCHES = 100;

    @TestHTTPResource("/api/v1alpha1/stream")
    URI stream;

    @Inject
    InformerHub hub;

    @BeforeAll
    static void watchAPod() {
        for (String ns : java.util.List.of(QUIET, FOLLOWED, STALLED)) {
            TestCluster.admin().resource(Watches.pod(ns, "big", Map.of("app", "big"))).create();
            Watches.createReady(Watches.resourceWatch(ns, "big", "pods", Map.of("app", "big")));
        }
    }

    @Test
    void shouldKeepNoChangesWhileNoStreamFollows() {
        long before = Heap.usedAfterGc();
        patch(QUIET, "quiet");
        long grown = Heap.usedAfterGc() - before;
        LOG.infof("heap after %d patches of 200 KB, no stream client: %+d KiB", PATCHES, grown / 1024);
        assertThat(grown).as("heap growth in bytes").isLessThan(MARGIN);
        assertThat(hub.informers()).filteredOn(si -> QUIET.equals(si.key().namespace())).isNotEmpty()
                .allSatisfy(si -> assertThat(si.timeline().loggedBytes()).as("the watch's replay log").isZero());
    }

    @Test
    void shouldKeepAtMostTheReplayBufferWhileAStreamFollows() throws Exception {
        try (StreamConnection c = new StreamConnection(stream)) {
            c.auth(TestCluster.ADMIN_TOKEN).next(Duration.ofSeconds(15));
            c.send("{\"type\":\"SUBSCRIBE\",\"id\":\"b\",\"watch\":{\"namespace\":\"" + FOLLOWED + "\",\"name\":\"big\"}}");
            assertThat(c.next(Duration.ofSeconds(15)).path("type").asText()).isEqualTo("SNAPSHOT");
            drain(c);
            long before = Heap.usedAfterGc();
            String last = patch(FOLLOWED, "followed");
            // the client has every change (so no queue holds any), and what is left is the replay buffer
            java.util.concurrent.atomic.AtomicReference<String> seen = new java.util.concurrent.atomic.AtomicReference<>();
            await().atMost(Duration.ofSeconds(60)).until(() -> {
                for (var m = c.poll(); m != null; m = c.poll()) {
                    if (m.has("object")) {
                        seen.set(m.path("object").path("metadata").path("resourceVersion").asText());
                    }
                }
                return last.equals(seen.get());
            });
            long grown = Heap.usedAfterGc() - before;
            LOG.infof("heap after %d patches of 200 KB, one stream client: %+d KiB", PATCHES, grown / 1024);
            assertThat(grown).as("heap growth in bytes").isLessThan(BOUND + MARGIN);
            assertThat(hub.informers()).filteredOn(si -> FOLLOWED.equals(si.key().namespace())).isNotEmpty()
                    .allSatisfy(si -> assertThat(si.timeline().loggedBytes()).as("the watch's replay log").isPositive()
                            .isLessThanOrEqualTo(BOUND));
        }
    }

    /**
     * A client that stops reading (its connection's buffers full) is held to the replay buffer, not to its own queue
     * (20 MiB in the test profile, as large as the 100 changes): once it is further behind than the buffer holds it is
     * cut off, so what it has not read is never more than the buffer keeps anyway.
     */
    @Test
    void shouldCutOffAStreamClientThatStopsReadingOnceItIsFurtherBehindThanTheReplayBuffer() throws Exception {
        try (StreamConnection c = new StreamConnection(stream, false)) {
            c.auth(TestCluster.ADMIN_TOKEN).next(Duration.ofSeconds(15)); // READY: the last message it reads
            double snapshots = metric("watchkeeper_stream_messages_total{message=\"SNAPSHOT\"}");
            double drops = metric("watchkeeper_stream_clients_dropped_total{reason=\"TooSlow\"}");
            c.send("{\"type\":\"SUBSCRIBE\",\"id\":\"s\",\"watch\":{\"namespace\":\"" + STALLED + "\",\"name\":\"big\"}}");
            await().atMost(Duration.ofSeconds(15)).until(() -> metric("watchkeeper_stream_messages_total{message=\"SNAPSHOT\"}") > snapshots);
            long before = Heap.usedAfterGc();
            patch(STALLED, "stalled");
            if (metric("watchkeeper_stream_clients_dropped_total{reason=\"TooSlow\"}") <= drops) {
                patch(STALLED, "stalled-more"); // a host whose socket buffers took much of the first 20 MB
            }
            long grown = Heap.usedAfterGc() - before;
            LOG.infof("heap after %d patches of 200 KB, one stream client that stopped reading: %+d KiB", PATCHES, grown / 1024);
            await().atMost(Duration.ofSeconds(15)).until(() -> metric("watchkeeper_stream_clients_dropped_total{reason=\"TooSlow\"}") > drops);
            assertThat(grown).as("heap growth in bytes").isLessThan(BOUND + MARGIN);

            c.readAgain(); // it learns why it was disconnected
            com.fasterxml.jackson.databind.JsonNode last;
            do {
                last = c.next(Duration.ofSeconds(30));
            } while (!"ERROR".equals(last.path("type").asText()));
            assertThat(last.path("code").asInt()).isEqualTo(429);
            assertThat(last.path("reason").asText()).isEqualTo("TooSlow");
            assertThat(last.path("message").asText()).as("held to the replay buffer, not to its queue").contains("change log holds");
        }
    }

    private static double metric(String series) {
        return io.watchkeeper.testing.OperatorMetrics.value(series).orElse(0);
    }

    /** Patches the pod's annotation {@link #PATCHES} times with 200 KB each, and waits until the caches have the last. */
    private String patch(String ns, String round) {
        String rv = null;
        for (int i = 0; i < PATCHES; i++) {
            String value = round + i + "-" + "a".repeat(200_000);
            rv = TestCluster.admin().pods().inNamespace(ns).withName("big")
                    .edit(p -> new PodBuilder(p).editMetadata().addToAnnotations("example.com/big", value).endMetadata().build())
                    .getMetadata().getResourceVersion();
        }
        String last = rv;
        await().atMost(Duration.ofSeconds(60)).until(() -> hub.informers().stream()
                .filter(si -> si.key().resource().equals("pods") && (si.key().namespace() == null || ns.equals(si.key().namespace())))
                .allMatch(si -> cached(si, ns, last)));
        return last;
    }

    private static boolean cached(SharedInformer si, String ns, String rv) {
        HasMetadata o = si.timeline().get(ns, "big");
        return o != null && rv.equals(o.getMetadata().getResourceVersion());
    }

    private static void drain(StreamConnection c) {
        while (c.poll() != null) {
            // bookmarks and the snapshot
        }
    }
}
