package io.watchkeeper.informer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import org.jboss.logging.Logger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.watchkeeper.informer.FieldSelectors.FieldSelector;
import io.watchkeeper.informer.LabelSelectors.Selector;
import io.watchkeeper.insight.InsightScope;
import io.watchkeeper.testing.CacheFootprint;
import io.watchkeeper.testing.RealisticPods;
import io.watchkeeper.testing.TestCluster;

/**
 * The memory guard (issue 12): heap per cached realistic pod, measured exactly (JOL), for both of Watchkeeper's caches
 * (the hub's generic informer, and a typed informer over a hub store, as insight runs it) next to a plain fabric8
 * informer on the same pods of the real API server. Heap, not time: a change that makes cached pods bigger fails the
 * build. {@link ScaleBenchmark} measures the same at 10,000 pods.
 */
class CacheMemoryTest {

    private static final Logger LOG = Logger.getLogger(CacheMemoryTest.class);
    /** Ten ReplicaSets of 100: what a representation that shares a ReplicaSet's parts can share. */
    private static final int PODS = 1000;
    /** The goal of issue 12, per pod. */
    private static final long MAX_BYTES_PER_POD = 6 * 1024;
    /** A plain informer's pods are all alike in size: a sample is measured. */
    private static final int PLAIN_SAMPLE = 100;

    private static KubernetesClient client;
    private static String namespace;

    @BeforeAll
    static void createPods() throws Exception {
        TestCluster.start();
        client = TestCluster.admin();
        namespace = RealisticPods.create(client, TestCluster.namespace("memory-guard"), 1, PODS).get(0);
    }

    @AfterAll
    static void deletePods() {
        if (namespace != null) {
            client.namespaces().withName(namespace).delete();
        }
    }

    @Test
    void shouldKeepARealisticPodWithinTheBudgetInEitherCache() throws Exception {
        SharedIndexInformer<Pod> plain = client.pods().inNamespace(namespace).runnableInformer(0);
        plain.start().toCompletableFuture().get();
        List<Pod> sample = plain.getStore().list().subList(0, PLAIN_SAMPLE);
        double plainPerPod = (double) CacheFootprint.ofObjects(sample.toArray()) / PLAIN_SAMPLE;
        plain.stop();

        long baseline = CacheFootprint.poolBaseline();
        InformerHub hub = ScaleBenchmark.hub(client);
        double hubPerPod;
        try {
            InformerKey key = InformerKey.of(InsightScope.PODS, namespace, Selector.EVERYTHING, FieldSelector.EVERYTHING);
            SharedInformer si = hub.assign("memory-guard", Map.of(key, InsightScope.PODS), (c, k) -> {
            }).get(key);
            await().atMost(Duration.ofMinutes(2)).until(si::synced);
            assertThat(si.size()).isEqualTo(PODS);
            hubPerPod = (double) CacheFootprint.of(si.timeline(), baseline) / PODS;
        } finally {
            hub.shutdown();
        }

        baseline = CacheFootprint.poolBaseline();
        SharedIndexInformer<Pod> typed = client.pods().inNamespace(namespace).runnableInformer(0);
        double typedPerPod;
        try {
            Timeline timeline = ScaleBenchmark.typedCache(typed);
            assertThat(timeline.size()).isEqualTo(PODS);
            typedPerPod = (double) CacheFootprint.of(timeline, baseline) / PODS;
        } finally {
            typed.stop();
        }

        LOG.infof("Heap per cached realistic pod (%d pods): plain fabric8 %.0f B, hub (generic) %.0f B, typed store %.0f B", PODS,
                plainPerPod, hubPerPod, typedPerPod);
        assertThat(hubPerPod).as("hub cache, bytes per pod").isLessThanOrEqualTo(MAX_BYTES_PER_POD).isLessThan(plainPerPod / 10);
        assertThat(typedPerPod).as("typed store, bytes per pod").isLessThanOrEqualTo(MAX_BYTES_PER_POD).isLessThan(plainPerPod / 10);
    }
}
