package io.watchkeeper.stream;

import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

import org.HdrHistogram.Histogram;

import com.fasterxml.jackson.databind.ObjectMapper;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.impl.cache.CacheImpl;
import io.fabric8.kubernetes.client.informers.impl.cache.ProcessorStore;
import io.fabric8.kubernetes.client.informers.impl.cache.SharedProcessor;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.watchkeeper.informer.FakeInformers;
import io.watchkeeper.informer.SharedInformer;
import io.watchkeeper.informer.Timeline;
import io.watchkeeper.testing.PairedRatios;
import io.watchkeeper.testing.PooledLatencies;
import io.watchkeeper.watch.WatchRegistry.Kind;

/**
 * Issue 12's fan-out figures, in one run and side by side: one informer's changes delivered to many consumers, by
 * Watchkeeper's stream and by fabric8's own event handlers, with and without one consumer that does not keep up.
 * <p>
 * One writer thread plays the informer's: it puts MODIFIED config maps (round robin over {@link #OBJECTS} objects of
 * one namespace, each with a {@code payload} data value) on a fixed schedule, {@code rate} a second for
 * {@code seconds} (in a burst when it is behind), noting when it put each one; an event's resourceVersion says which
 * put it was. Each run is built afresh:
 * <ul>
 * <li><b>Watchkeeper</b>: a {@link SharedInformer} with nothing behind it ({@link FakeInformers}), the writer putting
 * into its {@link Timeline.Source}, with a replay buffer of the production default (4 MiB); {@code consumers} real
 * {@link StreamClient}s, each with its real queue bounded at the production default (32 MiB) and one real
 * {@link StreamSubscription} following the informer from a SNAPSHOT (cut off, as in production, once its connection has
 * taken nothing for a second with more than the replay buffer's worth of its changes unread); their pumps on a fixed pool of 2 threads and their
 * restarts on another, as {@link StreamService} runs them. Each client's {@link StreamClient.Transport} is a peer that
 * reads at full speed: it notes when it was handed each change and completes the send at once. In the stalled run,
 * consumer 0's sends never complete from the first change on (a peer that stopped reading).</li>
 * <li><b>fabric8</b>: fabric8 7.5.2's own {@link ProcessorStore}, {@link CacheImpl} and {@link SharedProcessor},
 * wired as a {@code DefaultSharedIndexInformer} wires them, on a cached thread pool (fabric8's default client
 * executor), with {@code consumers} {@link ResourceEventHandler}s noting when they got each update. In the slow run,
 * handler 0 (called first) sleeps 50 ms per event, issue 12's figure.</li>
 * <li><b>Watchkeeper at the writer's max rate</b>: as the first, the writer putting as fast as it can.</li>
 * </ul>
 * Latency is from the writer's put to the consumer's receipt; for scheduled runs also from the moment the schedule
 * offered the event (what an event waiting for a writer that fell behind would see). After the last put a run waits up
 * to {@link #DRAIN_NANOS} for every fast consumer to have every event; an event a consumer still lacks then is counted
 * at its age at that moment, less than its latency, and every figure it enters is printed as a lower bound ("≥").
 * Every fast consumer is checked to get every event once and in order. CPU time is measured per run (the writer's
 * thread, the delivery threads, the process) with GC pauses and the load average, since the machine may be shared.
 * Each round runs Watchkeeper without a stalled consumer, with one, and without one again: the two runs without say
 * how far two runs differ by themselves, against which the stalled run's difference is read.
 * A warm-up round runs first and is not counted; every figure is printed as median (of an even number of rounds, the
 * mean of the middle two), min and max over the rounds. Not a test: see BENCHMARKS.md.
 * <p>
 * Whether a stalled consumer moves the others' p99 by less than 10% is read from the rounds two ways. As pairs: each
 * round's stalled run over the geometric mean of its two runs without ({@link PairedRatios}: the median over the rounds
 * and its 95% interval). Pooled: every latency of the stalled runs against every latency of the runs without
 * ({@link PooledLatencies}, with a bootstrap interval that resamples rounds). Beside both, the same for the second run
 * without over the first: a rough guide to how far runs differ by themselves (one run over one, where the stalled
 * ratio is over two, so somewhat wider).
 * <p>
 * Arguments: events per second offered (5000), seconds of writing per run (10), rounds (3), consumers (100),
 * optionally payload bytes per object (1024), and optionally {@code stall} to run only Watchkeeper's three runs in each
 * round (without, with one stalled consumer, without again), so that more rounds fit in the same time.
 */
public final class FanOutBenchmark {

    /** {@code watchkeeper.stream.client-queue-size}'s default, {@code 32M} (a Quarkus MemorySize: MiB). */
    static final long CLIENT_QUEUE_BYTES = 32L << 20;
    /** {@code watchkeeper.stream.replay-buffer-size}'s default, {@code 4M}. */
    static final long REPLAY_BUFFER_BYTES = 4L << 20;
    /** StreamService's sender and work pools: {@code Executors.newFixedThreadPool(2)} each. */
    static final int SENDER_THREADS = 2;
    static final int WORK_THREADS = 2;

    static final String NAMESPACE = "bench";
    static final int OBJECTS = 1_000;
    /** The writer's event i is at resourceVersion {@code BASE + i}; the initial list is at 1..OBJECTS. */
    static final long BASE = 1_000_000;
    static final long SLOW_HANDLER_MILLIS = 50;
    /** How long a run waits after the writer's last put for every fast consumer to have every event. */
    static final long DRAIN_NANOS = TimeUnit.SECONDS.toNanos(5);
    /** Room for the max-rate writer's put times, per second of writing. */
    static final int MAX_RATE_CAP = 100_000;

    private static final String[] NAMES = new String[OBJECTS];
    private static final String[] KEYS = new String[OBJECTS];
    private static final String[] UIDS = new String[OBJECTS];

    static {
        for (int o = 0; o < OBJECTS; o++) {
            NAMES[o] = String.format("cm-%04d", o);
            KEYS[o] = NAMESPACE + "/" + NAMES[o];
            UIDS[o] = String.format("00000000-0000-0000-0000-%012d", o);
        }
    }

    public static void main(String[] args) {
        try {
            run(args);
        } catch (Exception | Error e) {
            e.printStackTrace();
            System.exit(1);
        }
        System.exit(0); // pools and timers must not keep a finished run alive
    }

    private static void run(String[] args) throws Exception {
        int rate = args.length > 0 ? Integer.parseInt(args[0]) : 5_000;
        int seconds = args.length > 1 ? Integer.parseInt(args[1]) : 10;
        int rounds = args.length > 2 ? Integer.parseInt(args[2]) : 3;
        int consumers = args.length > 3 ? Integer.parseInt(args[3]) : 100;
        int payloadBytes = args.length > 4 ? Integer.parseInt(args[4]) : 1024;
        boolean stallOnly = args.length > 5 && args[5].equals("stall");
        if (rate <= 0 || seconds <= 0 || rounds <= 0 || consumers < 2 || payloadBytes < 0 || args.length > 5 && !stallOnly || args.length > 6) {
            throw new IllegalArgumentException("args: rate>0 seconds>0 rounds>0 consumers>=2 [payload bytes>=0 [stall]]");
        }
        String payload = payload(payloadBytes);
        int objectJson = Timeline.json(object(0, BASE, payload)).length();
        System.out.printf("FanOutBenchmark: %d consumers of one informer over %,d config maps (an event is a MODIFIED of the next one), "
                + "%,d events/s offered for %d s per run, %d rounds after a warm-up round; an object is %,d bytes of JSON "
                + "(payload %,d); Watchkeeper: client queue %d MiB, replay buffer %d MiB, %d sender threads; fabric8 7.5.2 "
                + "SharedProcessor on a cached pool; a run waits at most %d s after its last put%n", consumers, OBJECTS, rate, seconds,
                rounds, objectJson, payloadBytes, CLIENT_QUEUE_BYTES >> 20, REPLAY_BUFFER_BYTES >> 20, SENDER_THREADS,
                DRAIN_NANOS / 1_000_000_000L);
        System.out.printf("%d CPUs, max heap %d MB, %s %s, GC %s%n", Runtime.getRuntime().availableProcessors(),
                Runtime.getRuntime().maxMemory() >> 20, System.getProperty("java.vm.name"), System.getProperty("java.vm.version"),
                ManagementFactory.getGarbageCollectorMXBeans().stream().map(GarbageCollectorMXBean::getName).toList());

        Figures figures = new Figures();
        String wk = String.format("Watchkeeper stream, %d consumers, %,d/s", consumers, rate);
        String wkStall = String.format("Watchkeeper stream, %d consumers (1 stalled), %,d/s", consumers, rate);
        String f8 = String.format("fabric8 handlers, %d consumers, %,d/s", consumers, rate);
        String f8Slow = String.format("fabric8 handlers, %d consumers (1 sleeps %d ms/event), %,d/s", consumers, SLOW_HANDLER_MILLIS, rate);
        String wkMax = String.format("Watchkeeper stream, %d consumers, writer at max rate", consumers);
        String wkAgain = wk + ", again after the stalled run";
        PairedRatios stallP99 = new PairedRatios();
        PairedRatios stallP50 = new PairedRatios();
        PairedRatios againP99 = new PairedRatios();
        PooledLatencies stallPooled = new PooledLatencies();
        PooledLatencies againPooled = new PooledLatencies();
        int unpaired = 0; // rounds left out of both statistics
        int stalledLowerBound = 0; // of those, rounds whose stalled run's p99 is only a lower bound
        int stalledCutOthers = 0; // rounds whose stalled run cut off fast consumers (its p99 is over the rest)
        for (int r = 0; r <= rounds; r++) {
            boolean counted = r > 0;
            System.out.printf("%n-- round %d of %d%s%n", r, rounds, counted ? "" : " (warm-up, not counted)");

            Result base = watchkeeper(wk, rate, seconds, consumers, -1, payload);
            Result stalled = watchkeeper(wkStall, rate, seconds, consumers, 0, payload);
            // the same run as the first, after the stalled one: how far two runs without a stalled consumer differ
            Result again = watchkeeper(wkAgain, rate, seconds, consumers, -1, payload);
            System.out.printf("this round's ratios, the other consumers' latency with the stalled one over without: p50 %s, p99 %s, "
                    + "p99 from the schedule %s (the second run without over the first: p99 %s)%n",
                    ratioText(stalled, base, Result::p50), ratioText(stalled, base, Result::p99), ratioText(stalled, base, Result::sp99),
                    ratioText(again, base, Result::p99));
            if (counted) {
                for (Result res : List.of(base, stalled, again)) {
                    res.addTo(figures);
                }
                if (stalled.cutOff > 0) {
                    stalledCutOthers++;
                }
                if (List.of(base, stalled, again).stream().anyMatch(x -> x.lowerBound() || x.latencies == 0)) {
                    unpaired++; // a p99 that is only a lower bound, or none at all, gives no ratio
                    if (stalled.lowerBound()) {
                        stalledLowerBound++;
                    }
                } else {
                    stallP99.add(stalled.p99, Math.sqrt(base.p99 * again.p99));
                    stallP50.add(stalled.p50, Math.sqrt(base.p50 * again.p50));
                    againP99.add(again.p99, base.p99);
                    stallPooled.addRound(stalled.histogram, base.histogram, again.histogram);
                    againPooled.addRound(again.histogram, base.histogram);
                }
                ratio(figures, wkStall + ": the others' p50 over p50 without a stalled consumer", stalled, base, Result::p50);
                ratio(figures, wkStall + ": the others' p99 over p99 without a stalled consumer", stalled, base, Result::p99);
                ratio(figures, wkStall + ": the others' p99 from the schedule over the same without a stalled consumer", stalled, base, Result::sp99);
                ratio(figures, wkStall + ": the others' p99 over p99 of the run without after it", stalled, again, Result::p99);
                ratio(figures, wkAgain + ": p99 over p99 of the first run without (two runs without a stalled consumer)", again, base, Result::p99);
                figures.count(wkStall + ": stalled consumer cut off within the run", stalled.stalledCutOffAt >= 0);
                if (stalled.stalledCutOffAt >= 0) {
                    figures.add(wkStall + ": stalled consumer cut off, after the stall began", "s",
                            (stalled.stalledCutOffAt - stalled.firstPut) / 1e9, false);
                    figures.add(wkStall + ": stalled consumer cut off, at event", "", stalled.stalledCutOffEvents, false);
                }
            }
            if (stallOnly) {
                continue;
            }
            Result plain = fabric8(f8, rate, seconds, consumers, -1, payload);
            Result slow = fabric8(f8Slow, rate, seconds, consumers, 0, payload);
            Result max = watchkeeper(wkMax, 0, seconds, consumers, -1, payload);
            System.out.printf("this round's ratios, fabric8's other handlers' latency with the slow one over without: p50 %s, p99 %s, "
                    + "p99 from the schedule %s%n",
                    ratioText(slow, plain, Result::p50), ratioText(slow, plain, Result::p99), ratioText(slow, plain, Result::sp99));
            if (!counted) {
                continue;
            }
            for (Result res : List.of(plain, slow, max)) {
                res.addTo(figures);
            }
            ratio(figures, f8Slow + ": the others' p50 over p50 without a slow handler", slow, plain, Result::p50);
            ratio(figures, f8Slow + ": the others' p99 over p99 without a slow handler", slow, plain, Result::p99);
            ratio(figures, f8Slow + ": the others' p99 from the schedule over the same without a slow handler", slow, plain, Result::sp99);
        }
        System.out.printf("%n== %d rounds (the warm-up round not counted): median, min, max%n", rounds);
        figures.print();
        System.out.printf("%n== pooled: every latency of the others with a stalled consumer over every latency of the runs without, "
                + "with a bootstrap interval that resamples rounds%n");
        System.out.printf("the others with a stalled consumer: %s; %s%n", stallPooled.describe(99), stallPooled.describe(50));
        System.out.printf("no effect at all, the second runs without over the first: %s%n", againPooled.describe(99));
        System.out.printf("%n== paired, round by round: each stalled run over the geometric mean of its round's two runs without%n");
        System.out.printf("the others' p99 with a stalled consumer: %s%n", stallP99.describe());
        System.out.printf("the others' p50 with a stalled consumer: %s%n", stallP50.describe());
        System.out.printf("no effect at all, the second run without over the first, p99: %s%n", againP99.describe());
        System.out.printf("rounds left out of both (a run with events not delivered, whose p99 is only a lower bound, or with no "
                + "latencies): %d, %d of them with the stalled run's p99 a lower bound (these would count against the goal); rounds whose "
                + "stalled run cut off fast consumers: %d%n", unpaired, stalledLowerBound, stalledCutOthers);
    }

    // --- Watchkeeper ------------------------------------------------------------------------------------------------

    /**
     * One Watchkeeper run: {@code consumers} stream clients of one shared informer; {@code stalled} is the index of the
     * one whose peer stops reading at the first change (-1: none); {@code rate} 0 writes as fast as the writer can.
     */
    private static Result watchkeeper(String what, int rate, int seconds, int consumers, int stalled, String payload) throws Exception {
        SharedInformer si = FakeInformers.informer(NAMESPACE, (int) (REPLAY_BUFFER_BYTES / FakeInformers.budget(1).bytes()));
        Timeline.Source<HasMetadata> source = FakeInformers.newBackend(si);
        source.beginList();
        for (int o = 0; o < OBJECTS; o++) {
            source.put(KEYS[o], object(o, o + 1, payload));
        }
        source.listed(String.valueOf(OBJECTS));

        Threads threads = new Threads();
        ExecutorService senders = Executors.newFixedThreadPool(SENDER_THREADS, threads.factory("fanout-stream-send-"));
        ExecutorService work = Executors.newFixedThreadPool(WORK_THREADS, threads.factory("fanout-stream-work-"));
        StreamMetrics metrics = new StreamMetrics(new SimpleMeterRegistry());
        ObjectMapper json = new ObjectMapper();
        long[] putNanos = new long[capacity(rate, seconds)];
        List<Peer> peers = new ArrayList<>();
        List<StreamClient> clients = new ArrayList<>();
        for (int c = 0; c < consumers; c++) {
            Peer peer = new Peer(new Recorder(putNanos));
            StreamClient client = new StreamClient("c" + c, peer, json, senders, CLIENT_QUEUE_BYTES, metrics);
            StreamSubscription s = new StreamSubscription("s", client, Kind.ResourceWatch, NAMESPACE, "fanout", List.of(si.key()), List.of(si),
                    work, gone -> {
                    });
            client.subscriptions.put("s", s);
            peers.add(peer);
            clients.add(client);
            s.start(null);
        }
        org.awaitility.Awaitility.await(what + ": the snapshots delivered").atMost(2, TimeUnit.MINUTES)
                .pollInterval(10, TimeUnit.MILLISECONDS).until(() -> peers.stream().allMatch(p -> p.snapshot));
        settle();
        if (stalled >= 0) {
            peers.get(stalled).stalled = true;
        }
        List<Recorder> fast = new ArrayList<>();
        for (int c = 0; c < consumers; c++) {
            if (c != stalled) {
                fast.add(peers.get(c).recorder);
            }
        }

        Usage usage = Usage.start(threads);
        Writer w = write(putNanos, rate, seconds, payload, (key, o) -> source.put(key, o));
        long end = drain(w, fast);
        usage.stop(w);
        long stalledQueued = stalled >= 0 ? clients.get(stalled).queuedBytes() : 0;
        boolean stalledClosed = stalled >= 0 && clients.get(stalled).closed();

        clients.forEach(StreamClient::close);
        senders.shutdownNow();
        work.shutdownNow();
        senders.awaitTermination(30, TimeUnit.SECONDS);
        work.awaitTermination(30, TimeUnit.SECONDS);
        si.timeline().close();

        Result res = new Result(what, w, fast, end, usage, "stream pools");
        Map<String, Integer> reasons = new java.util.TreeMap<>();
        for (int c = 0; c < consumers; c++) {
            if (c != stalled && peers.get(c).error != null) {
                reasons.merge(reason(peers.get(c).error).replaceFirst(" \\(.*", ""), 1, Integer::sum);
            }
        }
        if (!reasons.isEmpty()) {
            res.cutOffNote = "fast consumers cut off, by reason: " + reasons;
        }
        if (stalled >= 0) {
            Recorder r = peers.get(stalled).recorder;
            res.stalledCutOffAt = r.cutOffAt;
            if (r.cutOffAt >= 0) {
                int events = 0;
                while (events < w.puts && putNanos[events] <= r.cutOffAt) {
                    events++;
                }
                res.stalledCutOffEvents = events;
                res.stalledNote = String.format("stalled consumer cut off %.2f s after the stall began, at event %,d of %,d (\"%s\"); "
                        + "its client closed: %s", (r.cutOffAt - w.firstPut) / 1e9, events, w.puts, reason(peers.get(stalled).error),
                        stalledClosed);
            } else {
                res.stalledNote = String.format("stalled consumer not cut off within the run: %.1f MiB queued of %d MiB allowed at its end",
                        stalledQueued / 1048576.0, CLIENT_QUEUE_BYTES >> 20);
            }
        }
        res.print();
        return res;
    }

    private static String reason(String error) {
        if (error == null) {
            return "no ERROR message";
        }
        int at = error.indexOf("\"message\":\"");
        return at < 0 ? error : error.substring(at + 11, Math.max(at + 11, error.indexOf('"', at + 11)));
    }

    /**
     * A peer that reads at full speed: every send completes at once. It notes when it was handed each change; once
     * {@link #stalled}, no send of a change completes any more (the connection's buffer never drains).
     */
    private static final class Peer implements StreamClient.Transport {
        private static final CompletableFuture<Void> SENT = CompletableFuture.completedFuture(null);
        final Recorder recorder;
        volatile boolean snapshot;
        volatile boolean stalled;
        volatile String error;

        Peer(Recorder recorder) {
            this.recorder = recorder;
        }

        @Override
        public CompletionStage<Void> send(String text) {
            long now = System.nanoTime();
            if (text.startsWith("{\"type\":\"SNAPSHOT\"")) {
                snapshot = true;
                return SENT;
            }
            if (text.startsWith("{\"type\":\"ERROR\"")) { // the client is cut off: told why, then closed
                error = text;
                recorder.cutOffAt = now;
                return stalled ? new CompletableFuture<>() : SENT;
            }
            if (stalled) {
                return new CompletableFuture<>(); // never completes: a peer that stopped reading
            }
            if (text.startsWith("{\"type\":\"MODIFIED\"")) {
                recorder.add(objectResourceVersion(text) - BASE, now);
            } else {
                recorder.anomalies++; // nothing else is expected while the writer runs
            }
            return SENT;
        }

        @Override
        public void close(int code, String reason) {
        }
    }

    private static final String RESOURCE_VERSION = "\"resourceVersion\":\"";

    /** The resourceVersion of a change message's object (not the message's resume position), read without parsing. */
    static long objectResourceVersion(String text) {
        int at = text.indexOf("\"metadata\":", text.indexOf("\"object\":"));
        at = text.indexOf(RESOURCE_VERSION, at) + RESOURCE_VERSION.length();
        long v = 0;
        for (char ch; (ch = text.charAt(at)) != '"'; at++) {
            v = v * 10 + (ch - '0');
        }
        return v;
    }

    // --- fabric8 ----------------------------------------------------------------------------------------------------

    /**
     * One fabric8 run: fabric8's own processor store, cache and shared processor, as a DefaultSharedIndexInformer wires
     * them, with {@code consumers} handlers; {@code slow} is the index of the one that sleeps 50 ms per event (-1: none).
     */
    private static Result fabric8(String what, int rate, int seconds, int consumers, int slow, String payload) throws Exception {
        Threads threads = new Threads();
        ExecutorService pool = Executors.newCachedThreadPool(threads.factory("fanout-fabric8-")); // BaseClient.DEFAULT_EXECUTOR_SUPPLIER
        CacheImpl<ConfigMap> cache = new CacheImpl<>();
        SharedProcessor<ConfigMap> processor = new SharedProcessor<>(pool, "configmaps in " + NAMESPACE);
        ProcessorStore<ConfigMap> store = new ProcessorStore<>(cache, processor);
        List<ConfigMap> initial = new ArrayList<>();
        Set<String> keys = new HashSet<>();
        for (int o = 0; o < OBJECTS; o++) {
            initial.add(object(o, o + 1, payload));
            keys.add(KEYS[o]);
        }
        store.update(initial); // the initial list, then its end, as the Reflector tells them
        store.retainAll(keys, null);

        long[] putNanos = new long[capacity(rate, seconds)];
        List<Recorder> fast = new ArrayList<>();
        for (int c = 0; c < consumers; c++) {
            Handler h = new Handler(new Recorder(putNanos), c == slow);
            processor.addProcessorListener(h, 0, cache::list); // as DefaultSharedIndexInformer.addEventHandler: the cache's objects first
            if (c != slow) {
                fast.add(h.recorder);
            }
        }
        settle();

        Usage usage = Usage.start(threads);
        Writer w = write(putNanos, rate, seconds, payload, (key, o) -> store.update(o)); // as the Reflector does for MODIFIED
        long end = drain(w, fast);
        usage.stop(w);
        processor.stop();
        pool.shutdownNow();
        pool.awaitTermination(30, TimeUnit.SECONDS);

        Result res = new Result(what, w, fast, end, usage, "fabric8 pool");
        res.print();
        return res;
    }

    private static final class Handler implements ResourceEventHandler<ConfigMap> {
        final Recorder recorder;
        final boolean slow;

        Handler(Recorder recorder, boolean slow) {
            this.recorder = recorder;
            this.slow = slow;
        }

        @Override
        public void onAdd(ConfigMap obj) {
            // the initial objects, before the run
        }

        @Override
        public void onUpdate(ConfigMap oldObj, ConfigMap newObj) {
            long now = System.nanoTime();
            if (slow) {
                try {
                    Thread.sleep(SLOW_HANDLER_MILLIS); // the subject: a handler that takes 50 ms an event, not a wait for anything
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt(); // the processor is stopping
                }
                return;
            }
            recorder.add(Long.parseLong(newObj.getMetadata().getResourceVersion()) - BASE, now);
        }

        @Override
        public void onDelete(ConfigMap obj, boolean deletedFinalStateUnknown) {
            recorder.anomalies++;
        }
    }

    // --- the writer, the consumers' records, the resources used -----------------------------------------------------

    private interface Sink {
        void put(String key, ConfigMap object);
    }

    /** What the writer did: how many events it put, when, and how far behind its schedule it ever was. */
    private static final class Writer {
        final long[] putNanos;
        final int rate;
        long t0;
        int puts;
        long firstPut;
        long lastPut;
        long maxBehind;
        long cpuNanos;
        boolean capped;

        Writer(long[] putNanos, int rate) {
            this.putNanos = putNanos;
            this.rate = rate;
        }

        /** When the schedule offered event {@code i}. */
        long scheduled(int i) {
            return t0 + (long) (i * 1e9 / rate);
        }
    }

    private static int capacity(int rate, int seconds) {
        long n = rate > 0 ? (long) rate * seconds : (long) MAX_RATE_CAP * seconds;
        if (n > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("rate x seconds too large");
        }
        return (int) n;
    }

    /**
     * Runs the writer on its own thread: event i at {@code t0 + i / rate} (in a burst when behind), or, when
     * {@code rate} is 0, as fast as it can for {@code seconds}. Each put time is taken just before the put.
     */
    private static Writer write(long[] putNanos, int rate, int seconds, String payload, Sink sink) throws InterruptedException {
        Writer w = new Writer(putNanos, rate);
        Throwable[] failed = new Throwable[1];
        Thread thread = new Thread(() -> {
            try {
                long cpu = ManagementFactory.getThreadMXBean().getCurrentThreadCpuTime();
                w.t0 = System.nanoTime();
                long stop = w.t0 + TimeUnit.SECONDS.toNanos(seconds);
                int i = 0;
                while (i < putNanos.length) {
                    long now = System.nanoTime();
                    if (rate > 0) {
                        long due = w.scheduled(i);
                        if (now < due) {
                            LockSupport.parkNanos(due - now);
                            continue;
                        }
                    } else if (now >= stop) {
                        break;
                    }
                    ConfigMap o = object(i % OBJECTS, BASE + i, payload);
                    long at = System.nanoTime();
                    putNanos[i] = at;
                    sink.put(KEYS[i % OBJECTS], o);
                    if (rate > 0) {
                        w.maxBehind = Math.max(w.maxBehind, at - w.scheduled(i));
                    }
                    i++;
                }
                w.puts = i;
                w.capped = rate == 0 && i == putNanos.length;
                w.firstPut = putNanos[0];
                w.lastPut = putNanos[i - 1];
                w.cpuNanos = ManagementFactory.getThreadMXBean().getCurrentThreadCpuTime() - cpu;
            } catch (Throwable t) {
                failed[0] = t;
            }
        }, "fanout-writer");
        thread.start();
        thread.join();
        if (failed[0] != null) {
            throw new IllegalStateException("the writer failed", failed[0]);
        }
        return w;
    }

    /**
     * Waits until every fast consumer that was not cut off has every event, or {@link #DRAIN_NANOS} after the last put;
     * returns when it stopped waiting.
     */
    private static long drain(Writer w, List<Recorder> fast) {
        long deadline = w.lastPut + DRAIN_NANOS;
        while (System.nanoTime() < deadline) {
            boolean all = true;
            for (Recorder r : fast) {
                if (r.cutOffAt < 0 && r.count < w.puts) {
                    all = false;
                    break;
                }
            }
            if (all) {
                break;
            }
            LockSupport.parkNanos(1_000_000); // a poll every millisecond: the drain time is known to within that
        }
        return System.nanoTime();
    }

    /**
     * One consumer's record: the latency from put of each event it got, in order of arrival. Written by one thread at a
     * time (a stream client sends one message at a time; fabric8 calls its handlers serially); read once the run is over.
     */
    private static final class Recorder {
        private static final int SHIFT = 16;
        private static final int CHUNK = 1 << SHIFT;
        private final long[] putNanos;
        private long[][] chunks = new long[8][];
        private int n;
        private int expect;
        int anomalies;
        long last;
        volatile int count;
        volatile long cutOffAt = -1;

        Recorder(long[] putNanos) {
            this.putNanos = putNanos;
            chunks[0] = new long[CHUNK];
        }

        void add(long event, long now) {
            if (event < 0 || event >= putNanos.length) {
                anomalies++;
                return;
            }
            int i = (int) event;
            if (i != expect) {
                anomalies++; // missed, repeated or out of order
            }
            expect = i + 1;
            int c = n >>> SHIFT;
            if (c == chunks.length) {
                chunks = Arrays.copyOf(chunks, c * 2);
            }
            if (chunks[c] == null) {
                chunks[c] = new long[CHUNK];
            }
            chunks[c][n & (CHUNK - 1)] = now - putNanos[i];
            n++;
            last = now;
            count = n;
        }

        long get(int k) {
            return chunks[k >>> SHIFT][k & (CHUNK - 1)];
        }
    }

    /** Threads of a run's pools, so that their CPU time can be read. */
    private static final class Threads {
        final List<Thread> all = new CopyOnWriteArrayList<>();

        ThreadFactory factory(String prefix) {
            AtomicInteger n = new AtomicInteger();
            return r -> {
                Thread t = new Thread(r, prefix + n.incrementAndGet());
                t.setDaemon(true);
                all.add(t);
                return t;
            };
        }
    }

    /** CPU and GC over a run's measured part: from the writer's start to the end of the drain wait. */
    private static final class Usage {
        private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();
        private final Threads threads;
        private final Map<Long, Long> before = new HashMap<>();
        private final long wall0 = System.nanoTime();
        private final long process0 = processCpu();
        private final long gc0 = gcMillis();
        final double load = ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
        double wall;
        double process;
        double writer;
        double pools;
        double gc;

        private Usage(Threads threads) {
            this.threads = threads;
            for (Thread t : threads.all) {
                before.put(t.getId(), Math.max(0, THREADS.getThreadCpuTime(t.getId())));
            }
        }

        static Usage start(Threads threads) {
            return new Usage(threads);
        }

        void stop(Writer w) {
            long sum = 0;
            for (Thread t : threads.all) {
                long cpu = THREADS.getThreadCpuTime(t.getId()); // -1 for a thread that ended (a cached pool's, idle 60 s): none here
                if (cpu >= 0) {
                    sum += cpu - before.getOrDefault(t.getId(), 0L);
                }
            }
            wall = (System.nanoTime() - wall0) / 1e9;
            process = (processCpu() - process0) / 1e9;
            writer = w.cpuNanos / 1e9;
            pools = sum / 1e9;
            gc = (gcMillis() - gc0) / 1e3;
        }

        private static long processCpu() {
            return ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os ? os.getProcessCpuTime() : -1;
        }

        private static long gcMillis() {
            return ManagementFactory.getGarbageCollectorMXBeans().stream().mapToLong(GarbageCollectorMXBean::getCollectionTime).sum();
        }
    }

    // --- results ----------------------------------------------------------------------------------------------------

    /** One run's figures. */
    private static final class Result {
        final String what;
        final String poolName;
        final int puts;
        final long firstPut;
        final double writerRate;
        final double maxBehindMs;
        final boolean capped;
        final boolean scheduled;
        final int fastConsumers;
        final int cutOff;
        final long delivered;
        final int minDelivered;
        final long missing;
        final int anomalies;
        final double windowSeconds;
        final double drainMs;
        final long latencies;
        /** From the writer's put to the consumer, ms: p50, p99, max. */
        final double p50;
        final double p99;
        final double max;
        /** From when the schedule offered the event to the consumer, ms (NaN without a schedule). */
        final double sp50;
        final double sp99;
        final double smax;
        /** Every latency from put, for pooling over rounds. */
        final Histogram histogram;
        final Usage usage;
        long stalledCutOffAt = -1;
        int stalledCutOffEvents;
        String stalledNote;
        /** Why fast consumers were cut off, if any were. */
        String cutOffNote;

        Result(String what, Writer w, List<Recorder> fast, long end, Usage usage, String poolName) {
            this.what = what;
            this.poolName = poolName;
            this.usage = usage;
            this.puts = w.puts;
            this.firstPut = w.firstPut;
            this.writerRate = w.puts > 1 ? (w.puts - 1) / ((w.lastPut - w.firstPut) / 1e9) : 0;
            this.maxBehindMs = w.maxBehind / 1e6;
            this.capped = w.capped;
            this.scheduled = w.rate > 0;
            this.fastConsumers = fast.size();
            int cut = 0;
            long sum = 0;
            int min = Integer.MAX_VALUE;
            long miss = 0;
            int odd = 0;
            long lastDelivery = w.lastPut;
            for (Recorder r : fast) {
                sum += r.n;
                odd += r.anomalies;
                if (r.cutOffAt >= 0) {
                    cut++;
                    continue;
                }
                min = Math.min(min, r.n);
                miss += w.puts - r.n;
                lastDelivery = Math.max(lastDelivery, r.last);
            }
            this.cutOff = cut;
            this.delivered = sum;
            this.minDelivered = min == Integer.MAX_VALUE ? 0 : min;
            this.missing = miss;
            this.anomalies = odd;
            long windowEnd = miss > 0 ? end : lastDelivery;
            this.windowSeconds = (windowEnd - w.firstPut) / 1e9;
            this.drainMs = (windowEnd - w.lastPut) / 1e6;

            // every fast consumer that was not cut off: what it got, then what it lacked at the end, at its age then
            long[] fromPut = new long[(fast.size() - cut) * w.puts];
            long[] fromSchedule = scheduled && odd == 0 ? new long[fromPut.length] : null;
            int at = 0;
            for (Recorder r : fast) {
                if (r.cutOffAt >= 0) {
                    continue;
                }
                for (int k = 0; k < w.puts; k++, at++) { // in order (anomalies says otherwise): the k-th it got is event k
                    fromPut[at] = k < r.n ? r.get(k) : end - w.putNanos[k];
                    if (fromSchedule != null) {
                        fromSchedule[at] = fromPut[at] + (w.putNanos[k] - w.scheduled(k));
                    }
                }
            }
            this.latencies = fromPut.length;
            this.histogram = PooledLatencies.histogram(fromPut);
            Arrays.sort(fromPut);
            this.p50 = percentileMs(fromPut, 0.50);
            this.p99 = percentileMs(fromPut, 0.99);
            this.max = percentileMs(fromPut, 1.0);
            if (fromSchedule != null) {
                Arrays.sort(fromSchedule);
            }
            this.sp50 = fromSchedule == null ? Double.NaN : percentileMs(fromSchedule, 0.50);
            this.sp99 = fromSchedule == null ? Double.NaN : percentileMs(fromSchedule, 0.99);
            this.smax = fromSchedule == null ? Double.NaN : percentileMs(fromSchedule, 1.0);
        }

        /** Nearest rank, in ms. */
        private static double percentileMs(long[] sorted, double p) {
            if (sorted.length == 0) {
                return Double.NaN;
            }
            int rank = (int) Math.ceil(p * sorted.length);
            return sorted[Math.max(0, rank - 1)] / 1e6;
        }

        double p50() {
            return p50;
        }

        double p99() {
            return p99;
        }

        double sp99() {
            return sp99;
        }

        boolean lowerBound() {
            return missing > 0;
        }

        double totalRate() {
            return delivered / windowSeconds;
        }

        double slowestRate() {
            return minDelivered / windowSeconds;
        }

        void print() {
            String ge = lowerBound() ? "≥ " : "";
            System.out.printf("%s:%n  writer put %,d events at %,.0f/s %s%s; %d fast consumers%s%n", what, puts, writerRate,
                    scheduled ? String.format("(at most %.1f ms behind its schedule)", maxBehindMs) : "(as fast as it could)",
                    capped ? ", stopped by the harness's room for put times" : "", fastConsumers, cutOff > 0 ? ", " + cutOff + " of them cut off" : "");
            System.out.printf("  delivered %,d events in %.2f s from the first put: %,.0f/s in total, %,.0f/s to the slowest fast consumer "
                    + "(%,d events); %s; order/duplicate anomalies: %d%n", delivered, windowSeconds, totalRate(), slowestRate(), minDelivered,
                    missing == 0 ? String.format("every fast consumer had every event %.1f ms after the last put", drainMs)
                            : String.format("%,d events not delivered %.1f s after the last put", missing, drainMs / 1e3),
                    anomalies);
            System.out.printf("  latency over %,d events to the fast consumers, from put: p50 %s%.3f ms, p99 %s%.3f ms, max %s%.3f ms", latencies, ge,
                    p50, ge, p99, ge, max);
            if (scheduled) {
                System.out.printf("; from the schedule: p50 %s%.3f ms, p99 %s%.3f ms, max %s%.3f ms", ge, sp50, ge, sp99, ge, smax);
            }
            System.out.println(lowerBound() ? " (lower bounds: events not delivered counted at their age when the run ended)" : "");
            System.out.printf("  CPU over %.2f s: process %.2f s, writer thread %.2f s, %s %.2f s; GC pauses %.3f s; load average before %.2f%n",
                    usage.wall, usage.process, usage.writer, poolName, usage.pools, usage.gc, usage.load);
            if (cutOffNote != null) {
                System.out.println("  " + cutOffNote);
            }
            if (stalledNote != null) {
                System.out.println("  " + stalledNote);
            }
        }

        void addTo(Figures f) {
            boolean lb = lowerBound();
            f.add(what + ": writer's rate", "events/s", writerRate, false);
            if (scheduled) {
                f.add(what + ": writer behind its schedule, at most", "ms", maxBehindMs, false);
            }
            // events delivered over the time from the first put to the last delivery (to the end of the wait, if some never came)
            f.add(what + ": delivered in total", "events/s", totalRate(), false);
            f.add(what + ": delivered to the slowest fast consumer", "events/s", slowestRate(), false);
            f.add(what + ": events not delivered when the run ended", "", missing, false);
            if (cutOff > 0 || !scheduled) {
                f.add(what + ": fast consumers cut off", "", cutOff, false);
            }
            f.add(what + ": order/duplicate anomalies", "", anomalies, false);
            f.add(what + ": latency from put, p50", "ms", p50, lb);
            f.add(what + ": latency from put, p99", "ms", p99, lb);
            f.add(what + ": latency from put, max", "ms", max, lb);
            if (scheduled) {
                f.add(what + ": latency from the schedule, p50", "ms", sp50, lb);
                f.add(what + ": latency from the schedule, p99", "ms", sp99, lb);
                f.add(what + ": latency from the schedule, max", "ms", smax, lb);
            }
            f.add(what + ": CPU, process, per second of the run", "s/s", usage.process / usage.wall, false);
            f.add(what + ": CPU, writer thread, per second of the run", "s/s", usage.writer / usage.wall, false);
            f.add(what + ": CPU, " + poolName + ", per second of the run", "s/s", usage.pools / usage.wall, false);
            f.add(what + ": GC pauses, per second of the run", "s/s", usage.gc / usage.wall, false);
        }
    }

    private static void ratio(Figures f, String label, Result with, Result without, java.util.function.ToDoubleFunction<Result> p) {
        f.add(label, "x", ratio(with, without, p), with.lowerBound());
    }

    /**
     * {@code with}'s percentile over {@code without}'s; a lower bound when {@code with}'s is; not a figure (NaN) when
     * {@code without}'s is only a lower bound itself.
     */
    private static double ratio(Result with, Result without, java.util.function.ToDoubleFunction<Result> p) {
        return without.lowerBound() ? Double.NaN : p.applyAsDouble(with) / p.applyAsDouble(without);
    }

    private static String ratioText(Result with, Result without, java.util.function.ToDoubleFunction<Result> p) {
        double r = ratio(with, without, p);
        return Double.isNaN(r) ? "n/a" : String.format("%s%s x", with.lowerBound() ? "≥ " : "", Figures.format(r));
    }

    /** Every figure over the counted rounds, in the order first added. */
    private static final class Figures {
        private final Map<String, Figure> figures = new LinkedHashMap<>();

        void add(String label, String unit, double value, boolean lowerBound) {
            Figure f = figures.computeIfAbsent(label, l -> new Figure(unit));
            f.values.add(value);
            if (lowerBound) {
                f.lowerBounds++;
            }
        }

        void count(String label, boolean yes) {
            Figure f = figures.computeIfAbsent(label, l -> new Figure(null));
            f.values.add(yes ? 1.0 : 0.0);
        }

        void print() {
            figures.forEach((label, f) -> {
                List<Double> v = new ArrayList<>(f.values);
                if (f.unit == null) {
                    System.out.printf("%s: in %d of %d rounds%n", label, (int) v.stream().mapToDouble(Double::doubleValue).sum(), v.size());
                    return;
                }
                v.sort(null); // NaN (no figure) sorts last
                String ge = f.lowerBounds > 0 ? "≥ " : "";
                int m = v.size() / 2; // the middle value; with an even number of rounds, the mean of the two middle ones
                double median = v.size() % 2 == 1 ? v.get(m) : (v.get(m - 1) + v.get(m)) / 2;
                System.out.printf("%s: median %s%s%s, min %s, max %s (%d round%s)%s%n", label, ge, format(median),
                        f.unit.isEmpty() ? "" : " " + f.unit, format(v.get(0)), format(v.get(v.size() - 1)), v.size(), v.size() == 1 ? "" : "s",
                        f.lowerBounds > 0 ? "; lower bounds in " + f.lowerBounds + " of them (events not delivered by the end counted at their age then)" : "");
            });
        }

        static String format(double d) {
            if (Double.isNaN(d)) {
                return "n/a";
            }
            double a = Math.abs(d);
            return d == Math.rint(d) || a >= 1000 ? String.format("%,.0f", d) : a >= 10 ? String.format("%.1f", d) : String.format("%.3f", d);
        }
    }

    private static final class Figure {
        final String unit;
        final List<Double> values = new ArrayList<>();
        int lowerBounds;

        Figure(String unit) {
            this.unit = unit;
        }
    }

    // --- helpers ----------------------------------------------------------------------------------------------------

    /** Object {@code o} at resourceVersion {@code rv}: a config map with one label and one data value. */
    static ConfigMap object(int o, long rv, String payload) {
        return new ConfigMapBuilder().withNewMetadata().withNamespace(NAMESPACE).withName(NAMES[o]).withUid(UIDS[o])
                .withResourceVersion(Long.toString(rv)).addToLabels("app", "fanout").endMetadata().addToData("payload", payload).build();
    }

    private static String payload(int bytes) {
        StringBuilder b = new StringBuilder(bytes);
        for (int i = 0; i < bytes; i++) {
            b.append((char) ('a' + i % 26));
        }
        return b.toString();
    }

    /** Before a measured run: the previous run's and the set-up's garbage collected. */
    private static void settle() {
        System.gc();
    }
}
