package io.watchkeeper.informer;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.watchkeeper.demo.ControlPlane;
import io.watchkeeper.informer.FieldSelectors.FieldSelector;
import io.watchkeeper.informer.LabelSelectors.Selector;
import io.watchkeeper.insight.InsightScope;
import io.watchkeeper.testing.CacheFootprint;
import io.watchkeeper.testing.PairedRatios;
import io.watchkeeper.testing.RealisticPods;

/**
 * Issue 12's harness: N realistic Running pods ({@link RealisticPods}) on the test bed's real API server, then, in
 * one run and on the same pods: the API server's own LIST times, a plain fabric8 informer, and Watchkeeper's caches
 * (the hub's generic informer, and a typed informer over the hub's store as the insight controller runs it) side by
 * side: heap per pod, time to synced, RSS, and reads. Prints median/min/max over the repeats. Not a test: see
 * BENCHMARKS.md for the command.
 */
public final class ScaleBenchmark {

    private static final int NAMESPACES = 10;

    public static void main(String[] args) {
        try {
            run(args);
        } catch (Exception | Error e) {
            e.printStackTrace(); // exec:java would wait for the clients' threads before saying anything
            OperatorProcess.removeCgroup();
            System.exit(1);
        }
        OperatorProcess.removeCgroup();
        System.exit(0); // the clients' pools must not keep a finished run alive
    }

    private static void run(String[] args) throws Exception {
        int pods = args.length > 0 ? Integer.parseInt(args[0]) : 10_000;
        int repeats = args.length > 1 ? Integer.parseInt(args[1]) : 3;
        System.out.printf("%d pods, %d repeats; %d CPUs, max heap %d MB, %s%n", pods, repeats, Runtime.getRuntime().availableProcessors(),
                Runtime.getRuntime().maxMemory() >> 20, System.getProperty("java.vm.version"));
        try (ControlPlane cp = ControlPlane.start(List.of(), null)) {
            Config config = new ConfigBuilder(Config.empty()).withMasterUrl(cp.url()).withOauthToken(ControlPlane.ADMIN.token())
                    .withTrustCerts(true).withRequestTimeout(120_000).build();
            try (KubernetesClient client = new KubernetesClientBuilder().withConfig(config).build()) {
                OperatorProcess.installCrds(client);
                OperatorProcess.idle(cp);
                long t0 = System.nanoTime();
                RealisticPods.create(client, "bench", NAMESPACES, pods);
                System.out.printf("created %d pods with kubelet-style status in %.1f s (8 threads)%n", pods, (System.nanoTime() - t0) / 1e9);
                Pod one = client.pods().inNamespace(RealisticPods.namespaceOf("bench", NAMESPACES, 0)).withName("pod-0").get();
                String json = client.getKubernetesSerialization().asJson(one);
                one.getMetadata().setManagedFields(null);
                String without = client.getKubernetesSerialization().asJson(one);
                System.out.printf("one pod as JSON: %d bytes, %d%% of it managedFields%n", json.length(),
                        100 * (json.length() - without.length()) / json.length());
                String only = args.length > 2 ? args[2] : ""; // "operator": the operator process only; "caches": no operator
                if (!only.equals("operator")) {
                    apiServer(cp, pods, repeats);
                    caches(cp, client, pods, repeats);
                }
                if (!only.equals("caches")) {
                    OperatorProcess.loaded(cp, client, pods, repeats);
                }
            }
        }
    }

    /** The API server's answers: a full LIST from the watch cache (resourceVersion=0) and from etcd; label LISTs. */
    private static void apiServer(ControlPlane cp, int pods, int repeats) throws Exception {
        HttpClient http = HttpClient.newBuilder().sslContext(ControlPlane.trustAll()).build();
        Stats watchCache = new Stats("API server: full LIST, watch cache (rv=0)");
        Stats etcd = new Stats("API server: full LIST, etcd");
        long[] bytes = new long[1];
        for (int r = 0; r < repeats; r++) {
            watchCache.add(time(() -> bytes[0] = get(http, cp, "/api/v1/pods?resourceVersion=0")));
            etcd.add(time(() -> get(http, cp, "/api/v1/pods")));
        }
        System.out.printf("LIST of %d pods: %.1f MB of JSON, %.0f bytes per pod%n", pods, bytes[0] / 1e6, (double) bytes[0] / pods);
        watchCache.print("s", 1e-9);
        etcd.print("s", 1e-9);
        clientSide(http, cp, repeats);
        Stats labelWatchCache = new Stats("API server: label LIST of " + RealisticPods.PODS_PER_REPLICASET + " pods, watch cache");
        Stats labelEtcd = new Stats("API server: label LIST of " + RealisticPods.PODS_PER_REPLICASET + " pods, etcd");
        int sets = Math.max(1, pods / RealisticPods.PODS_PER_REPLICASET);
        for (int r = 0; r < 50; r++) {
            String q = "/api/v1/pods?labelSelector=app%3Dapp-" + (r % sets);
            labelWatchCache.add(time(() -> get(http, cp, q + "&resourceVersion=0")));
            labelEtcd.add(time(() -> get(http, cp, q)));
        }
        labelWatchCache.print("ms", 1e-6);
        labelEtcd.print("ms", 1e-6);
    }

    private static void caches(ControlPlane cp, KubernetesClient client, int pods, int repeats) throws Exception {
        HttpClient http = HttpClient.newBuilder().sslContext(ControlPlane.trustAll()).build();
        ThrowingRunnable rawList = () -> get(http, cp, "/api/v1/pods?resourceVersion=0");
        Syncs plainSyncs = new Syncs("plain fabric8 informer");
        Syncs hubSyncs = new Syncs("Watchkeeper hub (generic)");
        Syncs hubPagedSyncs = new Syncs("Watchkeeper hub (generic), first list by pages of 500 from etcd");
        Syncs typedSyncs = new Syncs("Watchkeeper typed store (insight's), first list streamed");
        Syncs typedPagedSyncs = new Syncs("Watchkeeper typed store (insight's), first list by pages of 500 from etcd");
        for (int r = 0; r < repeats; r++) {
            boolean first = r == 0;

            long raw = time(rawList);
            Measure m = new Measure("plain fabric8 informer", pods);
            SharedIndexInformer<Pod> plain = client.pods().inAnyNamespace().runnableInformer(0);
            plain.start().toCompletableFuture().get(10, TimeUnit.MINUTES);
            plainSyncs.add(m, raw);
            if (first) {
                m.heap(plain.getStore().list().size(), null);
                plainReads(plain, pods);
                profileBefore(client, plain.getStore().list().subList(0, Math.min(pods, 500)));
            }
            plain.stop();
            plain = null;

            InformerHub hub = hub(client); // its client made before the clock starts, as the operator's is
            raw = time(rawList);
            m = new Measure("Watchkeeper hub (generic)", pods);
            InformerKey key = InformerKey.of(InsightScope.PODS, null, Selector.EVERYTHING, FieldSelector.EVERYTHING);
            SharedInformer si = hub.assign("bench", Map.of(key, InsightScope.PODS), (c, k) -> {
            }).get(key);
            awaitTrue(si::synced);
            hubSyncs.add(m, raw);
            if (first) {
                m.heap(si.size(), si.timeline());
                hubReads(si, pods);
                System.out.print("Watchkeeper hub (generic), where the bytes go:\n" + CacheFootprint.profile(si.timeline(), m.poolBefore, 12));
            }
            hub.shutdown();
            hub = null;
            si = null;

            hub = hub(client, false);
            raw = time(rawList);
            m = new Measure("Watchkeeper hub (generic), first list by pages", pods);
            si = hub.assign("bench", Map.of(key, InsightScope.PODS), (c, k) -> {
            }).get(key);
            awaitTrue(si::synced);
            hubPagedSyncs.add(m, raw);
            hub.shutdown();
            hub = null;
            si = null;

            for (boolean streamed : new boolean[] { true, false }) {
                // as the operator runs the pod controller's informer: its client's pods (FirstLists), a list limit, the
                // hub's store for the question; its first list streamed from the watch cache, or by pages of 500
                RequestCounter counter = new RequestCounter();
                FirstLists firstLists = new FirstLists();
                InformerHub typedHub = hub(client, streamed, counter);
                hub = typedHub;
                boolean[] claimed = new boolean[1];
                firstLists.answeredBy(url -> {
                    Optional<Timeline.Source<?>> into = typedHub.claimFirstList(url);
                    claimed[0] |= into.isPresent();
                    return into;
                });
                KubernetesClient operatorLike = new KubernetesClientBuilder().withConfig(client.getConfiguration())
                        .withKubernetesSerialization(CacheTransform.serialization(new com.fasterxml.jackson.databind.ObjectMapper()))
                        .withHttpClientBuilderConsumer(b -> b.addOrReplaceInterceptor(RequestCounter.NAME, counter)).build();
                FirstLists.install(operatorLike, firstLists);
                SharedIndexInformer<Pod> typed = operatorLike.resources(Pod.class).inAnyNamespace().withLimit(500L).runnableInformer(0);
                raw = time(rawList);
                m = new Measure(streamed ? "Watchkeeper typed store (insight's)" : "Watchkeeper typed store, first list by pages", pods);
                Timeline.Source<Pod> source = hub.controllerSource("controller/bench", key, InsightScope.PODS, CacheTransform::strip);
                typed.itemStore(source);
                typed.start().toCompletableFuture().get(10, TimeUnit.MINUTES);
                awaitTrue(source::everListed); // told by the informer's WATCH, which follows the list at once
                if (claimed[0] != streamed) {
                    throw new IllegalStateException("The typed store's first list was " + (claimed[0] ? "" : "not ") + "streamed");
                }
                (streamed ? typedSyncs : typedPagedSyncs).add(m, raw);
                if (first && streamed) {
                    m.heap(source.size(), source.timeline());
                    System.out.print("Watchkeeper typed store, where the bytes go:\n"
                            + CacheFootprint.profile(source.timeline(), m.poolBefore, 12));
                }
                typed.stop();
                operatorLike.close();
                hub.shutdown();
                hub = null;
            }
        }
        for (Syncs syncs : List.of(plainSyncs, hubSyncs, hubPagedSyncs, typedSyncs, typedPagedSyncs)) {
            syncs.print();
        }
    }

    /** A hub of informers with a client like {@code client}, as the operator runs it (defaults of its configuration). */
    static InformerHub hub(KubernetesClient client) {
        return hub(client, true);
    }

    /** The same, its first lists read from the watch cache as they arrive (the default) or by pages from etcd. */
    static InformerHub hub(KubernetesClient client, boolean firstFromWatchCache) {
        return hub(client, firstFromWatchCache, new RequestCounter());
    }

    /** The same, its requests and the operator's client's seen by {@code counter} (as the operator's are). */
    static InformerHub hub(KubernetesClient client, boolean firstFromWatchCache, RequestCounter counter) {
        KubernetesClient own = new KubernetesClientBuilder().withConfig(client.getConfiguration())
                .withKubernetesSerialization(CacheTransform.serialization())
                .withHttpClientBuilderConsumer(b -> b.addOrReplaceInterceptor(RequestCounter.NAME, counter.forHubClient())).build(); // the hub closes it
        return new InformerHub(own, new InformerMetrics(new SimpleMeterRegistry()), Clock.systemUTC(), Duration.ofSeconds(5),
                Duration.ofSeconds(30), counter, new Timeline.Budget(4L << 20, Duration.ofMinutes(2)), 500, firstFromWatchCache);
    }

    /**
     * Starts {@code informer} over a hub store, as the insight controller's informer runs (typed, managedFields
     * dropped, compacted), and returns what it publishes once synced.
     */
    static Timeline typedCache(SharedIndexInformer<Pod> informer) throws Exception {
        Timeline timeline = new Timeline(new Timeline.Budget(4L << 20, Duration.ofMinutes(2)), Clock.systemUTC(), (t, p, c) -> {
        });
        Timeline.Source<Pod> source = timeline.newSource(CacheTransform::strip);
        timeline.attach(source);
        informer.itemStore(source);
        // the hub learns of lists from the client's requests; here the informer's first list is the whole story
        source.beginList();
        informer.start().toCompletableFuture().get(10, TimeUnit.MINUTES);
        source.listed(informer.lastSyncResourceVersion());
        return timeline;
    }

    /**
     * Where the bytes go without compaction (JOL, on a sample): a plain informer's pods; the same pods with
     * {@code managedFields} dropped (what Watchkeeper's typed store held before the {@link Compactor}); and as
     * generic objects without {@code managedFields} (what its hub held).
     */
    private static void profileBefore(KubernetesClient client, List<Pod> sample) {
        System.out.print("plain fabric8 informer, where the bytes go:\n" + CacheFootprint.profileOfObjects(sample, 12));
        var json = client.getKubernetesSerialization();
        List<Pod> stripped = sample.stream().map(p -> CacheTransform.strip(json.clone(p))).toList();
        System.out.print("before the Compactor: typed, managedFields dropped:\n" + CacheFootprint.profileOfObjects(stripped, 6));
        List<io.fabric8.kubernetes.api.model.GenericKubernetesResource> generic = sample.stream().map(p -> CacheTransform.strip(
                json.unmarshal(json.asJson(p), io.fabric8.kubernetes.api.model.GenericKubernetesResource.class))).toList();
        System.out.print("before the Compactor: generic, managedFields dropped:\n" + CacheFootprint.profileOfObjects(generic, 6));
    }

    private static void plainReads(SharedIndexInformer<Pod> plain, int pods) {
        var store = plain.getStore();
        String get = perCall(1_000_000, i -> store.getByKey(RealisticPods.namespaceOf("bench", NAMESPACES, i % pods) + "/pod-" + (i % pods)));
        String scan = perCall(50, i -> store.list().stream().filter(p -> ("app-" + (i % Math.max(1, pods / 100))).equals(
                p.getMetadata().getLabels().get("app"))).count());
        System.out.printf("plain fabric8, µs per call, median (min-max) of %d rounds: get by key %s; label list (scan + filter) %s%n", ROUNDS,
                get, scan);
    }

    private static void hubReads(SharedInformer si, int pods) throws InvalidSelectorException {
        String get = perCall(1_000_000, i -> si.get(RealisticPods.namespaceOf("bench", NAMESPACES, i % pods), "pod-" + (i % pods)));
        int sets = Math.max(1, pods / RealisticPods.PODS_PER_REPLICASET);
        List<Selector> selectors = new ArrayList<>();
        for (int s = 0; s < sets; s++) {
            selectors.add(LabelSelectors.parse("app=app-" + s));
        }
        int[] matched = new int[1];
        String label = perCall(20_000, i -> matched[0] = si.list(null, selectors.get(i % sets)).size());
        int[] inNamespace = new int[1];
        String namespace = perCall(2_000, i -> inNamespace[0] = si.list("bench-" + (i % NAMESPACES), Selector.EVERYTHING).size());
        Selector scan = LabelSelectors.parse("app notin (x)");
        String full = perCall(50, i -> si.list(null, scan).size());
        System.out.printf("hub, µs per call, median (min-max) of %d rounds: get by namespace/name %s; label list (index, %d of %d pods) %s; "
                + "namespace list (index, %d pods) %s; selector no index can serve (scan) %s%n", ROUNDS, get, matched[0], pods, label,
                inNamespace[0], namespace, full);
    }

    /** Rounds of read measurements: each the mean time per call over {@code calls} calls. */
    private static final int ROUNDS = 5;

    /** The time per call of {@code call} in µs, median (min-max) over {@link #ROUNDS} rounds after a warm-up round. */
    private static String perCall(int calls, java.util.function.IntFunction<Object> call) {
        Object sink = null;
        List<Double> rounds = new ArrayList<>();
        for (int r = 0; r <= ROUNDS; r++) {
            long t = System.nanoTime();
            for (int i = 0; i < calls; i++) {
                sink = call.apply(i);
            }
            if (r > 0) {
                rounds.add((System.nanoTime() - t) / 1e3 / calls);
            }
        }
        if (sink == ScaleBenchmark.class) {
            System.out.println(); // keeps the calls from being optimised away
        }
        Collections.sort(rounds);
        return String.format("%.3f (%.3f-%.3f)", rounds.get(rounds.size() / 2), rounds.get(0), rounds.get(rounds.size() - 1));
    }

    /**
     * One cache's syncs: the time to synced; the same over a full LIST from the watch cache taken just before it (the
     * API server's own time moves by 2x from one LIST to the next, so the ratio is taken pair by pair); and the old
     * generation's peak during the sync. The ratio is also printed with its median's 95% interval ({@link PairedRatios}).
     */
    private static final class Syncs {
        private final String what;
        private final Stats time;
        private final Stats ratio;
        private final PairedRatios pairs = new PairedRatios();
        private final Stats peak;

        Syncs(String what) {
            this.what = what;
            time = new Stats(what + ": time to synced");
            ratio = new Stats(what + ": time to synced over the full LIST from the watch cache just before");
            peak = new Stats(what + ": old generation peak during sync, above the heap before");
        }

        /** @param rawList how long the full LIST just before took, in ns */
        void add(Measure m, long rawList) {
            long t = m.synced();
            time.add(t);
            ratio.add(t * 1000 / rawList);
            pairs.add(t, rawList);
            peak.add(m.oldGenerationPeak());
        }

        void print() {
            time.print("s", 1e-9);
            ratio.print("x", 1e-3);
            System.out.printf("%s: the same ratios, their median with its 95%% interval (PairedRatios): %s%n", what, pairs.describe());
            peak.print("MB", 1e-6);
        }
    }

    /** Heap and RSS before a cache fills, and the time it takes. */
    private static final class Measure {
        private final String what;
        private final int pods;
        private final long heapBefore;
        private final long rssBefore;
        private final long poolBefore;
        private final long start;

        Measure(String what, int pods) throws InterruptedException {
            this.what = what;
            this.pods = pods;
            this.heapBefore = usedHeap();
            this.rssBefore = rss();
            this.poolBefore = CacheFootprint.poolBaseline();
            java.lang.management.ManagementFactory.getMemoryPoolMXBeans().forEach(java.lang.management.MemoryPoolMXBean::resetPeakUsage);
            this.start = System.nanoTime();
        }

        long synced() {
            return System.nanoTime() - start;
        }

        /**
         * The most the old generation held since this measure began, above what it held after the GC before: what a
         * sync kept alive long enough to be promoted (a list held whole, its bytes, the cache), not its short-lived parsing.
         */
        long oldGenerationPeak() {
            long peak = 0;
            for (var pool : java.lang.management.ManagementFactory.getMemoryPoolMXBeans()) {
                if (pool.getType() == java.lang.management.MemoryType.HEAP && pool.getName().contains("Old")) {
                    peak += pool.getPeakUsage().getUsed();
                }
            }
            return peak - heapBefore;
        }

        void heap(int items, Timeline exact) throws InterruptedException {
            long heap = usedHeap() - heapBefore;
            System.out.printf("%s: %.1f KB heap per pod by GC (%d items)%s; RSS %d MB -> %d MB%n", what, heap / 1024.0 / pods, items,
                    exact == null ? "" : String.format(", %.2f KB exact (JOL: objects, indexes, shared parts)",
                            CacheFootprint.of(exact, poolBefore) / 1024.0 / items),
                    rssBefore >> 20, rss() >> 20);
        }
    }

    private static void awaitTrue(Supplier<Boolean> condition) {
        org.awaitility.Awaitility.await("synced").atMost(10, TimeUnit.MINUTES).pollInterval(5, TimeUnit.MILLISECONDS).until(condition::get);
    }

    static long time(ThrowingRunnable r) throws Exception {
        long t = System.nanoTime();
        r.run();
        return System.nanoTime() - t;
    }

    interface ThrowingRunnable {
        void run() throws Exception;
    }

    /**
     * Where a streamed first list's time goes on the client's side, without the API server: the bytes of one full
     * LIST from the watch cache, read from memory by {@link StreamedList} into nothing (parsing alone), and into a
     * fresh hub store (parsing, then the cache's transform, compaction, indexes and the garbage collections that copy
     * what it keeps), each after a full GC.
     */
    private static void clientSide(HttpClient http, ControlPlane cp, int repeats) throws Exception {
        byte[] body = http.send(HttpRequest.newBuilder(URI.create(cp.url() + "/api/v1/pods?resourceVersion=0"))
                .header("Authorization", "Bearer " + ControlPlane.ADMIN.token()).build(), HttpResponse.BodyHandlers.ofByteArray()).body();
        Stats parse = new Stats("client side of a streamed list, from memory: parsing alone");
        Stats cache = new Stats("client side of a streamed list, from memory: parsing and caching (the hub's store)");
        Stats typedParse = new Stats("client side of a streamed list, from memory: typed pods, parsing alone");
        Stats typedCache = new Stats("client side of a streamed list, from memory: typed pods, parsing and caching (a controller's store)");
        StreamedList.ItemReader<Pod> typed = CacheTransform.reader(Pod.class)::readValue;
        for (int r = 0; r <= repeats; r++) { // a first round to warm the JIT up, not counted
            usedHeap();
            long tt = time(() -> StreamedList.parse(new java.io.ByteArrayInputStream(body), typed, o -> o));
            Timeline pods = new Timeline(new Timeline.Budget(4L << 20, Duration.ofMinutes(2)), Clock.systemUTC(), (type, p, c) -> {
            });
            Timeline.Source<Pod> podSource = pods.newSource(CacheTransform::strip);
            pods.attach(podSource);
            podSource.beginList();
            usedHeap();
            long tu = time(() -> StreamedList.parse(new java.io.ByteArrayInputStream(body), typed, podSource::prepare).items()
                    .forEach(p -> podSource.put(podSource.getKey(p), p))); // as fabric8's reflector puts them
            if (r > 0) {
                typedParse.add(tt);
                typedCache.add(tu);
            }
            usedHeap();
            long t = time(() -> StreamedList.parse(new java.io.ByteArrayInputStream(body), true, o -> o));
            Timeline timeline = new Timeline(new Timeline.Budget(4L << 20, Duration.ofMinutes(2)), Clock.systemUTC(), (type, p, c) -> {
            });
            Timeline.Source<io.fabric8.kubernetes.api.model.GenericKubernetesResource> source = timeline.newSource(o -> CacheTransform.apply(o,
                    false));
            timeline.attach(source);
            source.beginList();
            usedHeap();
            long u = time(() -> StreamedList.parse(new java.io.ByteArrayInputStream(body), true, source::cache));
            if (r > 0) {
                parse.add(t);
                cache.add(u);
            }
        }
        parse.print("ms", 1e-6);
        cache.print("ms", 1e-6);
        typedParse.print("ms", 1e-6);
        typedCache.print("ms", 1e-6);
    }

    static long get(HttpClient http, ControlPlane cp, String path) throws Exception {
        HttpResponse<byte[]> r = http.send(HttpRequest.newBuilder(URI.create(cp.url() + path))
                .header("Authorization", "Bearer " + ControlPlane.ADMIN.token()).build(), HttpResponse.BodyHandlers.ofByteArray());
        if (r.statusCode() != 200) {
            throw new IllegalStateException(path + ": HTTP " + r.statusCode());
        }
        return r.body().length;
    }

    static long usedHeap() {
        return io.watchkeeper.testing.Heap.usedAfterGc();
    }

    /** This process's resident set, from /proc/self/status. */
    private static long rss() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.replaceAll("\\D", "")) * 1024;
                }
            }
        } catch (java.io.IOException e) {
            return -1;
        }
        return -1;
    }

    /** Median, min and max of repeated measurements. */
    static final class Stats {
        private final String what;
        private final List<Long> values = new ArrayList<>();

        Stats(String what) {
            this.what = what;
        }

        void add(long value) {
            values.add(value);
        }

        void print(String unit, double scale) {
            List<Long> sorted = new ArrayList<>(values);
            Collections.sort(sorted);
            // p90 by nearest rank
            String p90 = sorted.size() >= 20 ? String.format(", p90 %.2f", sorted.get((sorted.size() * 9 + 9) / 10 - 1) * scale) : "";
            System.out.printf("%s: median %.2f %s, min %.2f%s, max %.2f (%d runs)%n", what, sorted.get(sorted.size() / 2) * scale, unit,
                    sorted.get(0) * scale, p90, sorted.get(sorted.size() - 1) * scale, sorted.size());
        }
    }
}
