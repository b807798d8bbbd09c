package io.watchkeeper.informer;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.function.UnaryOperator;

import org.junit.jupiter.api.Test;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.GenericKubernetesResourceList;
import io.fabric8.kubernetes.api.model.ListMetaBuilder;
import io.fabric8.kubernetes.api.model.ListOptions;
import io.fabric8.kubernetes.api.model.ListOptionsBuilder;
import io.fabric8.kubernetes.api.model.ManagedFieldsEntry;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.Watcher;
import io.fabric8.kubernetes.client.dsl.internal.AbstractWatchManager;
import io.fabric8.kubernetes.client.informers.impl.ListerWatcher;
import io.watchkeeper.testing.MutableClock;

/**
 * Which lists of a hub informer are read how: the question's first from the watch cache as it arrives (into the store
 * item by item), every relist and page through fabric8's paged lister, which reads etcd. Driven as fabric8's reflector
 * drives a lister-watcher: a list, the store puts of its items, then a watch from its resourceVersion.
 */
class ListSignalsTest {

    private final List<String> writes = new ArrayList<>();
    private final Timeline timeline = new Timeline(new Timeline.Budget(1 << 20, Duration.ofMinutes(2)),
            new MutableClock(Instant.parse("2026-12-02T00:00:00Z")), (type, before, after) -> writes.add(type + " "
                    + (after != null ? after : before).getMetadata().getName()));
    /** Objects that went through the store's transform: each once, however often fabric8 puts it. */
    private final List<String> transformed = new ArrayList<>();
    private final Timeline.Source<GenericKubernetesResource> source = timeline.newSource(o -> {
        transformed.add(o.getMetadata().getName());
        return CacheTransform.apply(o, false);
    });
    private final Paged paged = new Paged();
    private final List<String> streamed = new ArrayList<>();

    ListSignalsTest() {
        timeline.attach(source);
    }

    @Test
    void shouldStreamTheFirstListIntoTheStoreAndReadRelistsByPages() throws Exception {
        ListSignals signals = new ListSignals(paged, source, into -> stream(into, "a", "b"));

        GenericKubernetesResourceList first = reflectorLists(signals, "5");

        assertThat(streamed).containsExactly("a", "b");
        assertThat(paged.lists).as("the paged lister is not asked for the first list").isEmpty();
        // the list holds the cached objects (transformed and compacted as they were read), which fabric8 put again
        assertThat(first.getItems()).allSatisfy(i -> {
            assertThat(source.get(source.getKey(i))).isSameAs(i);
            assertThat(i.getMetadata().getManagedFields()).isNullOrEmpty();
        });
        assertThat(transformed).as("transformed once: putting the cached object again changes nothing").containsExactly("a", "b");
        assertThat(writes).containsExactly("added a", "added b");
        assertThat(timeline.published()).isTrue();
        assertThat(timeline.listResourceVersion()).isEqualTo("5");

        // a relist (a watch that expired) and its further pages go to the paged lister, which reads etcd: no
        // resourceVersion, even where fabric8 asked for 0 (a new reflector without a limit does)
        paged.items = List.of(object("a"), object("c"));
        reflectorLists(signals, "9", "0");
        signals.submitList(new ListOptionsBuilder().withContinue("next").withLimit(500L).build());

        assertThat(streamed).as("streamed once").containsExactly("a", "b");
        assertThat(paged.lists).extracting(ListOptions::getContinue).containsExactly(null, "next");
        assertThat(paged.lists).extracting(ListOptions::getResourceVersion).containsOnlyNulls();
        assertThat(writes).containsExactly("added a", "added b", "added c", "deleted b");
        assertThat(timeline.listResourceVersion()).isEqualTo("9");
    }

    @Test
    void shouldReadPagesWhenTheStreamedFirstListFailed() throws Exception {
        List<Integer> attempts = new ArrayList<>();
        ListSignals signals = new ListSignals(paged, source, into -> {
            attempts.add(attempts.size());
            if (attempts.size() == 1) {
                into.apply(object("a")); // cut off after its first item
                return CompletableFuture.failedFuture(new java.io.IOException("connection reset"));
            }
            return stream(into, "a", "b");
        });

        assertThat(signals.submitList(new ListOptions())).isCompletedExceptionally();
        assertThat(timeline.published()).isFalse();
        // the retry (a whole list that took longer than the request timeout, say, would fail again) reads pages
        paged.items = List.of(object("b"), object("c"));
        reflectorLists(signals, "5");

        assertThat(attempts).hasSize(1);
        assertThat(paged.lists).hasSize(1);
        assertThat(timeline.read().orElseThrow().items()).extracting(o -> o.getMetadata().getName()).containsExactlyInAnyOrder("b", "c");
    }

    @Test
    void shouldReadEveryListByPagesWithoutAFirstListReader() throws Exception {
        paged.items = List.of(object("a"));
        reflectorLists(new ListSignals(paged, source, null), "5");

        assertThat(paged.lists).hasSize(1);
        assertThat(timeline.read().orElseThrow().items()).hasSize(1);
    }

    /** What fabric8's reflector does: a list, its items put into the store, the rest removed, a watch from its version. */
    private GenericKubernetesResourceList reflectorLists(ListSignals signals, String resourceVersion) throws Exception {
        return reflectorLists(signals, resourceVersion, null);
    }

    /** @param asked the resourceVersion fabric8 asks the list for ("0" for a new reflector without a limit) */
    private GenericKubernetesResourceList reflectorLists(ListSignals signals, String resourceVersion, String asked) throws Exception {
        paged.resourceVersion = resourceVersion;
        streamedVersion = resourceVersion;
        GenericKubernetesResourceList list = signals.submitList(new ListOptionsBuilder().withResourceVersion(asked).build()).get();
        List<String> keys = new ArrayList<>();
        for (GenericKubernetesResource i : list.getItems()) {
            keys.add(source.getKey(i));
            source.put(source.getKey(i), i);
        }
        source.keySet().filter(k -> !keys.contains(k)).toList().forEach(source::remove);
        signals.submitWatch(new ListOptionsBuilder().withResourceVersion(list.getMetadata().getResourceVersion()).build(), null);
        return list;
    }

    private String streamedVersion;

    /** A streamed list: each item goes into the store as it is read; the list holds what the store returned. */
    private CompletableFuture<GenericKubernetesResourceList> stream(UnaryOperator<GenericKubernetesResource> into, String... names) {
        List<GenericKubernetesResource> items = new ArrayList<>();
        for (String n : names) {
            streamed.add(n);
            items.add(into.apply(object(n)));
        }
        return CompletableFuture.completedFuture(list(items, streamedVersion));
    }

    private static GenericKubernetesResourceList list(List<GenericKubernetesResource> items, String resourceVersion) {
        GenericKubernetesResourceList l = new GenericKubernetesResourceList();
        l.setMetadata(new ListMetaBuilder().withResourceVersion(resourceVersion).build());
        l.setItems(items);
        return l;
    }

    private static GenericKubernetesResource object(String name) {
        GenericKubernetesResource o = new GenericKubernetesResource();
        o.setApiVersion("v1");
        o.setKind("ConfigMap");
        o.setMetadata(new ObjectMetaBuilder().withNamespace("ns").withName(name).withResourceVersion("1")
                .withManagedFields(new ManagedFieldsEntry()).build());
        o.setAdditionalProperties(new java.util.LinkedHashMap<>(Map.of("data", Map.of("k", "v"))));
        return o;
    }

    /** fabric8's paged lister, as far as the reflector uses it: every list it was asked for. */
    private static final class Paged implements ListerWatcher<GenericKubernetesResource, GenericKubernetesResourceList> {
        final List<ListOptions> lists = new ArrayList<>();
        List<GenericKubernetesResource> items = List.of();
        String resourceVersion;

        @Override
        public CompletableFuture<GenericKubernetesResourceList> submitList(ListOptions options) {
            lists.add(options);
            return CompletableFuture.completedFuture(list(items, resourceVersion));
        }

        @Override
        public CompletableFuture<AbstractWatchManager<GenericKubernetesResource>> submitWatch(ListOptions options,
                Watcher<GenericKubernetesResource> watcher) {
            return new CompletableFuture<>();
        }

        @Override
        public Long getLimit() {
            return 500L;
        }

        @Override
        public int getWatchReconnectInterval() {
            return 1000;
        }

        @Override
        public String getApiEndpointPath() {
            return "api/v1/namespaces/ns/configmaps";
        }

        @Override
        public Config getConfig() {
            return Config.empty();
        }
    }
}
