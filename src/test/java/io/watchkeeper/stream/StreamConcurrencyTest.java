package io.watchkeeper.stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.watchkeeper.informer.FakeInformers;
import io.watchkeeper.informer.SharedInformer;
import io.watchkeeper.informer.Timeline;
import io.watchkeeper.watch.WatchRegistry.Kind;

/**
 * Real threads on timelines and subscriptions: informer writers on two timelines, bookmarks, snapshots and clients too
 * slow for their queue, all at once. Nothing may deadlock, no snapshot may hold a change its position does not count,
 * and every client that keeps up ends with exactly what the informers publish.
 */
class StreamConcurrencyTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration SETTLE = Duration.ofSeconds(30);
    private final ExecutorService pumps = Executors.newFixedThreadPool(2);
    private final ExecutorService restarts = Executors.newSingleThreadExecutor();
    private final ScheduledExecutorService slowWriter = Executors.newSingleThreadScheduledExecutor();

    @AfterEach
    void stop() {
        pumps.shutdownNow();
        restarts.shutdownNow();
        slowWriter.shutdownNow();
    }

    @Test
    void shouldNeverDeadlockWhenAClientIsCutOffWhileChangesAndBookmarksFlow() throws Exception {
        SharedInformer a = FakeInformers.informer("a", 50);
        SharedInformer b = FakeInformers.informer("b", 50);
        Map<SharedInformer, Timeline.Source<HasMetadata>> sources = Map.of(a, listed(a), b, listed(b));
        List<Client> clients = new ArrayList<>();
        List<StreamSubscription> subscriptions = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            boolean slow = i % 10 != 0; // these write one message per millisecond into a queue of 4 KB (about 20): they will be cut off
            // and two whose connection takes nothing after the snapshot, on a clock that says each write has been
            // pending for a second: cut off once further behind than the log (50 changes), by the writers' threads
            boolean stuck = i == 10 || i == 20;
            Client c = new Client(slow && !stuck ? 4_000 : 1L << 30, slow && !stuck, stuck);
            clients.add(c);
            StreamSubscription s = new StreamSubscription("s", c.client, Kind.ClusterResourceWatch, null, "w", List.of(a.key(), b.key()),
                    List.of(a, b), restarts, gone -> {
                    });
            c.client.subscriptions.put("s", s);
            subscriptions.add(s);
            s.start(null);
        }

        AtomicBoolean done = new AtomicBoolean();
        List<Thread> threads = new ArrayList<>();
        for (SharedInformer si : List.of(a, b)) {
            threads.add(new Thread(() -> churn(si, sources.get(si), new Random(si.key().hashCode()), 3000), "writer-" + si.key().namespace()));
        }
        threads.add(new Thread(() -> {
            while (!done.get()) {
                subscriptions.forEach(s -> s.bookmark(java.util.Optional.empty()));
                java.util.concurrent.locks.LockSupport.parkNanos(100_000); // the pace of the bookmark load, not a wait for anything
            }
        }, "bookmarks"));
        threads.forEach(Thread::start);
        for (Thread t : threads.subList(0, 2)) {
            t.join(SETTLE.toMillis());
            assertThat(t.isAlive()).as("%s finished; deadlocked threads: %s", t.getName(), deadlocks()).isFalse();
        }
        done.set(true);
        threads.get(2).join(SETTLE.toMillis());
        assertThat(threads.get(2).isAlive()).as("bookmarks finished; deadlocked threads: %s", deadlocks()).isFalse();

        assertThat(clients.stream().filter(c -> c.slow)).as("the slow clients were cut off").allMatch(c -> c.client.closed());
        assertThat(clients.stream().filter(c -> c.stuck)).as("the stuck clients were cut off, for the log").hasSize(2)
                .allMatch(c -> c.client.closed() && String.valueOf(c.error).contains("change log holds"));
        Map<String, String> truth = new HashMap<>();
        List.of(a, b).forEach(si -> si.timeline().values().forEach(o -> truth.put(o.getMetadata().getUid(), o.getMetadata().getResourceVersion())));
        for (Client c : clients) {
            if (!c.slow && !c.stuck) {
                await().atMost(SETTLE).untilAsserted(() -> assertThat(c.state()).isEqualTo(truth));
            }
        }
    }

    @Test
    void shouldReadEveryPositionWithExactlyTheChangesItCounts() throws Exception {
        SharedInformer a = FakeInformers.informer("a", 100_000);
        Timeline.Source<HasMetadata> source = listed(a);
        // what the timeline says happened: the first snapshot, then every change in order
        ConcurrentLinkedQueue<Timeline.Change> changes = new ConcurrentLinkedQueue<>();
        Timeline.Snapshot start = a.timeline().snapshot(new Timeline.Observer() {
            @Override
            public void onChange(Timeline.Change change, Timeline.Position after) {
                changes.add(change);
            }

            @Override
            public void onEpochEnd(boolean closed) {
            }
        }).orElseThrow();
        List<Timeline.Snapshot> reads = new ArrayList<>();
        Thread writer = new Thread(() -> churn(a, source, new Random(7), 100_000), "writer");
        writer.start();
        while (writer.isAlive() && reads.size() < 50_000) {
            a.timeline().read().ifPresent(reads::add);
        }
        writer.join();

        // replay the changes once, in order, checking each read when the replay reaches its position
        Map<Long, Timeline.Change> bySeq = new HashMap<>();
        changes.forEach(c -> bySeq.put(c.seq(), c));
        reads.sort(java.util.Comparator.comparingLong(r -> r.position().seq()));
        Map<String, String> replayed = new HashMap<>();
        start.items().forEach(o -> replayed.put(o.getMetadata().getName(), o.getMetadata().getResourceVersion()));
        long replayedTo = start.position().seq();
        for (Timeline.Snapshot read : reads) {
            for (long seq = replayedTo + 1; seq <= read.position().seq(); seq++) {
                Timeline.Change c = bySeq.get(seq);
                com.fasterxml.jackson.databind.JsonNode metadata = JSON.readTree(c.json()).path("metadata");
                if ("DELETED".equals(c.type())) {
                    replayed.remove(metadata.path("name").asText());
                } else {
                    replayed.put(metadata.path("name").asText(), metadata.path("resourceVersion").asText());
                }
            }
            replayedTo = Math.max(replayedTo, read.position().seq());
            Map<String, String> read0 = new HashMap<>();
            read.items().forEach(o -> read0.put(o.getMetadata().getName(), o.getMetadata().getResourceVersion()));
            assertThat(read0).as("the objects read at %s", read.position()).isEqualTo(replayed);
        }
        assertThat(reads).as("reads taken while the writer ran").hasSizeGreaterThan(10);
    }

    private static void churn(SharedInformer si, Timeline.Source<HasMetadata> source, Random random, int writes) {
        String ns = si.key().namespace();
        for (int i = 0; i < writes; i++) {
            String name = "o" + random.nextInt(20);
            if (random.nextInt(4) == 0) {
                source.remove(ns + "/" + name);
            } else {
                HasMetadata existing = source.get(ns + "/" + name);
                String uid = existing != null ? existing.getMetadata().getUid() : ns + "/" + name + "#" + i;
                source.put(ns + "/" + name, new ConfigMapBuilder().withNewMetadata().withNamespace(ns).withName(name).withUid(uid)
                        .withResourceVersion(String.valueOf(1000 + i)).endMetadata().build());
            }
        }
    }

    private static Timeline.Source<HasMetadata> listed(SharedInformer si) {
        Timeline.Source<HasMetadata> source = FakeInformers.newBackend(si);
        source.beginList();
        source.listed("1");
        return source;
    }

    private static String deadlocks() {
        long[] ids = ManagementFactory.getThreadMXBean().findDeadlockedThreads();
        if (ids == null) {
            return "none";
        }
        ThreadInfo[] infos = ManagementFactory.getThreadMXBean().getThreadInfo(ids, true, true);
        return Arrays.toString(infos);
    }

    /**
     * A stream client on real executors; a slow one writes a message every millisecond; a stuck one writes its SNAPSHOT
     * and nothing after it, on a clock that moves a second each time it is read.
     */
    private final class Client implements StreamClient.Transport {
        final boolean slow;
        final boolean stuck;
        final StreamClient client;
        private final ClientView view = new ClientView();
        volatile String error;

        Client(long queue, boolean slow, boolean stuck) {
            this.slow = slow;
            this.stuck = stuck;
            java.util.concurrent.atomic.AtomicLong nanos = new java.util.concurrent.atomic.AtomicLong();
            this.client = new StreamClient("c", this, JSON, pumps, queue, new StreamMetrics(new SimpleMeterRegistry()),
                    stuck ? () -> nanos.addAndGet(StreamSubscription.TAKING_NOTHING.toNanos()) : System::nanoTime);
        }

        synchronized Map<String, String> state() {
            return view.objects();
        }

        @Override
        public CompletionStage<Void> send(String text) {
            if (text.startsWith("{\"type\":\"ERROR\"")) {
                error = text;
            }
            if (stuck && !text.startsWith("{\"type\":\"SNAPSHOT\"")) {
                return new CompletableFuture<>();
            }
            apply(text);
            if (!slow) {
                return CompletableFuture.completedFuture(null);
            }
            CompletableFuture<Void> written = new CompletableFuture<>();
            slowWriter.schedule(() -> written.complete(null), 1, TimeUnit.MILLISECONDS);
            return written;
        }

        private synchronized void apply(String text) {
            try {
                view.apply(JSON.readTree(text));
            } catch (java.io.IOException e) {
                throw new IllegalStateException(e);
            }
        }

        @Override
        public void close(int code, String reason) {
        }
    }
}
