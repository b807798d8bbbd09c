package io.watchkeeper.informer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.watchkeeper.insight.InsightScope;
import io.watchkeeper.testing.AuditLog;
import io.watchkeeper.testing.TestCluster;
import io.watchkeeper.testing.Watches;

/**
 * A hub informer's first list on the real API server: one response from the watch cache ({@code resourceVersion=0}),
 * with the question's selectors, read into the cache as it arrives, and the same answer as a consistent list; the watch
 * then follows from its resourceVersion. With the setting off, the same question lists by pages, as relists do.
 */
class StreamedFirstListTest {

    private static final String NS = "streamed-first-list";
    private static final String PODS = "/api/v1/namespaces/" + NS + "/pods";
    /** Pages this small would take several requests for the question's pods. */
    private static final long PAGE = 5;
    private static final int WEB = 20;
    /** A controller's pods: three pages' worth. */
    private static final int API = 12;

    /** Sees the requests of a test's hub and of its operator's client, as the operator's counter does. */
    private final RequestCounter counter = new RequestCounter();

    private static KubernetesClient admin;

    @BeforeAll
    static void createPods() {
        admin = TestCluster.admin();
        TestCluster.namespace(NS);
        for (int i = 0; i < WEB; i++) {
            admin.resource(Watches.pod(NS, "web-" + i, Map.of("app", "web"))).create();
        }
        for (int i = 0; i < 5; i++) {
            admin.resource(Watches.pod(NS, "db-" + i, Map.of("app", "db"))).create();
            admin.resource(Watches.pod(NS, "cache-" + i, Map.of("app", "cache"))).create();
        }
        for (int i = 0; i < 2; i++) {
            admin.resource(Watches.pod(NS, "queue-" + i, Map.of("app", "queue"))).create();
        }
        for (int i = 0; i < API; i++) {
            admin.resource(Watches.pod(NS, "api-" + i, Map.of("app", "api"))).create();
        }
    }

    @AfterAll
    static void deleteNamespace() {
        admin.namespaces().withName(NS).delete();
    }

    @Test
    void shouldReadTheFirstListFromTheWatchCacheInOneResponseThenWatchFromIt() throws Exception {
        InformerKey key = InformerKey.of(InsightScope.PODS, NS, LabelSelectors.parse("app=web"), FieldSelectors.parse("metadata.name!=web-0"));
        InformerHub hub = hub(true);
        try {
            SharedInformer si = hub.assign("streamed", Map.of(key, InsightScope.PODS), (c, k) -> {
            }).get(key);
            await().atMost(Duration.ofSeconds(60)).until(si::synced);

            // the same answer as a consistent list of the same question, managedFields dropped
            assertThat(versions(si.timeline().values().toList())).isEqualTo(versions(admin.pods().inNamespace(NS)
                    .withLabel("app", "web").withoutField("metadata.name", "web-0").list().getItems()));
            assertThat(si.size()).isEqualTo(WEB - 1);
            assertThat(si.timeline().values()).allSatisfy(p -> {
                assertThat(p.getMetadata().getManagedFields()).isNullOrEmpty();
                // the API server leaves them out of a list's items; readers and streams need them
                assertThat(p.getApiVersion()).isEqualTo("v1");
                assertThat(p.getKind()).isEqualTo("Pod");
            });
            // one request, with the question's selectors, served from the watch cache (resourceVersion=0: no limit, no pages)
            List<JsonNode> lists = AuditLog.entries(AuditLog.listOf(PODS, "labelSelector=app=web").and(AuditLog.stage("ResponseComplete")));
            assertThat(lists).singleElement().satisfies(e -> assertThat(uri(e)).contains("resourceVersion=0")
                    .contains("fieldSelector=metadata.name!=web-0").doesNotContain("limit=").doesNotContain("continue="));

            // the watch from the list's resourceVersion follows what changes
            admin.resource(Watches.pod(NS, "web-" + WEB, Map.of("app", "web"))).create();
            admin.pods().inNamespace(NS).withName("web-1").delete();
            await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(versions(si.timeline().values().toList()))
                    .isEqualTo(versions(admin.pods().inNamespace(NS).withLabel("app", "web").withoutField("metadata.name", "web-0").list()
                            .getItems())));
        } finally {
            hub.shutdown();
        }
    }

    /** A failed first list says what the API server said (its Status), read from the streamed response. */
    @Test
    void shouldReportTheApiServersStatusWhenTheListFails() throws Exception {
        try (KubernetesClient client = new KubernetesClientBuilder().withConfig(admin.getConfiguration())
                .withKubernetesSerialization(CacheTransform.serialization()).build()) {
            StreamedList<io.fabric8.kubernetes.api.model.GenericKubernetesResource> nothing = StreamedList.at(client.adapt(io.fabric8.kubernetes.client.impl.BaseClient.class).getHttpClient(),
                    new java.net.URL(client.getMasterUrl(), "api/v1/namespaces/" + NS + "/nothings"), "v1", "Nothing", 30_000,
                    client.getKubernetesSerialization(), java.util.concurrent.ForkJoinPool.commonPool(), true);
            assertThatThrownBy(() -> nothing.list(o -> o).get(60, java.util.concurrent.TimeUnit.SECONDS))
                    .cause().isInstanceOfSatisfying(io.fabric8.kubernetes.client.KubernetesClientException.class, e -> {
                        assertThat(e.getCode()).isEqualTo(404);
                        assertThat(e.getStatus().getReason()).isEqualTo("NotFound");
                    });
        }
    }

    @Test
    void shouldListByPagesWhenTheFirstListIsNotToBeReadFromTheWatchCache() throws Exception {
        InformerKey key = InformerKey.of(InsightScope.PODS, NS, LabelSelectors.parse("app=db"), FieldSelectors.FieldSelector.EVERYTHING);
        InformerHub hub = hub(false);
        try {
            SharedInformer si = hub.assign("paged", Map.of(key, InsightScope.PODS), (c, k) -> {
            }).get(key);
            await().atMost(Duration.ofSeconds(60)).until(si::synced);

            assertThat(versions(si.timeline().values().toList())).isEqualTo(versions(admin.pods().inNamespace(NS).withLabel("app", "db").list()
                    .getItems()));
            List<JsonNode> lists = AuditLog.entries(AuditLog.listOf(PODS, "labelSelector=app=db").and(AuditLog.stage("ResponseComplete")));
            assertThat(lists).as("5 pods by pages of 5: a page, and a further one that finds the end").isNotEmpty()
                    .allSatisfy(e -> assertThat(uri(e)).contains("limit=" + PAGE).doesNotContain("resourceVersion=0"));
        } finally {
            hub.shutdown();
        }
    }

    /**
     * A built-in controller's pod informer (JOSDK builds it from the operator's client: a list limit, the hub's store)
     * reads its first list as the hub's informers do: one response from the watch cache, read into the store as it
     * arrives. Its handlers are told of every pod as an addition, once, and the watch follows; the next list of the
     * question (a relist) would go by pages.
     */
    @Test
    void shouldReadAControllersFirstListOfPodsFromTheWatchCacheAndTellItsHandlersOfEachPod() throws Exception {
        InformerKey key = InformerKey.of(InsightScope.PODS, NS, LabelSelectors.parse("app=api"), FieldSelectors.FieldSelector.EVERYTHING);
        InformerHub hub = hub(true, counter);
        try (KubernetesClient operator = operatorClient(hub)) {
            Timeline.Source<Pod> store = hub.controllerSource("controller/api", key, InsightScope.PODS, CacheTransform::strip);
            SharedIndexInformer<Pod> informer = operator.resources(Pod.class).inNamespace(NS).withLabelSelector("app=api").withLimit(PAGE)
                    .runnableInformer(0);
            informer.itemStore(store);
            Map<String, Integer> added = new java.util.concurrent.ConcurrentHashMap<>();
            informer.addEventHandler(new ResourceEventHandler<>() {
                @Override
                public void onAdd(Pod pod) {
                    added.merge(pod.getMetadata().getName(), 1, Integer::sum);
                }

                @Override
                public void onUpdate(Pod before, Pod after) {
                }

                @Override
                public void onDelete(Pod pod, boolean unknownFinalState) {
                }
            });
            try {
                informer.start().toCompletableFuture().get(60, java.util.concurrent.TimeUnit.SECONDS);

                List<Pod> expected = admin.pods().inNamespace(NS).withLabel("app", "api").list().getItems();
                assertThat(versions(store.values().toList())).isEqualTo(versions(expected));
                assertThat(store.values()).allSatisfy(p -> {
                    assertThat(p.getMetadata().getManagedFields()).isNullOrEmpty();
                    // compacted as it was read: its parts are shared and frozen
                    assertThatThrownBy(() -> p.getSpec().getContainers().add(null)).isInstanceOf(UnsupportedOperationException.class);
                });
                await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(added).hasSize(expected.size())
                        .allSatisfy((name, times) -> assertThat(times).as(name).isEqualTo(1)));
                assertThat(store.everListed()).as("the store was told where the list began and ended").isTrue();
                List<JsonNode> lists = AuditLog.entries(AuditLog.listOf(PODS, "labelSelector=app=api").and(AuditLog.stage("ResponseComplete")));
                assertThat(lists).singleElement().satisfies(e -> assertThat(uri(e)).contains("resourceVersion=0").doesNotContain("limit="));
                assertThat(hub.claimFirstList(StreamedList.collection((io.fabric8.kubernetes.client.dsl.internal.OperationSupport) operator
                        .pods().inNamespace(NS).withLabelSelector("app=api")))).as("a relist goes by pages").isEmpty();

                admin.resource(Watches.pod(NS, "api-late", Map.of("app", "api"))).create();
                await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(added).containsEntry("api-late", 1));
                assertThat(store.get(NS + "/api-late")).isNotNull();
            } finally {
                informer.stop();
                admin.pods().inNamespace(NS).withName("api-late").delete();
            }
        } finally {
            hub.shutdown();
        }
    }

    /**
     * Once something of the resource has been published (here another question on pods), a controller's first list
     * may not be older than what was seen: it goes by pages from etcd, as a relist does.
     */
    @Test
    void shouldListAControllersFirstListByPagesOnceItsResourceWasPublished() throws Exception {
        InformerKey other = InformerKey.of(InsightScope.PODS, NS, LabelSelectors.parse("app=other"), FieldSelectors.FieldSelector.EVERYTHING);
        InformerKey key = InformerKey.of(InsightScope.PODS, NS, LabelSelectors.parse("app=cache"), FieldSelectors.FieldSelector.EVERYTHING);
        InformerHub hub = hub(true, counter);
        try (KubernetesClient operator = operatorClient(hub)) {
            SharedInformer published = hub.assign("watch", Map.of(other, InsightScope.PODS), (c, k) -> {
            }).get(other);
            await().atMost(Duration.ofSeconds(60)).until(published::synced);
            Timeline.Source<Pod> store = hub.controllerSource("controller/cache", key, InsightScope.PODS, CacheTransform::strip);
            SharedIndexInformer<Pod> informer = operator.resources(Pod.class).inNamespace(NS).withLabelSelector("app=cache").withLimit(PAGE).runnableInformer(0);
            informer.itemStore(store);
            try {
                informer.start().toCompletableFuture().get(60, java.util.concurrent.TimeUnit.SECONDS);
                assertThat(versions(store.values().toList())).isEqualTo(versions(admin.pods().inNamespace(NS).withLabel("app", "cache").list()
                        .getItems()));
                List<JsonNode> lists = AuditLog.entries(AuditLog.listOf(PODS, "labelSelector=app=cache").and(AuditLog.stage("ResponseComplete")));
                assertThat(lists).isNotEmpty().allSatisfy(e -> assertThat(uri(e)).contains("limit=" + PAGE).doesNotContain("resourceVersion=0"));
            } finally {
                informer.stop();
            }
            // without a list limit too (list-page-size 0), where fabric8 would ask the watch cache for a first list
            InformerKey whole = InformerKey.of(InsightScope.PODS, NS, LabelSelectors.parse("app=queue"), FieldSelectors.FieldSelector.EVERYTHING);
            Timeline.Source<Pod> wholeStore = hub.controllerSource("controller/queue", whole, InsightScope.PODS, CacheTransform::strip);
            SharedIndexInformer<Pod> unlimited = operator.resources(Pod.class).inNamespace(NS).withLabelSelector("app=queue").runnableInformer(0);
            unlimited.itemStore(wholeStore);
            try {
                unlimited.start().toCompletableFuture().get(60, java.util.concurrent.TimeUnit.SECONDS);
                assertThat(wholeStore.size()).isEqualTo(2);
                List<JsonNode> lists = AuditLog.entries(AuditLog.listOf(PODS, "labelSelector=app=queue").and(AuditLog.stage("ResponseComplete")));
                assertThat(lists).singleElement().satisfies(e -> assertThat(uri(e)).doesNotContain("resourceVersion=0").doesNotContain("limit="));
            } finally {
                unlimited.stop();
            }
        } finally {
            hub.shutdown();
        }
    }

    /**
     * The operator's client as {@code OperatorClientProducer} makes it, as the operator's user, beside {@code hub} (made
     * with {@link #counter}) as the operator wires them.
     */
    private KubernetesClient operatorClient(InformerHub hub) {
        FirstLists firstLists = new FirstLists();
        firstLists.answeredBy(hub::claimFirstList);
        KubernetesClient client = new KubernetesClientBuilder().withConfig(operatorConfig())
                .withKubernetesSerialization(CacheTransform.serialization(new com.fasterxml.jackson.databind.ObjectMapper()))
                .withHttpClientBuilderConsumer(b -> b.addOrReplaceInterceptor(RequestCounter.NAME, counter)).build();
        FirstLists.install(client, firstLists);
        return client;
    }

    private static Config operatorConfig() {
        return new ConfigBuilder(Config.empty()).withMasterUrl(TestCluster.controlPlane().url()).withOauthToken(TestCluster.OPERATOR.token())
                .withTrustCerts(true).build();
    }

    /** A hub as the operator runs it (its client is the operator's user, whose requests the API server audits). */
    private static InformerHub hub(boolean firstListFromWatchCache) {
        return hub(firstListFromWatchCache, new RequestCounter());
    }

    private static InformerHub hub(boolean firstListFromWatchCache, RequestCounter counter) {
        KubernetesClient own = new KubernetesClientBuilder().withConfig(operatorConfig()).withKubernetesSerialization(CacheTransform.serialization())
                .withHttpClientBuilderConsumer(b -> b.addOrReplaceInterceptor(RequestCounter.NAME, counter.forHubClient())).build(); // the hub closes it
        return new InformerHub(own, new InformerMetrics(new SimpleMeterRegistry()), Clock.systemUTC(), Duration.ofSeconds(1),
                Duration.ofSeconds(5), counter, new Timeline.Budget(1 << 20, Duration.ofMinutes(2)), PAGE,
                firstListFromWatchCache);
    }

    private static Map<String, String> versions(List<? extends HasMetadata> objects) {
        return objects.stream().collect(Collectors.toMap(o -> o.getMetadata().getName(), o -> o.getMetadata().getResourceVersion(),
                (a, b) -> a, TreeMap::new));
    }

    private static String uri(JsonNode auditEntry) {
        return java.net.URLDecoder.decode(auditEntry.path("requestURI").asText(), java.nio.charset.StandardCharsets.UTF_8);
    }
}
