package io.watchkeeper.informer;

import java.lang.management.ManagementFactory;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.watchkeeper.demo.ControlPlane;
import io.watchkeeper.discovery.ApiResource;
import io.watchkeeper.informer.FieldSelectors.FieldSelector;
import io.watchkeeper.informer.LabelSelectors.Selector;

/**
 * Heap per cached pod and read latency of the hub's cache, against the real API server, next to a plain fabric8
 * informer. Not a test: prints numbers. See BENCHMARKS.md for the command.
 */
public final class CacheMemoryBenchmark {

    public static void main(String[] args) throws Exception {
        int pods = args.length > 0 ? Integer.parseInt(args[0]) : 2000;
        try (ControlPlane cp = ControlPlane.start(List.of(), null)) {
            Config config = new ConfigBuilder(Config.empty()).withMasterUrl(cp.url()).withOauthToken(ControlPlane.ADMIN.token())
                    .withTrustCerts(true).build();
            try (KubernetesClient client = new KubernetesClientBuilder().withConfig(config).build()) {
                client.resource(new NamespaceBuilder().withNewMetadata().withName("bench").endMetadata().build()).serverSideApply();
                ControlPlane.awaitDefaultServiceAccount(client, "bench");
                long t0 = System.nanoTime();
                for (int i = 0; i < pods; i++) {
                    client.resource(pod(i)).forceConflicts().serverSideApply();
                }
                System.out.printf("created %d pods (server-side apply, so each has managedFields) in %.1f s%n", pods,
                        (System.nanoTime() - t0) / 1e9);
                String json = client.getKubernetesSerialization().asJson(client.pods().inNamespace("bench").withName("pod-0").get());
                System.out.printf("one pod as JSON: %d bytes%n", json.length());

                // plain fabric8 informer, default store
                long before = usedHeap();
                SharedIndexInformer<Pod> plain = client.pods().inNamespace("bench").inform();
                long plainBytes = usedHeap() - before;
                System.out.printf("plain fabric8 informer:  %6.1f KB heap per pod%n", plainBytes / 1024.0 / pods);
                plain.stop();
                plain = null;

                // what the Pod insight controller's informer holds: typed pods, managedFields dropped (InsightScope)
                before = usedHeap();
                SharedIndexInformer<Pod> typed = client.pods().inNamespace("bench").runnableInformer(0);
                typed.itemStore(new io.javaoperatorsdk.operator.processing.event.source.informer.TransformingItemStore<>(p -> {
                    p.getMetadata().setManagedFields(null);
                    return p;
                }));
                typed.start().toCompletableFuture().get(120, TimeUnit.SECONDS);
                long typedBytes = usedHeap() - before;
                System.out.printf("typed, no managedFields: %6.1f KB heap per pod%n", typedBytes / 1024.0 / pods);
                typed.stop();
                typed = null;

                // the hub: generic objects, managedFields dropped
                InformerHub hub = new InformerHub(client, new InformerMetrics(new SimpleMeterRegistry()), Clock.systemUTC(),
                        Duration.ofSeconds(5), Duration.ofSeconds(30), new RequestCounter(), new Timeline.Budget(4L << 20, Duration.ofMinutes(2)));
                ApiResource podsResource = new ApiResource("", "v1", "pods", "Pod", true, "pod", List.of("po"), List.of("list", "watch"));
                InformerKey key = InformerKey.of(podsResource, "bench", Selector.EVERYTHING, FieldSelector.EVERYTHING);
                before = usedHeap();
                SharedInformer si = hub.assign("bench", Map.of(key, podsResource), (c, k) -> {
                }).get(key);
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
                while (!si.synced() && System.nanoTime() < deadline) {
                    TimeUnit.MILLISECONDS.sleep(50);
                }
                long hubBytes = usedHeap() - before;
                System.out.printf("watchkeeper hub cache:   %6.1f KB heap per pod (%d items)%n", hubBytes / 1024.0 / pods, si.size());

                int rounds = 1_000_000;
                long g = System.nanoTime();
                int found = 0;
                for (int i = 0; i < rounds; i++) {
                    found += si.get("bench", "pod-" + (i % pods)).isPresent() ? 1 : 0;
                }
                System.out.printf("get by namespace/name:   %6.3f µs (%d found)%n", (System.nanoTime() - g) / 1e3 / rounds, found);
                Selector web = LabelSelectors.parse("app=web");
                int scans = 200;
                List<HasMetadata> last = new ArrayList<>();
                long l = System.nanoTime();
                for (int i = 0; i < scans; i++) {
                    last = si.list(o -> web.test(o.getMetadata().getLabels()));
                }
                System.out.printf("list by label (scan):    %6.3f ms for %d pods (%d match)%n", (System.nanoTime() - l) / 1e6 / scans, pods,
                        last.size());
                hub.shutdown();
            }
        }
    }

    private static long usedHeap() throws InterruptedException {
        for (int i = 0; i < 4; i++) {
            System.gc();
            TimeUnit.MILLISECONDS.sleep(200);
        }
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    }

    private static Pod pod(int i) {
        String app = i % 4 == 0 ? "web" : i % 4 == 1 ? "api" : i % 4 == 2 ? "worker" : "cache";
        return new PodBuilder().withNewMetadata().withNamespace("bench").withName("pod-" + i)
                .withLabels(Map.of("app", app, "tier", "backend", "release", "r" + (i % 7), "pod-template-hash", "7d9f8c6b5" + (i % 10)))
                .withAnnotations(Map.of("prometheus.io/scrape", "true", "prometheus.io/port", "9102",
                        "kubectl.kubernetes.io/restartedAt", "2026-11-27T10:00:00Z"))
                .endMetadata()
                .withNewSpec().addNewContainer().withName(app).withImage("registry.example/" + app + ":1.4." + (i % 9))
                .addNewPort().withContainerPort(8080).withName("http").withProtocol("TCP").endPort()
                .addNewEnv().withName("JAVA_OPTS").withValue("-Xmx256m -XX:+UseG1GC").endEnv()
                .addNewEnv().withName("APP_MODE").withValue("production").endEnv()
                .withNewResources().addToRequests("cpu", new Quantity("100m")).addToRequests("memory", new Quantity("256Mi"))
                .addToLimits("memory", new Quantity("512Mi")).endResources()
                .withNewReadinessProbe().withNewHttpGet().withPath("/ready").withNewPort(8080).endHttpGet().endReadinessProbe()
                .endContainer()
                .addNewContainer().withName("sidecar").withImage("registry.example/proxy:2.1").withArgs("--port", "15001").endContainer()
                .endSpec().build();
    }
}
