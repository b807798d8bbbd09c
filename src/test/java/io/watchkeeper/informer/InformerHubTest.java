package io.watchkeeper.informer;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.function.UnaryOperator;

import org.junit.jupiter.api.Test;

import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.watchkeeper.informer.FieldSelectors.FieldSelector;
import io.watchkeeper.informer.LabelSelectors.Selector;

/**
 * The hub's transitions with fake backends and a hand-run scheduler: a failed informer restarted after its backoff, a
 * question handed to a controller's informer and back, and the end of an informer; in each, the shared informer, its
 * timeline and its followers stay, and followers start over exactly when what they follow changes.
 */
class InformerHubTest {

    private static final InformerKey KEY = InformerKey.of(FakeInformers.CONFIGMAPS, "shop", Selector.EVERYTHING, FieldSelector.EVERYTHING);

    private final List<Delayed> later = new ArrayList<>();
    private final List<FakeBackend> started = new ArrayList<>();
    /** For each backend started, whether nothing of its resource had been published (its first list may be cached). */
    private final List<Boolean> fresh = new ArrayList<>();
    private final InformerHub hub = new InformerHub((si, isFresh, failures) -> {
        FakeBackend b = new FakeBackend(si.timeline().newSource(UnaryOperator.identity()), failures);
        started.add(b);
        fresh.add(isFresh);
        return b;
    }, new InformerMetrics(new SimpleMeterRegistry()), Clock.systemUTC(), Duration.ofSeconds(1), Duration.ofSeconds(4), FakeInformers.budget(10),
            (delay, task) -> later.add(new Delayed(delay, task)), Runnable::run);

    private record Delayed(Duration delay, Runnable task) {
    }

    @Test
    void shouldRestartAFailedInformerAfterItsBackoffAndKeepItsFollowers() {
        SharedInformer si = consume("w");
        FakeBackend first = started.get(0);
        first.list("a");
        assertThat(si.state()).isEqualTo(InformerState.SYNCED);
        List<String> seen = new ArrayList<>();
        si.timeline().snapshot(observer(seen));

        // when the API server answers 404 (the resource went away)
        assertThat(first.fail(404)).as("fabric8 must stop retrying").isFalse();

        assertThat(si.state()).isEqualTo(InformerState.FAILED);
        assertThat(first.stopped).isTrue();
        assertThat(hub.find(KEY)).containsSame(si);
        assertThat(si.timeline().read().orElseThrow().items()).as("the last published state stays readable").hasSize(1);
        assertThat(later).extracting(Delayed::delay).containsExactly(Duration.ofSeconds(1));

        // then the restart after the backoff: the same shared informer, a new backend
        later.remove(0).task().run();
        FakeBackend second = started.get(1);
        assertThat(si.backend()).isSameAs(second);
        assertThat(si.state()).isEqualTo(InformerState.SYNCING);
        assertThat(seen).as("followers wait for the new list").isEmpty();
        second.list("a", "b");
        assertThat(seen).containsExactly("epoch ended");
        assertThat(si.state()).isEqualTo(InformerState.SYNCED);
        assertThat(si.timeline().read().orElseThrow().items()).hasSize(2);
        assertThat(fresh).as("the restart of a published question lists consistently, not from the watch cache").containsExactly(true, false);

        // and a write of the first backend, stopped but not quite gone, changes nothing
        first.source.put("shop/zombie", cm("zombie", "99"));
        assertThat(si.timeline().read().orElseThrow().items()).hasSize(2);

        // backoff doubles while failures follow each other (a backend that never listed), up to the maximum
        second.fail(404);
        List<Duration> delays = new ArrayList<>();
        for (int i = 2; i < 6; i++) {
            Delayed next = later.remove(0);
            delays.add(next.delay());
            next.task().run();
            started.get(i).fail(404);
        }
        assertThat(delays).containsExactly(Duration.ofSeconds(1), Duration.ofSeconds(2), Duration.ofSeconds(4), Duration.ofSeconds(4));
    }

    @Test
    void shouldHandAQuestionToAControllersInformerAndTakeItBackWhenTheControllerGoes() {
        SharedInformer si = consume("w");
        FakeBackend own = started.get(0);
        own.list("a");
        List<String> seen = new ArrayList<>();
        si.timeline().snapshot(observer(seen));

        // the controller's informer gets the hub's store at configuration time, lists, then is adopted
        Timeline.Source<HasMetadata> controller = hub.controllerSource("controller/x", KEY, FakeInformers.CONFIGMAPS, UnaryOperator.identity());
        own.source.put("shop/during", cm("during", "5")); // the hub's own, still running: no longer what is published
        controller.beginList();
        controller.put("shop/a", cm("a", "6"));
        controller.put("shop/c", cm("c", "7"));
        controller.listed("7");
        assertThat(seen).containsExactly("epoch ended");
        hub.adopt("controller/x", KEY, new FakeInformers.Backend(controller, false));
        assertThat(own.stopped).isTrue();
        assertThat(si.adopted()).isTrue();
        assertThat(si.consumers()).isEqualTo(2);
        assertThat(si.timeline().read().orElseThrow().items()).extracting(o -> o.getMetadata().getName()).containsExactlyInAnyOrder("a", "c");

        // when the controller stops, the remaining consumer gets a hub informer again after a moment
        hub.releaseAll("controller/x");
        assertThat(si.adopted()).isFalse();
        assertThat(later).extracting(Delayed::delay).containsExactly(InformerHub.TAKE_OVER_AFTER);
        later.remove(0).task().run();
        started.get(1).list("c");
        assertThat(si.timeline().read().orElseThrow().items()).extracting(o -> o.getMetadata().getName()).containsExactly("c");
        assertThat(si.state()).isEqualTo(InformerState.SYNCED);
    }

    @Test
    void shouldStopAnInformerWhenItsLastConsumerGoesAndTellItsFollowers() {
        SharedInformer si = consume("w");
        started.get(0).list("a");
        List<String> seen = new ArrayList<>();
        si.timeline().snapshot(observer(seen));

        hub.releaseAll("w");

        assertThat(started.get(0).stopped).isTrue();
        assertThat(hub.find(KEY)).isEmpty();
        assertThat(seen).containsExactly("closed");
        // a later consumer of the same question gets a new informer (and a new timeline)
        SharedInformer again = consume("w2");
        assertThat(again).isNotSameAs(si);
    }

    /** {@code consumer} asks the hub for {@link #KEY}. */
    @Test
    void shouldHoldNoMoreDistinctInformersForAGroupOfConsumersThanItsLimit() {
        InformerListener none = (c, k) -> {
        };
        Map<InformerKey, io.watchkeeper.discovery.ApiResource> q1 = Map.of(key("n=1"), FakeInformers.CONFIGMAPS);
        Map<InformerKey, io.watchkeeper.discovery.ApiResource> q2 = Map.of(key("n=2"), FakeInformers.CONFIGMAPS);
        Map<InformerKey, io.watchkeeper.discovery.ApiResource> q3 = Map.of(key("n=3"), FakeInformers.CONFIGMAPS);
        int[] held = new int[1];
        assertThat(hub.assignWithin("RW/shop/", 2, "RW/shop/a", q1, none, n -> held[0] = n)).isPresent();
        assertThat(hub.assignWithin("RW/shop/", 2, "RW/shop/b", q2, none, n -> held[0] = n)).isPresent();
        // the same question as another consumer of the group costs nothing
        assertThat(hub.assignWithin("RW/shop/", 2, "RW/shop/c", q1, none, n -> held[0] = n)).isPresent();
        int startedBefore = started.size();

        assertThat(hub.assignWithin("RW/shop/", 2, "RW/shop/d", q3, none, n -> held[0] = n)).isEmpty();
        assertThat(held[0]).isEqualTo(2);
        assertThat(started).as("nothing started for the refused question").hasSize(startedBefore);
        assertThat(hub.find(key("n=3"))).isEmpty();
        // another group has its own limit; a consumer that changes its question is not counted twice
        assertThat(hub.assignWithin("RW/other/", 2, "RW/other/a", q3, none, n -> held[0] = n)).isPresent();
        assertThat(hub.assignWithin("RW/shop/", 2, "RW/shop/b", q3, none, n -> held[0] = n)).as("b gives up n=2 for n=3").isPresent();
        // once a question is given up, there is room
        hub.releaseAll("RW/shop/a");
        hub.releaseAll("RW/shop/c");
        assertThat(hub.assignWithin("RW/shop/", 2, "RW/shop/d", q2, none, n -> held[0] = n)).isPresent();
    }

    @Test
    void shouldServeANarrowerQuestionFromTheCacheOfOneThatContainsItWithItsOwnEpochsAndEvents() {
        SharedInformer all = hub.assign("cluster", Map.of(ALL, FakeInformers.CONFIGMAPS), (c, k) -> {
        }).get(ALL);
        FakeBackend backend = started.get(0);
        backend.source.beginList();
        backend.source.put("shop/a", cm("shop", "a", "1", "web"));
        backend.source.put("shop/b", cm("shop", "b", "1", "db"));
        backend.source.put("other/c", cm("other", "c", "1", "web"));
        backend.source.listed("1");
        List<String> changes = new ArrayList<>();

        // when a consumer asks for the web config maps of one namespace
        SharedInformer web = hub.assign("w", Map.of(key("app=web"), FakeInformers.CONFIGMAPS), consumer(changes)).get(key("app=web"));

        // then no informer is started for it: it is served from the cache of the one that contains its question
        assertThat(started).hasSize(1);
        assertThat(web.state()).isEqualTo(InformerState.SYNCED);
        assertThat(web.timeline().read().orElseThrow().items()).extracting(o -> o.getMetadata().getName()).containsExactly("a");
        assertThat(web.get("shop", "a")).get().as("the very object the container caches").isSameAs(all.get("shop", "a").orElseThrow());
        assertThat(changes).as("its consumer learns the objects as from a list of its own").containsExactly("added a");
        List<String> seen = new ArrayList<>();
        web.timeline().snapshot(observer(seen));

        // and its followers get exactly the changes of its own question, in order
        backend.source.put("shop/a", cm("shop", "a", "2", "web"));
        backend.source.put("shop/b", cm("shop", "b", "2", "db"));
        backend.source.put("other/c", cm("other", "c", "2", "web"));
        backend.source.put("shop/d", cm("shop", "d", "2", "web"));
        backend.source.put("shop/b", cm("shop", "b", "3", "web")); // a label change brings it in
        backend.source.put("shop/a", cm("shop", "a", "3", "db")); // and takes it out
        backend.source.remove("shop/d");
        assertThat(seen).containsExactly("MODIFIED", "ADDED", "ADDED", "DELETED", "DELETED");
        assertThat(changes).containsExactly("added a", "modified a", "added d", "added b", "deleted a", "deleted d");
        assertThat(web.timeline().read().orElseThrow().items()).extracting(o -> o.getMetadata().getName()).containsExactly("b");

        // when the container relists (a 410, say), so does the narrower question: a new epoch, what the list holds
        backend.source.beginList();
        backend.source.put("shop/b", cm("shop", "b", "3", "web"));
        backend.source.put("shop/e", cm("shop", "e", "4", "web"));
        backend.source.listed("4");
        assertThat(seen).endsWith("epoch ended");
        assertThat(web.timeline().read().orElseThrow().items()).extracting(o -> o.getMetadata().getName()).containsExactlyInAnyOrder("b", "e");
        assertThat(web.resourceVersion()).isEqualTo("4");
        assertThat(all.timeline().read().orElseThrow().items()).as("the container's own answer is untouched").hasSize(4);

        // when the container stops (a permanent failure), the narrower question is not current either (its followers are
        // told it is stale), and what it published stays readable
        backend.fail(404);
        assertThat(web.timeline().current()).isFalse();
        assertThat(web.timeline().read().orElseThrow().items()).hasSize(2);
    }

    @Test
    void shouldListOnItsOwnWhenTheInformerItWasServedFromGoes() {
        hub.assign("cluster", Map.of(ALL, FakeInformers.CONFIGMAPS), (c, k) -> {
        });
        started.get(0).list("a");
        SharedInformer narrow = consume("w");
        assertThat(narrow.state()).isEqualTo(InformerState.SYNCED);
        List<String> seen = new ArrayList<>();
        narrow.timeline().snapshot(observer(seen));

        hub.releaseAll("cluster");

        assertThat(started.get(0).stopped).isTrue();
        assertThat(started).as("an informer of its own, at once").hasSize(2);
        assertThat(narrow.timeline().read().orElseThrow().items()).as("the last published state stays readable").hasSize(1);
        started.get(1).list("a", "b");
        assertThat(seen).containsExactly("epoch ended");
        assertThat(narrow.state()).isEqualTo(InformerState.SYNCED);
        assertThat(narrow.timeline().read().orElseThrow().items()).hasSize(2);
    }

    @Test
    void shouldStopTheOwnWatchOfAQuestionThatAnInformerStartedLaterContains() {
        List<String> changes = new ArrayList<>();
        SharedInformer narrow = hub.assign("w", Map.of(KEY, FakeInformers.CONFIGMAPS), consumer(changes)).get(KEY);
        FakeBackend own = started.get(0);
        own.list("a", "b");
        List<String> seen = new ArrayList<>();
        narrow.timeline().snapshot(observer(seen));
        hub.assign("cluster", Map.of(ALL, FakeInformers.CONFIGMAPS), (c, k) -> {
        });
        FakeBackend wide = started.get(1);
        hub.sample();
        assertThat(own.stopped).as("not before the containing informer has synced").isFalse();

        wide.source.beginList();
        wide.source.put("shop/a", cm("shop", "a", "1", "web")); // as the own informer had it
        wide.source.put("shop/b", cm("shop", "b", "2", "web")); // changed meanwhile
        wide.source.put("shop/c", cm("shop", "c", "2", "web")); // new
        wide.source.put("other/x", cm("other", "x", "2", "web"));
        wide.source.listed("2");
        wide.source.beginList(); // a relist (a 410, say)
        hub.sample();
        assertThat(own.stopped).as("not while the containing informer relists").isFalse();
        wide.source.listed("2");
        hub.sample();

        assertThat(own.stopped).isTrue();
        assertThat(started).hasSize(2);
        assertThat(fresh).as("the containing question's list feeds a published one: consistent, not from the watch cache")
                .containsExactly(true, false);
        assertThat(seen).containsExactly("epoch ended");
        assertThat(narrow.state()).isEqualTo(InformerState.SYNCED);
        assertThat(narrow.timeline().read().orElseThrow().items()).extracting(o -> o.getMetadata().getName()).containsExactlyInAnyOrder("a", "b", "c");
        assertThat(changes).as("its consumer is told what differs, nothing twice").containsExactlyInAnyOrder("added a", "added b", "modified b", "added c");
    }

    private static final InformerKey ALL = InformerKey.of(FakeInformers.CONFIGMAPS, null, Selector.EVERYTHING, FieldSelector.EVERYTHING);

    private static InformerListener consumer(List<String> changes) {
        return new InformerListener() {
            @Override
            public void onStateChange(String consumerId, InformerKey key) {
            }

            @Override
            public void onObjectChange(String consumerId, InformerKey key, HasMetadata previous, HasMetadata current) {
                changes.add((previous == null ? "added " : current == null ? "deleted " : "modified ")
                        + (current != null ? current : previous).getMetadata().getName());
            }
        };
    }

    private static HasMetadata cm(String namespace, String name, String rv, String app) {
        return new ConfigMapBuilder().withNewMetadata().withNamespace(namespace).withName(name).withResourceVersion(rv).addToLabels("app", app)
                .endMetadata().build();
    }

    private static InformerKey key(String labels) {
        try {
            return InformerKey.of(FakeInformers.CONFIGMAPS, "shop", LabelSelectors.parse(labels), FieldSelector.EVERYTHING);
        } catch (InvalidSelectorException e) {
            throw new IllegalArgumentException(e);
        }
    }

    private SharedInformer consume(String consumer) {
        return hub.assign(consumer, Map.of(KEY, FakeInformers.CONFIGMAPS), (c, k) -> {
        }).get(KEY);
    }

    private static HasMetadata cm(String name, String rv) {
        return new ConfigMapBuilder().withNewMetadata().withNamespace("shop").withName(name).withResourceVersion(rv).endMetadata().build();
    }

    private static Timeline.Observer observer(List<String> seen) {
        return new Timeline.Observer() {
            @Override
            public void onChange(Timeline.Change change, Timeline.Position after) {
                seen.add(change.type());
            }

            @Override
            public void onEpochEnd(boolean closed) {
                seen.add(closed ? "closed" : "epoch ended");
            }
        };
    }

    /** A backend the test lists for, and fails. */
    private static final class FakeBackend implements InformerBackend {
        final Timeline.Source<HasMetadata> source;
        final InformerStarter.Failures failures;
        final CompletableFuture<Void> synced = new CompletableFuture<>();
        boolean stopped;

        FakeBackend(Timeline.Source<HasMetadata> source, InformerStarter.Failures failures) {
            this.source = source;
            this.failures = failures;
        }

        void list(String... names) {
            source.beginList();
            for (String n : names) {
                source.put("shop/" + n, cm(n, "1"));
            }
            source.listed("1");
            synced.complete(null);
        }

        boolean fail(int code) {
            return failures.onException(this, true, new KubernetesClientException("refused", code, null));
        }

        @Override
        public CompletableFuture<Void> start() {
            return synced;
        }

        @Override
        public Timeline.Source<?> source() {
            return source;
        }

        @Override
        public boolean isWatching() {
            return true;
        }

        @Override
        public boolean ownedByHub() {
            return true;
        }

        @Override
        public void stop() {
            stopped = true;
        }
    }
}
