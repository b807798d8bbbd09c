package io.watchkeeper.informer;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import org.jboss.logging.Logger;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.GenericKubernetesResourceList;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.dsl.FilterWatchListDeletable;
import io.fabric8.kubernetes.client.dsl.MixedOperation;
import io.fabric8.kubernetes.client.dsl.Resource;
import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.watchkeeper.config.WatchkeeperConfig;
import io.watchkeeper.discovery.ApiResource;
import io.watchkeeper.informer.FieldSelectors.Term;

/**
 * The shared informer factory of the operator: one informer per distinct {@link InformerKey}, shared by every consumer
 * that asks the same question (ResourceWatches, ClusterResourceWatches and the built-in reconcilers alike), started on
 * first use and stopped when its last consumer goes. Informers that fail with an error retrying cannot fix (403, 404,
 * 400) are stopped, reported to their consumers, and restarted with exponential backoff while consumers remain.
 * <p>
 * Informers use a client of their own (same configuration as the operator's) whose requests are counted per informer,
 * which is how relists and watch restarts become metrics.
 */
@ApplicationScoped
public class InformerHub {

    private static final Logger LOG = Logger.getLogger(InformerHub.class);

    private final KubernetesClient client;
    private final InformerMetrics metrics;
    private final Clock clock;
    private final Duration retryInitial;
    private final Duration retryMax;
    private final int replayBuffer;
    private final Map<InformerKey, SharedInformer> informers = new ConcurrentHashMap<>();
    private final Map<String, Set<InformerKey>> held = new HashMap<>();
    private final ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "watchkeeper-informer-hub");
        t.setDaemon(true);
        return t;
    });

    @Inject
    public InformerHub(KubernetesClient operatorClient, WatchkeeperConfig config, InformerMetrics metrics, RequestCounter counter) {
        this(operatorClient, metrics, Clock.systemUTC(), config.informers().retryInitial(), config.informers().retryMax(), counter,
                config.stream().replayBuffer());
    }

    /** @param replayBuffer changes each informer keeps for stream clients that resume ({@link ChangeLog}) */
    InformerHub(KubernetesClient operatorClient, InformerMetrics metrics, Clock clock, Duration retryInitial, Duration retryMax,
            RequestCounter counter, int replayBuffer) {
        this.replayBuffer = replayBuffer;
        this.metrics = metrics;
        this.clock = clock;
        this.retryInitial = retryInitial;
        this.retryMax = retryMax;
        counter.listen(this::countRequest, this::requestRefused);
        this.client = new KubernetesClientBuilder().withConfig(operatorClient.getConfiguration())
                .withHttpClientBuilderConsumer(b -> b.addOrReplaceInterceptor(RequestCounter.NAME, counter))
                .build();
        metrics.bind(this);
        scheduler.scheduleWithFixedDelay(this::sample, 1, 1, TimeUnit.SECONDS);
    }

    /**
     * Makes {@code consumerId} hold exactly {@code wanted}: informers it newly wants are acquired (and started when
     * new), informers it no longer wants are released (and stopped when it was their last consumer).
     *
     * @return the informers the consumer now holds, by key
     */
    public synchronized Map<InformerKey, SharedInformer> assign(String consumerId, Map<InformerKey, ApiResource> wanted,
            InformerListener listener) {
        Set<InformerKey> before = held.getOrDefault(consumerId, Set.of());
        for (InformerKey k : before) {
            if (!wanted.containsKey(k)) {
                release(consumerId, k);
            }
        }
        Map<InformerKey, SharedInformer> result = new HashMap<>();
        for (Map.Entry<InformerKey, ApiResource> e : wanted.entrySet()) {
            SharedInformer si = informers.get(e.getKey());
            if (si == null) {
                // In the map before it starts, so that its very first LIST is counted as its own.
                si = new SharedInformer(e.getKey(), e.getValue(), clock, replayBuffer);
                informers.put(e.getKey(), si);
                start(si);
            }
            if (si.consumers.put(consumerId, listener) == null) {
                LOG.debugf("%s now consumes %s (%d consumers)", consumerId, si.key(), si.consumers());
            }
            result.put(e.getKey(), si);
        }
        if (wanted.isEmpty()) {
            held.remove(consumerId);
        } else {
            held.put(consumerId, new HashSet<>(wanted.keySet()));
        }
        return result;
    }

    /**
     * Makes {@code consumerId} a consumer of the informer for {@code key} that a built-in controller is about to hand
     * over ({@link #adopt}), without starting one of the hub's own meanwhile: until then it reads as SYNCING. Used by a
     * controller whose secondaries are another controller's primaries, so that start-up opens one list and watch, not
     * two.
     */
    public synchronized SharedInformer follow(String consumerId, InformerKey key, ApiResource resource, InformerListener listener) {
        SharedInformer si = informers.computeIfAbsent(key, k -> new SharedInformer(k, resource, clock, replayBuffer));
        si.consumers.put(consumerId, listener);
        held.computeIfAbsent(consumerId, id -> new HashSet<>()).add(key);
        return si;
    }

    /** Releases everything {@code consumerId} holds. */
    public synchronized void releaseAll(String consumerId) {
        assign(consumerId, Map.of(), (c, k) -> {
        });
    }

    public Optional<SharedInformer> find(InformerKey key) {
        return Optional.ofNullable(informers.get(key));
    }

    /** The informers {@code consumerId} holds. */
    public synchronized List<SharedInformer> heldBy(String consumerId) {
        return held.getOrDefault(consumerId, Set.of()).stream().map(informers::get).filter(java.util.Objects::nonNull).toList();
    }

    public Collection<SharedInformer> informers() {
        return List.copyOf(informers.values());
    }

    private void release(String consumerId, InformerKey key) {
        SharedInformer si = informers.get(key);
        if (si == null) {
            return;
        }
        si.consumers.remove(consumerId);
        if (si.consumers.isEmpty()) {
            informers.remove(key);
            stop(si);
            LOG.infof("Stopped informer %s: its last consumer (%s) is gone", key, consumerId);
        } else if (consumerId.equals(si.adoptedBy)) {
            // The controller whose informer this was is going. Unless everyone else goes too (as at shutdown), the
            // remaining consumers get one of the hub's own.
            si.adoptedBy = null;
            stop(si);
            scheduler.schedule(() -> takeOver(si), 2, TimeUnit.SECONDS);
        }
    }

    private SharedInformer start(SharedInformer si) {
        InformerKey key = si.key();
        ApiResource r = si.resource();
        ResourceDefinitionContext ctx = new ResourceDefinitionContext.Builder().withGroup(r.group()).withVersion(r.version())
                .withPlural(r.resource()).withKind(r.kind()).withNamespaced(r.namespaced()).build();
        MixedOperation<GenericKubernetesResource, GenericKubernetesResourceList, Resource<GenericKubernetesResource>> op = client
                .genericKubernetesResources(ctx);
        FilterWatchListDeletable<GenericKubernetesResource, GenericKubernetesResourceList, Resource<GenericKubernetesResource>> f;
        if (!r.namespaced()) {
            f = op;
        } else if (key.allNamespaces()) {
            f = op.inAnyNamespace();
        } else {
            f = op.inNamespace(key.namespace());
        }
        if (!key.labelSelector().isEmpty()) {
            f = f.withLabelSelector(key.labelSelector());
        }
        try {
            for (Term t : FieldSelectors.parse(key.fieldSelector()).terms()) {
                f = t.equals() ? f.withField(t.field(), t.value()) : f.withoutField(t.field(), t.value());
            }
        } catch (InvalidSelectorException e) {
            throw new IllegalArgumentException("informer key holds an invalid field selector: " + key, e);
        }
        SharedIndexInformer<GenericKubernetesResource> informer = f.runnableInformer(0);
        boolean secrets = r.group().isEmpty() && r.resource().equals("secrets");
        TransformingItemStore store = new TransformingItemStore(secrets);
        informer.itemStore(store);
        informer.exceptionHandler((isStarted, t) -> onException(si, informer, isStarted, t));
        informer.addEventHandler(new Counting(si));
        si.backend = new HubBackend(informer, store);
        si.failure = null;
        LOG.infof("Starting informer %s", key);
        informer.start().whenComplete((v, t) -> {
            if (t == null) {
                si.failedAttempts = 0;
                si.everSynced = true;
                LOG.infof("Informer %s synced with %d objects", key, si.size());
            }
            scheduler.execute(this::sample);
        });
        return si;
    }

    private boolean onException(SharedInformer si, SharedIndexInformer<GenericKubernetesResource> informer, boolean isStarted,
            Throwable t) {
        if (!runs(si, informer)) {
            return false; // a replaced informer: let it die quietly
        }
        InformerFailure f = InformerFailure.classify(si.key(), t, isStarted);
        // Refused requests are counted by the request interceptor; count only what it cannot see (connections).
        if (!(t instanceof io.fabric8.kubernetes.client.KubernetesClientException e && e.getCode() > 0)) {
            metrics.failure(si.key(), f.reason());
        }
        if (InformerFailure.isPermanent(t, isStarted)) {
            si.failure = f;
            si.failedAttempts++;
            Duration delay = backoff(si.failedAttempts);
            LOG.warnf("Informer %s failed: %s Retrying in %ds.", si.key(), f.message(), delay.toSeconds());
            scheduler.schedule(() -> restart(si, informer), delay.toMillis(), TimeUnit.MILLISECONDS);
            scheduler.execute(this::sample);
            return false;
        }
        si.watchError = f;
        if (isStarted && si.notWatchingSince == null) {
            si.notWatchingSince = clock.instant();
        }
        LOG.debugf("Informer %s: %s (fabric8 retries)", si.key(), f.message());
        return true;
    }

    private void restart(SharedInformer si, SharedIndexInformer<GenericKubernetesResource> failed) {
        synchronized (this) {
            if (informers.get(si.key()) != si || !runs(si, failed)) {
                return; // released meanwhile, or already restarted
            }
            failed.stop();
            si.notWatchingSince = null;
            si.watchError = null;
            start(si);
        }
    }

    Duration backoff(int attempts) {
        long factor = 1L << Math.min(attempts - 1, 20);
        Duration d = retryInitial.multipliedBy(factor);
        return d.compareTo(retryMax) > 0 ? retryMax : d;
    }

    private static boolean runs(SharedInformer si, SharedIndexInformer<GenericKubernetesResource> informer) {
        return si.backend instanceof HubBackend b && b.informer() == informer;
    }

    /** Stops the informer if the hub runs it; an adopted one belongs to its controller. */
    private void stop(SharedInformer si) {
        InformerBackend b = si.backend;
        si.backend = null;
        if (b != null && b.ownedByHub()) {
            b.stop();
        }
    }

    /**
     * Makes the primary informer of a built-in controller the shared informer for {@code key}, held by {@code ownerId}
     * until it calls {@link #releaseAll}. A hub informer already answering the question is stopped; its consumers stay
     * and read from the adopted cache from now on.
     */
    synchronized SharedInformer adopt(String ownerId, InformerKey key, ApiResource resource, InformerBackend backend) {
        SharedInformer si = informers.get(key);
        if (si == null) {
            si = new SharedInformer(key, resource, clock, replayBuffer);
            informers.put(key, si);
        } else if (si.backend != null) {
            LOG.infof("Informer %s is now the one of %s (was the hub's own; %d consumers keep it)", key, ownerId, si.consumers());
            stop(si);
        }
        si.backend = backend;
        si.adoptedBy = ownerId;
        si.failure = null;
        si.watchError = null;
        si.notWatchingSince = null;
        si.failedAttempts = 0;
        si.everSynced = backend.hasSynced();
        si.consumers.put(ownerId, (c, k) -> {
        });
        held.computeIfAbsent(ownerId, id -> new HashSet<>()).add(key);
        scheduler.execute(this::sample);
        return si;
    }

    private synchronized void takeOver(SharedInformer si) {
        if (informers.get(si.key()) == si && si.backend == null && si.consumers() > 0) {
            start(si);
        }
    }

    /** An event of an adopted informer, forwarded by its {@link ControllerInformerBridge}. */
    void objectChanged(InformerKey key, String type, HasMetadata previous, HasMetadata current) {
        SharedInformer si = informers.get(key);
        if (si != null && si.adopted()) {
            si.dispatch(type, previous, current, clock.instant(), metrics);
        }
    }

    /** Tells every consumer of every informer to look again (after discovery changed, for example). */
    public void notifyAllConsumers() {
        for (SharedInformer si : informers.values()) {
            si.consumers.forEach((id, l) -> notify(l, id, si.key()));
        }
    }

    /** Looks at every informer once a second and tells consumers about state changes. */
    private void sample() {
        try {
            sampleOnce();
        } catch (RuntimeException e) {
            LOG.warn("Informer sampling failed", e);
        }
    }

    private void sampleOnce() {
        Instant now = clock.instant();
        for (SharedInformer si : informers.values()) {
            InformerBackend i = si.backend;
            if (i != null && si.failure == null && i.hasSynced()) {
                si.everSynced = true;
                if (i.isWatching()) {
                    si.notWatchingSince = null;
                    si.watchError = null;
                } else if (si.notWatchingSince == null) {
                    si.notWatchingSince = now;
                }
            }
            InformerState state = si.state();
            if (state != si.reported) {
                InformerState was = si.reported;
                si.reported = state;
                if (state == InformerState.WATCH_FAILING) {
                    LOG.warnf("Informer %s: watch failing since %s, cache may be stale: %s", si.key(), si.notWatchingSince,
                            si.failure().map(InformerFailure::message).orElse("connection lost"));
                } else if (was == InformerState.WATCH_FAILING && state == InformerState.SYNCED) {
                    LOG.infof("Informer %s: watch recovered", si.key());
                }
                si.consumers.forEach((id, l) -> notify(l, id, si.key()));
            }
        }
        metrics.refresh();
    }

    private static void notify(InformerListener l, String consumerId, InformerKey key) {
        try {
            l.onStateChange(consumerId, key);
        } catch (RuntimeException e) {
            LOG.warnf(e, "Consumer %s failed to take a state change of %s", consumerId, key);
        }
    }

    private void countRequest(RequestCounter.Request request) {
        for (SharedInformer si : informers.values()) {
            if (request.matches(si.key())) {
                if (request.watch()) {
                    if (si.watchRequests.incrementAndGet() > 1) {
                        metrics.watchRestart(si.key());
                    }
                } else if (si.listRequests.incrementAndGet() > 1) {
                    metrics.relist(si.key());
                    si.changes.reset(); // a relist may hide deletions: no resuming across it
                }
                return;
            }
        }
    }

    /** A list or watch the API server refused: recorded as the informer's last error, counted by reason. */
    private void requestRefused(RequestCounter.Request request, int code) {
        for (SharedInformer si : informers.values()) {
            if (request.matches(si.key())) {
                InformerFailure f = InformerFailure.classify(si.key(), new io.fabric8.kubernetes.client.KubernetesClientException(
                        "the API server refused the " + (request.watch() ? "watch" : "list"), code, null), si.everSynced);
                metrics.failure(si.key(), f.reason());
                if (si.everSynced) {
                    si.watchError = f;
                }
                return;
            }
        }
    }

    @PreDestroy
    void shutdown() {
        scheduler.shutdownNow();
        informers.values().forEach(this::stop);
        informers.clear();
        client.close();
    }

    /** Feeds the events of a hub-run informer to {@link SharedInformer#dispatch}; runs on the informer's serial executor. */
    private final class Counting implements ResourceEventHandler<GenericKubernetesResource> {
        private final SharedInformer si;

        Counting(SharedInformer si) {
            this.si = si;
        }

        @Override
        public void onAdd(GenericKubernetesResource obj) {
            si.dispatch("added", null, obj, clock.instant(), metrics);
        }

        @Override
        public void onUpdate(GenericKubernetesResource oldObj, GenericKubernetesResource newObj) {
            si.dispatch("modified", oldObj, newObj, clock.instant(), metrics);
        }

        @Override
        public void onDelete(GenericKubernetesResource obj, boolean deletedFinalStateUnknown) {
            si.dispatch("deleted", obj, null, clock.instant(), metrics);
        }
    }
}
