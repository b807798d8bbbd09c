package io.watchkeeper.informer;

import java.time.Clock;
import java.time.Duration;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BiConsumer;
import java.util.function.IntConsumer;
import java.util.function.UnaryOperator;

import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import org.jboss.logging.Logger;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.watchkeeper.config.WatchkeeperConfig;
import io.watchkeeper.discovery.ApiResource;

/**
 * The shared informer factory of the operator: the registry of informers, one per distinct {@link InformerKey}, shared
 * by every consumer that asks the same question (ResourceWatches, ClusterResourceWatches and the built-in reconcilers
 * alike), started on first use and stopped when its last consumer goes. Building informers is {@link Fabric8Informers}'
 * job, failures and restarts the {@link InformerSupervisor}'s, and a built-in controller's informer joins through
 * {@link #controllerSource} and {@link #adopt}.
 * <p>
 * Informers use a client of their own (same configuration as the operator's) whose requests are counted per informer,
 * which is how relists and watch restarts become metrics.
 */
@ApplicationScoped
public class InformerHub {

    private static final Logger LOG = Logger.getLogger(InformerHub.class);
    /** How long the remaining consumers of an adopted informer wait before the hub runs one of its own. */
    static final Duration TAKE_OVER_AFTER = Duration.ofSeconds(2);

    private final InformerStarter starter;
    private final InformerMetrics metrics;
    private final Clock clock;
    private final Timeline.Budget replay;
    private final InformerSupervisor supervisor;
    private final RequestRouter requests;
    private final InformerSampler sampler;
    private final BiConsumer<Duration, Runnable> later;
    private final Executor soon;
    private final Map<InformerKey, SharedInformer> informers = new ConcurrentHashMap<>();
    private final Map<String, Set<InformerKey>> held = new HashMap<>();
    /** The controllers that gave their informer's store for a question ({@link #controllerSource}). */
    private final Map<InformerKey, ControllerShare> controllers = new ConcurrentHashMap<>();

    /** @param firstList whether the controller's first list may still be streamed ({@link #claimFirstList}) */
    private record ControllerShare(String owner, Timeline.Source<?> source, AtomicBoolean firstList) {
    }
    private final ScheduledExecutorService scheduler;
    private final KubernetesClient client;
    private volatile boolean stopping;
    /** Objects per page of an informer's list; 0 for one response. */
    private long pageSize;
    /** Whether a question's first list is read from the watch cache as it arrives (controllers' too: {@link FirstLists}). */
    private boolean firstListFromWatchCache;

    /** Objects per page of an informer's list ({@code watchkeeper.informers.list-page-size}), for controllers' too. */
    public long listPageSize() {
        return pageSize;
    }

    @Inject
    public InformerHub(KubernetesClient operatorClient, WatchkeeperConfig config, InformerMetrics metrics, RequestCounter counter,
            FirstLists firstLists) {
        this(hubClient(operatorClient, counter), metrics, Clock.systemUTC(), config.informers().retryInitial(), config.informers().retryMax(),
                counter, new Timeline.Budget(config.stream().replayBufferSize().asLongValue(), config.stream().replayRetention()),
                config.informers().listPageSize(), config.informers().firstListFromWatchCache());
        firstLists.answeredBy(this::claimFirstList);
    }

    /**
     * @param client   the hub's own client (with {@link RequestCounter#forHubClient()}, to count its requests)
     * @param pageSize objects per page of a list, for the hub's informers and the controllers' ({@link #listPageSize})
     * @param firstListFromWatchCache whether a question's first list is read from the watch cache as it arrives
     */
    InformerHub(KubernetesClient client, InformerMetrics metrics, Clock clock, Duration retryInitial, Duration retryMax,
            RequestCounter counter, Timeline.Budget replay, long pageSize, boolean firstListFromWatchCache) {
        this(new Fabric8Informers(client, pageSize, firstListFromWatchCache), client, metrics, clock, retryInitial, retryMax, replay, scheduler());
        this.pageSize = pageSize;
        this.firstListFromWatchCache = firstListFromWatchCache;
        counter.listen(r -> requests.sent(r, informers.values()), (r, code) -> requests.refused(r, code, informers.values()));
        scheduler.scheduleWithFixedDelay(this::sample, 1, 1, TimeUnit.SECONDS);
    }

    private InformerHub(InformerStarter starter, KubernetesClient client, InformerMetrics metrics, Clock clock, Duration retryInitial,
            Duration retryMax, Timeline.Budget replay, ScheduledExecutorService scheduler) {
        this(starter, client, metrics, clock, retryInitial, retryMax, replay,
                (delay, task) -> scheduler.schedule(task, delay.toMillis(), TimeUnit.MILLISECONDS), scheduler::execute, scheduler);
    }

    /**
     * For tests: informers from {@code starter}, delayed tasks (restarts, take-overs) handed to {@code later}, prompt
     * ones (a sample after a sync) to {@code soon}; no sampling thread, no client.
     */
    InformerHub(InformerStarter starter, InformerMetrics metrics, Clock clock, Duration retryInitial, Duration retryMax,
            Timeline.Budget replay, BiConsumer<Duration, Runnable> later, Executor soon) {
        this(starter, null, metrics, clock, retryInitial, retryMax, replay, later, soon, null);
    }

    private InformerHub(InformerStarter starter, KubernetesClient client, InformerMetrics metrics, Clock clock, Duration retryInitial,
            Duration retryMax, Timeline.Budget replay, BiConsumer<Duration, Runnable> later, Executor soon, ScheduledExecutorService scheduler) {
        this.starter = starter;
        this.client = client;
        this.metrics = metrics;
        this.clock = clock;
        this.replay = replay;
        this.scheduler = scheduler;
        this.later = later;
        this.soon = soon;
        this.supervisor = new InformerSupervisor(metrics, retryInitial, retryMax, later, this::startIfWanted);
        this.requests = new RequestRouter(metrics, supervisor, this::controllerSourceOf);
        this.sampler = new InformerSampler(informers::values, clock, metrics);
        metrics.bind(this);
    }

    private static KubernetesClient hubClient(KubernetesClient operatorClient, RequestCounter counter) {
        return new KubernetesClientBuilder().withConfig(operatorClient.getConfiguration()).withKubernetesSerialization(CacheTransform.serialization())
                .withHttpClientBuilderConsumer(b -> b.addOrReplaceInterceptor(RequestCounter.NAME, counter.forHubClient()))
                .build();
    }

    private static ScheduledExecutorService scheduler() {
        return Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "watchkeeper-informer-hub");
            t.setDaemon(true);
            return t;
        });
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
            boolean fresh = si == null;
            if (fresh) {
                // In the map before it starts, so that its very first LIST is counted as its own.
                si = newInformer(e.getKey(), e.getValue());
            }
            if (si.addConsumer(consumerId, listener)) {
                LOG.debugf("%s now consumes %s (%d consumers)", consumerId, si.key(), si.consumers());
            }
            if (fresh) {
                start(si); // after the consumer joined: one served from a cache has its objects at once
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
     * {@link #assign}, unless the consumers whose ids start with {@code group} (a tenant's watches) would then hold more
     * than {@code limit} distinct informers: then {@code consumerId} is refused, holds nothing, and nothing is started.
     *
     * @return the informers held, or empty when refused; {@code heldByGroup} receives how many the group holds without
     *         this consumer
     */
    public synchronized Optional<Map<InformerKey, SharedInformer>> assignWithin(String group, int limit, String consumerId,
            Map<InformerKey, ApiResource> wanted, InformerListener listener, IntConsumer heldByGroup) {
        Set<InformerKey> others = new HashSet<>();
        held.forEach((id, keys) -> {
            if (id.startsWith(group) && !id.equals(consumerId)) {
                others.addAll(keys);
            }
        });
        heldByGroup.accept(others.size());
        Set<InformerKey> total = new HashSet<>(others);
        total.addAll(wanted.keySet());
        if (total.size() > limit) {
            releaseAll(consumerId);
            return Optional.empty();
        }
        return Optional.of(assign(consumerId, wanted, listener));
    }

    /**
     * Makes {@code consumerId} a consumer of the informer for {@code key} that a built-in controller is about to hand
     * over ({@link #adopt}), without starting one of the hub's own meanwhile: until then it reads as SYNCING. Used by a
     * controller whose secondaries are another controller's primaries, so that start-up opens one list and watch, not
     * two.
     */
    public synchronized SharedInformer follow(String consumerId, InformerKey key, ApiResource resource, InformerListener listener) {
        SharedInformer si = informers.containsKey(key) ? informers.get(key) : newInformer(key, resource);
        si.addConsumer(consumerId, listener);
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

    private SharedInformer newInformer(InformerKey key, ApiResource resource) {
        SharedInformer si = new SharedInformer(key, resource, clock, metrics, replay);
        informers.put(key, si);
        return si;
    }

    private void release(String consumerId, InformerKey key) {
        SharedInformer si = informers.get(key);
        if (si == null) {
            return;
        }
        boolean last = si.removeConsumer(consumerId);
        ControllerShare share = controllers.get(key);
        boolean controller = share != null && share.owner().equals(consumerId);
        if (controller) {
            controllers.remove(key);
            si.timeline().detach(share.source());
        }
        if (last) {
            informers.remove(key);
            stop(si.detach());
            si.close();
            LOG.infof("Stopped informer %s: its last consumer (%s) is gone", key, consumerId);
            servedFrom(si).forEach(this::orphaned);
        } else if (controller) {
            // The controller whose informer this was (or was about to be) is going. Unless everyone else goes too (as
            // at shutdown), the remaining consumers get one of the hub's own.
            si.detach();
            later.accept(TAKE_OVER_AFTER, () -> startIfWanted(si));
        }
    }

    /**
     * A backend for {@code si}: served from the cache of a running informer whose question contains its own, when there
     * is one; else an informer of its own, which lists and watches.
     */
    private void start(SharedInformer si) {
        Optional<SharedInformer> container = containerFor(si);
        if (container.isPresent()) {
            derive(si, container.get());
            return;
        }
        InformerBackend b = starter.create(si, fresh(si), (backend, afterStart, t) -> supervisor.onException(si, backend, afterStart, t));
        si.attach(b, null);
        LOG.infof("Starting informer %s", si.key());
        b.start().whenComplete((v, t) -> {
            if (t == null && si.backend() == b) {
                si.started();
                LOG.infof("Informer %s synced with %d objects", si.key(), si.size());
            }
            soon.execute(this::sample);
        });
    }

    /**
     * Whether nothing of {@code si}'s resource has been published: neither by {@code si} (a restart after a failure, a
     * question whose container went) nor by another question on the same resource (one that this informer's cache
     * will serve once it has synced). Only then may its first list be a moment older than etcd.
     */
    private boolean fresh(SharedInformer si) {
        ApiResource r = si.resource();
        return informers.values().stream().noneMatch(o -> o.timeline().published() && o.resource().group().equals(r.group())
                && o.resource().resource().equals(r.resource()));
    }

    /**
     * After a failure's backoff, or when a controller's informer went away: a new backend of the hub's own, if the
     * informer is still wanted and nobody else serves it meanwhile.
     */
    private synchronized void startIfWanted(SharedInformer si) {
        if (informers.get(si.key()) == si && si.backend() == null && si.consumers() > 0) {
            start(si);
        }
    }

    /**
     * The informer whose cache can serve {@code si}'s question ({@link InformerKey#contains}) and is not failing for
     * good; a controller's first (it lives as long as the operator), then the widest. Informers served from another's
     * cache are never containers, and a question a controller is about to take has none: the controller lists it.
     */
    private Optional<SharedInformer> containerFor(SharedInformer si) {
        if (controllers.containsKey(si.key())) {
            return Optional.empty();
        }
        return informers.values().stream()
                .filter(c -> c != si && c.key().contains(si.key()) && c.state() != InformerState.FAILED
                        && !(c.backend() instanceof DerivedBackend))
                .min(java.util.Comparator.comparing((SharedInformer c) -> !controllers.containsKey(c.key()))
                        .thenComparing(c -> !c.key().allNamespaces()).thenComparing(c -> c.key().labels().requirements().size())
                        .thenComparing(c -> c.key().toString()));
    }

    /** Makes {@code si} served from {@code container}'s cache, in place of the backend it had, if any. */
    private void derive(SharedInformer si, SharedInformer container) {
        InformerBackend old = si.backend();
        DerivedBackend b = new DerivedBackend(container, si);
        si.attach(b, null);
        if (old != null) {
            stop(old);
        }
        if (b.source().everListed()) {
            si.started();
        }
        LOG.infof("Informer %s is served from the cache of %s: no list and no watch of its own", si.key(), container.key());
        soon.execute(this::sample);
    }

    /** The informers served from {@code container}'s cache. */
    private List<SharedInformer> servedFrom(SharedInformer container) {
        return informers.values().stream().filter(si -> si.backend() instanceof DerivedBackend d && d.container() == container).toList();
    }

    /**
     * {@code si}'s container is gone: at once, it is served from another container or lists and watches by itself (its
     * followers keep its last published state until then), unless the operator is shutting down.
     */
    private void orphaned(SharedInformer si) {
        stop(si.detach());
        if (stopping) {
            return;
        }
        LOG.infof("Informer %s: the informer it was served from is gone", si.key());
        start(si);
    }

    /**
     * The operator is stopping: controllers and watches let go of their informers one by one from now on, and no
     * informer starts because another went. First of the shutdown observers, before the controllers stop.
     */
    void stopping(@jakarta.enterprise.event.Observes @jakarta.annotation.Priority(1) io.quarkus.runtime.ShutdownEvent event) {
        stopping = true;
    }

    /**
     * Once a second: an informer with a list and watch of its own whose question a synced informer's contains is served
     * from that one's cache instead (its own watch stops); one served from a container that failed for good gets
     * another backend.
     */
    private synchronized void rehome() {
        for (SharedInformer si : informers.values()) {
            InformerBackend b = si.backend();
            if (b instanceof DerivedBackend d) {
                if (informers.get(d.container().key()) != d.container() || d.container().state() == InformerState.FAILED) {
                    stop(si.detach());
                    start(si);
                }
            } else if (b != null && b.ownedByHub() && si.synced() && !controllers.containsKey(si.key())) {
                containerFor(si).filter(c -> c.synced() && c.timeline().current()).ifPresent(c -> derive(si, c));
            }
        }
    }

    private static void stop(InformerBackend b) {
        if (b != null && b.ownedByHub()) {
            b.stop();
        }
    }

    /**
     * The item store for a built-in controller's primary informer over {@code key}: the hub's informer for that question
     * will publish what the controller's informer lists and watches (see {@link #adopt}), held by {@code ownerId} until
     * it calls {@link #releaseAll}. The controller's requests (on the operator's client) tell the store when its lists
     * begin and end.
     */
    public synchronized <T extends HasMetadata> Timeline.Source<T> controllerSource(String ownerId, InformerKey key,
            ApiResource resource, UnaryOperator<T> transform) {
        SharedInformer si = informers.containsKey(key) ? informers.get(key) : newInformer(key, resource);
        si.addConsumer(ownerId, (c, k) -> {
        });
        held.computeIfAbsent(ownerId, id -> new HashSet<>()).add(key);
        Timeline.Source<T> source = si.timeline().newSource(transform);
        si.timeline().attach(source);
        controllers.put(key, new ControllerShare(ownerId, source, new AtomicBoolean(true)));
        return source;
    }

    /**
     * The controller's store into which the list of {@code collection} (sent on the operator's client, with its
     * selectors) is to be read from the watch cache as it arrives ({@link FirstLists}): only the first list of a
     * question a controller's store was made for, once (a retry after it failed, and every relist, go by pages), and
     * only while nothing of its resource has been published, by the rule for the hub's own informers ({@link #fresh}).
     */
    Optional<Timeline.Source<?>> claimFirstList(java.net.URL collection) {
        if (!firstListFromWatchCache) {
            return Optional.empty();
        }
        RequestCounter.Request request = RequestCounter.Request.parse(java.net.URI.create(collection.toString()));
        for (Map.Entry<InformerKey, ControllerShare> e : controllers.entrySet()) {
            SharedInformer si = informers.get(e.getKey());
            if (si != null && request.matches(e.getKey()) && e.getValue().firstList().getAndSet(false) && fresh(si)) {
                LOG.debugf("The first list of %s is read from the watch cache as it arrives", e.getKey());
                return Optional.of(e.getValue().source());
            }
        }
        return Optional.empty();
    }

    /** The store {@link #controllerSource} made for {@code key}, while its controller holds it. */
    Optional<Timeline.Source<?>> controllerSourceOf(InformerKey key) {
        return Optional.ofNullable(controllers.get(key)).map(ControllerShare::source);
    }

    /**
     * Makes the primary informer of a built-in controller the backend for {@code key} (its store came from
     * {@link #controllerSource}). A hub informer already answering the question is stopped; its consumers stay and
     * read from the adopted cache from now on.
     */
    synchronized SharedInformer adopt(String ownerId, InformerKey key, InformerBackend backend) {
        SharedInformer si = informers.get(key);
        if (si == null || controllerSourceOf(key).orElse(null) != backend.source()) {
            throw new IllegalStateException("No controller store for " + key + " (controllerSource first)");
        }
        if (si.backend() != null && si.backend() != backend) {
            LOG.infof("Informer %s is now the one of %s (was the hub's own; %d consumers keep it)", key, ownerId, si.consumers());
            stop(si.detach());
        }
        si.attach(backend, ownerId);
        if (backend.source().everListed()) {
            si.started();
        }
        soon.execute(this::sample);
        return si;
    }

    /** Tells every consumer of every informer to look again (after discovery changed, for example). */
    public void notifyAllConsumers() {
        for (SharedInformer si : informers.values()) {
            si.notifyConsumers();
        }
    }

    /** Looks at every informer and tells consumers about state changes (once a second, and after each sync). */
    void sample() {
        rehome();
        sampler.sample();
        informers.values().forEach(si -> si.timeline().releaseLogIfUnneeded()); // retention runs out on quiet informers too
    }

    @PreDestroy
    void shutdown() {
        if (scheduler != null) {
            scheduler.shutdownNow();
        }
        informers.values().forEach(si -> stop(si.detach()));
        informers.clear();
        if (client != null) {
            client.close();
        }
    }
}
