package io.watchkeeper.stream;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

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
 * A subscription over real timelines fed by a test: snapshot, order, resume, starting over, and, by a seeded random
 * model, that a client applying what it is sent always ends up with exactly what the informers publish.
 */
class StreamSubscriptionTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private final ArrayDeque<Runnable> restarts = new ArrayDeque<>();
    /** For the tests of a client's connection that takes nothing: each send completes when the test says so. */
    private final StreamClientTest.FakeTransport transport = new StreamClientTest.FakeTransport();
    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    /** The clients' monotonic time, in nanoseconds, moved by hand ({@link #advance}). */
    private final java.util.concurrent.atomic.AtomicLong nanos = new java.util.concurrent.atomic.AtomicLong();

    /** A client on {@link #transport} and {@link #nanos}, its pump on the caller's thread, with a queue it never fills. */
    private StreamClient unhurried() {
        return new StreamClient("c", transport, JSON, Runnable::run, 1L << 30, new StreamMetrics(registry), nanos::get);
    }

    private void advance(java.time.Duration d) {
        nanos.addAndGet(d.toNanos());
    }

    @Test
    void shouldSnapshotThenSendEveryChangeInOrderEachWithAPositionToResumeFrom() {
        SharedInformer a = FakeInformers.informer("a", 100);
        Timeline.Source<HasMetadata> source = listed(a, "x", "y");
        Client c = new Client();
        StreamSubscription s = subscribe(c, List.of(a), null);

        JsonNode snapshot = c.take();
        assertThat(snapshot.path("type").asText()).isEqualTo("SNAPSHOT");
        assertThat(snapshot.path("items").findValuesAsText("name")).containsExactly("x", "y");
        source.put("a/z", cm("a", "z", "5"));
        source.remove("a/x");
        JsonNode added = c.take();
        JsonNode deleted = c.take();
        assertThat(added.path("type").asText()).isEqualTo("ADDED");
        assertThat(deleted.path("type").asText()).isEqualTo("DELETED");
        assertThat(deleted.path("object").path("metadata").path("name").asText()).isEqualTo("x");
        assertThat(List.of(snapshot, added, deleted)).extracting(m -> m.path("resourceVersion").asText()).doesNotHaveDuplicates();
        s.bookmark(java.util.Optional.empty());
        assertThat(c.take().path("resourceVersion").asText()).isEqualTo(deleted.path("resourceVersion").asText());
    }

    @Test
    void shouldResumeExactlyTheMissedChangesOfEveryInformerOfTheWatch() {
        SharedInformer a = FakeInformers.informer("a", 100);
        SharedInformer b = FakeInformers.informer("b", 100);
        Timeline.Source<HasMetadata> sa = listed(a, "a1");
        Timeline.Source<HasMetadata> sb = listed(b, "b1");
        Client first = new Client();
        StreamSubscription s = subscribe(first, List.of(a, b), null);
        sa.put("a/a2", cm("a", "a2", "7"));
        first.drain();
        String token = first.last().path("resourceVersion").asText();
        s.cancel();

        // while away
        sb.put("b/b2", cm("b", "b2", "8"));
        sa.remove("a/a1");

        Client second = new Client();
        subscribe(second, List.of(a, b), token);
        assertThat(second.take().path("type").asText()).isEqualTo("RESUMED");
        List<JsonNode> missed = second.drain();
        assertThat(missed).extracting(m -> m.path("type").asText() + " " + m.path("object").path("metadata").path("name").asText())
                .containsExactlyInAnyOrder("ADDED b2", "DELETED a1");
    }

    @Test
    void shouldSnapshotWhenTheResourceVersionIsNotThisWatchsOrNoLongerCovered() {
        SharedInformer a = FakeInformers.informer("a", 2);
        SharedInformer other = FakeInformers.informer("o", 100);
        Timeline.Source<HasMetadata> sa = listed(a, "a1");
        listed(other, "o1");
        Client c = new Client();
        subscribe(c, List.of(other), null);
        String othersToken = c.take().path("resourceVersion").asText();
        subscribe(c, List.of(a), null);
        String old = c.take().path("resourceVersion").asText();
        for (int i = 0; i < 3; i++) {
            sa.put("a/n" + i, cm("a", "n" + i, String.valueOf(20 + i)));
        }
        c.drain();

        for (String token : List.of(othersToken, old, "12345", "x:1", "", old + "," + old)) {
            Client again = new Client();
            subscribe(again, List.of(a), token);
            assertThat(again.take().path("type").asText()).as("resuming from '%s'", token).isEqualTo("SNAPSHOT");
        }
    }

    @Test
    void shouldStartOverWithASnapshotWhenAnInformerRelistsOrIsReplaced() {
        SharedInformer a = FakeInformers.informer("a", 100);
        Timeline.Source<HasMetadata> sa = listed(a, "a1", "a2");
        Client c = new Client();
        subscribe(c, List.of(a), null);
        c.take();

        sa.beginList();
        sa.put("a/a1", cm("a", "a1", "30"));
        sa.remove("a/a2");
        assertThat(c.drain()).as("nothing during the relist").isEmpty();
        sa.listed("31");
        runRestarts();
        JsonNode again = c.take();
        assertThat(again.path("type").asText()).isEqualTo("SNAPSHOT");
        assertThat(again.path("items").findValuesAsText("name")).containsExactly("a1");

        Timeline.Source<HasMetadata> replacement = FakeInformers.newBackend(a);
        replacement.beginList();
        replacement.put("a/a3", cm("a", "a3", "40"));
        replacement.listed("40");
        runRestarts();
        assertThat(c.take().path("items").findValuesAsText("name")).containsExactly("a3");
    }

    /**
     * Seeded random writes, relists, backend replacements and client drops, resumes (from the last position, an older
     * one with the state the client had there, or a made-up one) and restarts that run late: after everything settles,
     * each client holds exactly what the informers publish, and never resumed from a position that was not its watch's.
     * {@code -Dsubscription.seed=N} replays a failure (its message names the seed); {@code -Dsubscription.runs=N} runs longer.
     */
    @Test
    void shouldKeepEveryClientExactThroughRandomChurnRelistsAndResumes() {
        long seed = Long.getLong("subscription.seed", System.nanoTime());
        int runs = Integer.getInteger("subscription.runs", 200);
        for (int run = 0; run < runs; run++) {
            Random random = new Random(seed + run);
            String context = "seed " + (seed + run);
            SharedInformer a = FakeInformers.informer("a", 1 + random.nextInt(8));
            SharedInformer b = FakeInformers.informer("b", 1 + random.nextInt(8));
            List<SharedInformer> informers = List.of(a, b);
            Map<SharedInformer, Timeline.Source<HasMetadata>> sources = new HashMap<>(Map.of(a, listed(a), b, listed(b)));
            List<Model> models = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                Model m = new Model(random.nextBoolean() ? informers : List.of(informers.get(i % 2)));
                m.subscribe(null);
                models.add(m);
            }
            int rv = 100;
            for (int step = 0; step < 150; step++) {
                int dice = random.nextInt(100);
                SharedInformer si = informers.get(random.nextInt(2));
                Timeline.Source<HasMetadata> src = sources.get(si);
                String ns = si.key().namespace();
                String name = "o" + random.nextInt(6);
                if (dice < 50) {
                    upsert(src, ns, name, String.valueOf(++rv));
                } else if (dice < 65) {
                    src.remove(ns + "/" + name);
                } else if (dice < 70) { // a relist: some objects changed or went while the watch was down
                    src.beginList();
                    for (String key : src.keySet().toList()) {
                        if (random.nextInt(3) == 0) {
                            src.remove(key);
                        }
                    }
                    upsert(src, ns, name, String.valueOf(++rv));
                    src.listed(String.valueOf(rv));
                } else if (dice < 73) { // another backend takes over the question
                    Timeline.Source<HasMetadata> next = FakeInformers.newBackend(si);
                    next.beginList();
                    src.values().forEach(o -> next.put(ns + "/" + o.getMetadata().getName(), o));
                    upsert(next, ns, name, String.valueOf(++rv));
                    upsert(src, ns, "late", String.valueOf(++rv)); // the old one, not yet stopped
                    next.listed(String.valueOf(rv));
                    sources.put(si, next);
                } else if (dice < 88) {
                    models.get(random.nextInt(models.size())).act(random);
                } else if (!restarts.isEmpty()) {
                    restarts.poll().run(); // restarts run late, and interleave with everything else
                }
                models.forEach(Model::receive);
            }
            runRestarts();
            for (Model m : models) {
                m.receive();
                Map<String, String> truth = new HashMap<>();
                m.informers.forEach(si -> si.timeline().values().forEach(o -> truth.put(o.getMetadata().getUid(), o.getMetadata().getResourceVersion())));
                assertThat(m.violations).as(context).isEmpty();
                assertThat(m.view.objects()).as(context + ": client of " + m.informers).isEqualTo(truth);
            }
        }
    }

    private void runRestarts() {
        while (!restarts.isEmpty()) {
            restarts.poll().run();
        }
    }

    /** A client of the model test: applies what it is sent, remembers the state at each position it was given. */
    private final class Model {
        final List<SharedInformer> informers;
        final Client client = new Client();
        final ClientView view = new ClientView();
        final List<Map.Entry<String, Map<String, String>>> history = new ArrayList<>();
        final List<String> violations = new ArrayList<>();
        StreamSubscription subscription;
        String token;
        boolean madeUp;

        Model(List<SharedInformer> informers) {
            this.informers = informers;
        }

        void subscribe(String from) {
            subscription = StreamSubscriptionTest.this.subscribe(client, informers, from);
        }

        void act(Random random) {
            subscription.cancel();
            receive();
            int dice = random.nextInt(10);
            if (dice < 5) {
                subscribe(token);
            } else if (dice < 8 && !history.isEmpty()) {
                Map.Entry<String, Map<String, String>> back = history.get(random.nextInt(history.size()));
                view.restore(back.getValue());
                token = back.getKey();
                madeUp = false; // one this watch gave it
                subscribe(token);
            } else {
                madeUp = true;
                subscribe(random.nextBoolean() ? "1:2" : informers.size() == 1 ? "deadbeef:" + random.nextInt(50) : null);
            }
        }

        void receive() {
            for (JsonNode m : client.drain()) {
                String type = view.apply(m);
                if ("SNAPSHOT".equals(type)) {
                    madeUp = false;
                } else if ("RESUMED".equals(type) && madeUp) {
                    violations.add("RESUMED from a made-up position");
                }
                token = m.path("resourceVersion").asText();
                history.add(Map.entry(token, view.objects()));
            }
        }
    }

    /**
     * A client that stops reading keeps nothing alive beyond the informer's change log: it may leave as much of a
     * subscription's changes unread as the log holds (the log still has every one, from the last it was sent on), and
     * is cut off, told why, by the change that would put it further behind while its connection takes nothing.
     */
    @Test
    void shouldCutOffAClientThatFallsFurtherBehindThanTheChangeLogHolds() {
        SharedInformer a = FakeInformers.informer("a", 10);
        Timeline.Source<HasMetadata> src = listed(a, "x");
        StreamClient client = unhurried();
        subscribe(client, List.of(a));
        transport.complete(); // the SNAPSHOT is read
        upsert(src, "a", "x", "2");
        String lastSent = transport.sent.get(1); // the client's pump took it, and the client reads no more
        advance(StreamSubscription.TAKING_NOTHING);

        long budget = a.timeline().budget().bytes();
        long unread = 0;
        for (int rv = 3; rv < 100; rv++) {
            upsert(src, "a", "x", String.valueOf(rv));
            unread += FakeInformers.changeBytes(src.get("a/x"));
            if (client.closed()) {
                break;
            }
            assertThat(unread).as("unread when still served").isLessThanOrEqualTo(budget);
            assertThat(coveredFrom(a, lastSent)).as("the client could resume from the last change it was sent").isTrue();
        }
        assertThat(client.closed()).as("cut off").isTrue();
        assertThat(unread).as("unread with the change that cut it off").isGreaterThan(budget);
        JsonNode error = read(transport.sent.get(transport.sent.size() - 1));
        assertThat(error.path("type").asText()).isEqualTo("ERROR");
        assertThat(error.path("code").asInt()).isEqualTo(429);
        assertThat(error.path("reason").asText()).isEqualTo("TooSlow");
        assertThat(error.path("message").asText()).contains("subscription s").contains("change log holds")
                .contains("a new SNAPSHOT follows");
        assertThat(registry.counter("watchkeeper.stream.clients.dropped", "reason", "TooSlow").count()).isEqualTo(1);
    }

    /**
     * The changes that come while a snapshot is written may put a client further behind than the log holds: it may catch
     * up from there, and once it stops reading, the log's worth is all it may leave unread.
     */
    @Test
    void shouldLetAClientCatchUpAfterASnapshotThenHoldItToTheChangeLog() {
        SharedInformer a = FakeInformers.informer("a", 10);
        Timeline.Source<HasMetadata> src = listed(a, "x");
        StreamClient client = unhurried();
        subscribe(client, List.of(a));
        advance(StreamSubscription.TAKING_NOTHING); // the SNAPSHOT takes long to write
        int rv = 2;
        for (; rv < 32; rv++) { // three logs' worth, while the SNAPSHOT is written
            upsert(src, "a", "x", String.valueOf(rv));
        }
        // the client reads two messages for every new change, and catches up
        while (!transport.inFlight.isEmpty()) {
            transport.complete();
            if (!transport.inFlight.isEmpty()) {
                transport.complete();
            }
            if (rv < 60) {
                upsert(src, "a", "x", String.valueOf(rv++));
            }
            assertThat(client.closed()).as("catching up, at rv %s", rv).isFalse();
        }
        List<String> versions = transport.sent.stream().skip(1).map(m -> rv(read(m).path("object"))).toList();
        assertThat(versions).as("every change, in order").isEqualTo(java.util.stream.IntStream.range(2, rv).mapToObj(String::valueOf).toList());

        // caught up: one change taken and never written, and the client stops reading
        upsert(src, "a", "x", String.valueOf(rv++));
        advance(StreamSubscription.TAKING_NOTHING);
        int behind = 0;
        while (!client.closed() && behind < 60) {
            upsert(src, "a", "x", String.valueOf(rv++));
            behind++;
        }
        assertThat(client.closed()).isTrue();
        long each = FakeInformers.changeBytes(src.get("a/x"));
        assertThat(behind).as("changes left unread when cut off: a log's worth (of %s bytes each), not the three after the snapshot",
                each).isEqualTo((int) (a.timeline().budget().bytes() / each) + 1);
    }

    /**
     * While the pump writes another subscription's snapshot, a client's changes pile up behind it through no fault of its
     * own: it may catch up with them, however far past the log they went.
     */
    @Test
    void shouldNotCutOffAClientForWhatPiledUpWhileAnotherSubscriptionsSnapshotWasWritten() {
        SharedInformer a = FakeInformers.informer("a", 10);
        SharedInformer b = FakeInformers.informer("b", 10);
        Timeline.Source<HasMetadata> sa = listed(a, "x");
        listed(b, "y");
        StreamClient client = unhurried();
        subscribe(client, "s", List.of(a));
        transport.complete(); // s's SNAPSHOT
        upsert(sa, "a", "x", "2");
        transport.complete(); // the client keeps up

        subscribe(client, "t", List.of(b)); // t's SNAPSHOT takes long to write
        advance(StreamSubscription.TAKING_NOTHING);
        int rv = 3;
        for (; rv < 33; rv++) { // three of s's logs' worth meanwhile
            upsert(sa, "a", "x", String.valueOf(rv));
        }
        assertThat(client.closed()).isFalse();
        transport.complete(); // t's SNAPSHOT is written at last, and s's changes go on while the client catches up
        upsert(sa, "a", "x", String.valueOf(rv++));
        while (!transport.inFlight.isEmpty()) {
            transport.complete();
        }
        assertThat(client.closed()).isFalse();
        List<String> versions = transport.sent.stream().map(StreamSubscriptionTest::read).filter(m -> m.path("id").asText().equals("s"))
                .skip(1).map(m -> rv(m.path("object"))).toList();
        assertThat(versions).as("every change of s, in order").isEqualTo(
                java.util.stream.IntStream.range(2, rv).mapToObj(String::valueOf).toList());
    }

    /**
     * A client the pumps have not got to yet (two threads serve every client) has taken nothing through no fault of its
     * own: however far past the log its changes pile up meanwhile, it is not cut off for it, and gets every one.
     */
    @Test
    void shouldNotCutOffAClientThatThePumpsHaveNotGotTo() {
        SharedInformer a = FakeInformers.informer("a", 10);
        Timeline.Source<HasMetadata> src = listed(a, "x");
        Client c = new Client(); // its pump runs only when the test says so
        subscribe(c, List.of(a), null);
        assertThat(c.take().path("type").asText()).isEqualTo("SNAPSHOT");
        for (int rv = 2; rv < 32; rv++) { // three logs' worth
            upsert(src, "a", "x", String.valueOf(rv));
        }
        assertThat(c.client.closed()).isFalse();
        assertThat(c.drain()).extracting(m -> rv(m.path("object")))
                .isEqualTo(java.util.stream.IntStream.range(2, 32).mapToObj(String::valueOf).toList());
    }

    /**
     * A write that has been pending for less than {@link StreamSubscription#TAKING_NOTHING} (a pump preempted in the
     * middle of it, say, while changes pour in) is no sign of a stuck client, however far past the log its changes go.
     */
    @Test
    void shouldCutOffOnlyAClientWhoseConnectionHasTakenNothingForASecond() {
        SharedInformer a = FakeInformers.informer("a", 10);
        Timeline.Source<HasMetadata> src = listed(a, "x");
        StreamClient client = unhurried();
        subscribe(client, List.of(a));
        transport.complete();
        upsert(src, "a", "x", "2"); // pending from here
        for (int rv = 3; rv < 33; rv++) { // three logs' worth within the second
            upsert(src, "a", "x", String.valueOf(rv));
        }
        advance(StreamSubscription.TAKING_NOTHING.minusMillis(1));
        upsert(src, "a", "x", "33");
        assertThat(client.closed()).as("a write pending for less than a second").isFalse();
        advance(java.time.Duration.ofMillis(1));
        upsert(src, "a", "x", "34");
        assertThat(client.closed()).as("a second of taking nothing, three logs behind").isTrue();
        assertThat(read(transport.sent.get(transport.sent.size() - 1)).path("message").asText()).contains("read nothing for 1000 ms");
    }

    /** A lone change larger than the whole log cuts nobody off; a second one behind it does, if the client is stuck. */
    @Test
    void shouldNotCutOffAStuckClientForALoneChangeLargerThanTheLog() {
        SharedInformer a = FakeInformers.informer("a", 1);
        Timeline.Source<HasMetadata> src = listed(a, "x");
        StreamClient client = unhurried();
        subscribe(client, List.of(a));
        transport.complete();
        upsert(src, "a", "x", "2"); // taken, and never written
        advance(StreamSubscription.TAKING_NOTHING);
        HasMetadata big = new ConfigMapBuilder((io.fabric8.kubernetes.api.model.ConfigMap) src.get("a/x")).editMetadata()
                .withResourceVersion("3").endMetadata().addToData("big", "b".repeat(1000)).build();
        src.put("a/x", big);
        assertThat(FakeInformers.changeBytes(big)).as("larger than the log").isGreaterThan(a.timeline().budget().bytes());
        assertThat(client.closed()).as("one change, however large").isFalse();
        upsert(src, "a", "x", "4");
        assertThat(client.closed()).as("a second behind it").isTrue();
    }

    /** Without a change log (a replay buffer of 0), only the client's own queue bound holds a client back. */
    @Test
    void shouldLeaveAClientToItsQueueBoundWithoutAChangeLog() {
        SharedInformer a = FakeInformers.informer("a", 0);
        Timeline.Source<HasMetadata> src = listed(a, "x");
        StreamClient client = new StreamClient("c", transport, JSON, Runnable::run, 1L << 20, new StreamMetrics(registry), nanos::get);
        subscribe(client, List.of(a));
        transport.complete();
        for (int rv = 2; rv < 50; rv++) {
            upsert(src, "a", "x", String.valueOf(rv));
        }
        assertThat(client.closed()).isFalse();
        assertThat(client.queuedBytes()).isPositive();
    }

    private void subscribe(StreamClient client, List<SharedInformer> informers) {
        subscribe(client, "s", informers);
    }

    private void subscribe(StreamClient client, String id, List<SharedInformer> informers) {
        StreamSubscription s = new StreamSubscription(id, client, Kind.ResourceWatch, "ns", "w", informers.stream().map(SharedInformer::key).toList(),
                informers, restarts::add, gone -> {
                });
        client.subscriptions.put(id, s);
        s.start(null);
    }

    /** Whether {@code informer}'s log still holds every change after the position {@code message} gave. */
    private static boolean coveredFrom(SharedInformer informer, String message) {
        String token = read(message).path("resourceVersion").asText();
        Timeline.Position at = io.watchkeeper.informer.ResumeToken.decode(token, 1).orElseThrow().get(0);
        Timeline.Observer none = new Timeline.Observer() {
            @Override
            public void onChange(Timeline.Change change, Timeline.Position after) {
            }

            @Override
            public void onEpochEnd(boolean closed) {
            }
        };
        boolean covered = informer.timeline().resume(at, none).isPresent();
        informer.timeline().unobserve(none);
        return covered;
    }

    private static JsonNode read(String text) {
        try {
            return JSON.readTree(text);
        } catch (java.io.IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A change's message is put together by hand ({@code StreamSubscription.send}): exactly what a JSON mapper writes. */
    @Test
    void shouldWriteAChangeExactlyAsAJsonMapperWouldWhateverTheSubscriptionsId() throws Exception {
        SharedInformer si = FakeInformers.informer("ns", 10);
        Timeline.Source<HasMetadata> src = listed(si, "a");
        List<String> texts = new ArrayList<>();
        ArrayDeque<Runnable> pumps = new ArrayDeque<>();
        StreamClient client = new StreamClient("c", new StreamClient.Transport() {
            @Override
            public CompletionStage<Void> send(String text) {
                texts.add(text);
                return CompletableFuture.completedFuture(null);
            }

            @Override
            public void close(int code, String reason) {
            }
        }, JSON, pumps::add, 1L << 30, new StreamMetrics(new SimpleMeterRegistry()));
        String id = "a\"b\\c\n\u0001\u00e9\u2028</script>";
        new StreamSubscription(id, client, Kind.ResourceWatch, "ns", "w", List.of(si.key()), List.of(si), restarts::add, gone -> {
        }).start(null);

        upsert(src, "ns", "a", "2");
        src.remove("ns/a");
        while (!pumps.isEmpty()) {
            pumps.poll().run();
        }

        assertThat(texts).hasSize(3); // SNAPSHOT, MODIFIED, DELETED
        for (String change : texts.subList(1, 3)) {
            JsonNode m = JSON.readTree(change);
            assertThat(m.path("id").asText()).isEqualTo(id);
            Map<String, Object> expected = new java.util.LinkedHashMap<>();
            expected.put("type", m.path("type").asText());
            expected.put("id", id);
            expected.put("resourceVersion", m.path("resourceVersion").asText());
            expected.put("object", new com.fasterxml.jackson.databind.util.RawValue(JSON.writeValueAsString(m.path("object"))));
            assertThat(change).isEqualTo(JSON.writeValueAsString(expected));
        }
        assertThat(JSON.readTree(texts.get(1)).path("type").asText()).isEqualTo("MODIFIED");
        assertThat(JSON.readTree(texts.get(2)).path("type").asText()).isEqualTo("DELETED");
    }

    private StreamSubscription subscribe(Client c, List<SharedInformer> informers, String from) {
        StreamSubscription s = new StreamSubscription("s", c.client, Kind.ResourceWatch, "ns", "w",
                informers.stream().map(SharedInformer::key).toList(), informers, restarts::add, gone -> {
                });
        s.start(from);
        return s;
    }

    private static Timeline.Source<HasMetadata> listed(SharedInformer si, String... names) {
        Timeline.Source<HasMetadata> source = FakeInformers.newBackend(si);
        source.beginList();
        for (String n : names) {
            source.put(si.key().namespace() + "/" + n, cm(si.key().namespace(), n, "1"));
        }
        source.listed("1");
        return source;
    }

    /** A create (a new uid) or an update (the same uid) of {@code name}, as the API server would. */
    private static void upsert(Timeline.Source<HasMetadata> src, String ns, String name, String rv) {
        HasMetadata existing = src.get(ns + "/" + name);
        HasMetadata o = cm(ns, name, rv);
        o.getMetadata().setUid(existing != null ? existing.getMetadata().getUid() : ns + "/" + name + "@" + rv);
        src.put(ns + "/" + name, o);
    }

    private static HasMetadata cm(String ns, String name, String rv) {
        return new ConfigMapBuilder().withNewMetadata().withNamespace(ns).withName(name).withUid(ns + "/" + name + "@" + rv)
                .withResourceVersion(rv).endMetadata().build();
    }

    private static String uid(JsonNode o) {
        return o.path("metadata").path("uid").asText();
    }

    private static String rv(JsonNode o) {
        return o.path("metadata").path("resourceVersion").asText();
    }

    /** A stream client whose messages are written at once and kept for the test. */
    private static final class Client implements StreamClient.Transport {
        final ArrayDeque<JsonNode> received = new ArrayDeque<>();
        JsonNode last;
        final ArrayDeque<Runnable> pumps = new ArrayDeque<>();
        final StreamClient client = new StreamClient("c", this, JSON, pumps::add, 1L << 30, new StreamMetrics(new SimpleMeterRegistry()));

        @Override
        public CompletionStage<Void> send(String text) {
            try {
                received.add(JSON.readTree(text));
            } catch (java.io.IOException e) {
                throw new IllegalStateException(e);
            }
            return CompletableFuture.completedFuture(null);
        }

        @Override
        public void close(int code, String reason) {
        }

        private void pump() {
            while (!pumps.isEmpty()) {
                pumps.poll().run();
            }
        }

        /** Every message sent so far and not yet taken. */
        List<JsonNode> drain() {
            pump();
            List<JsonNode> out = new ArrayList<>(received);
            received.clear();
            if (!out.isEmpty()) {
                last = out.get(out.size() - 1);
            }
            return out;
        }

        /** The next message sent. */
        JsonNode take() {
            pump();
            JsonNode next = received.poll();
            if (next == null) {
                throw new AssertionError("no message");
            }
            last = next;
            return next;
        }

        JsonNode last() {
            return last;
        }
    }
}
