package io.watchkeeper.stream;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import org.jboss.logging.Logger;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.watchkeeper.config.WatchkeeperConfig;
import io.watchkeeper.informer.CacheReader;
import io.watchkeeper.informer.InformerHub;
import io.watchkeeper.informer.InformerKey;
import io.watchkeeper.informer.InformerState;
import io.watchkeeper.informer.ResumeToken;
import io.watchkeeper.informer.SharedInformer;
import io.watchkeeper.watch.WatchRegistry;
import io.watchkeeper.watch.WatchRegistry.Entry;
import io.watchkeeper.watch.WatchRegistry.Kind;
import io.watchkeeper.web.ApiException;
import io.watchkeeper.web.CallerAuth;
import io.watchkeeper.web.CallerAuth.Caller;
import io.watchkeeper.web.WatchAccess;

/**
 * The stream protocol, apart from the WebSocket plumbing ({@link StreamSocket}): authentication by first message,
 * subscriptions with the same rights check as the HTTP reads (plus {@code watch}), snapshots or resumes from the
 * informers' change logs, bookmarks, the clients' bounded queues, and the limits that keep one client from hurting
 * another: connections in all and per user, subscriptions per connection, and tokens checked again while they stream.
 */
@ApplicationScoped
public class StreamService {

    private static final Logger LOG = Logger.getLogger(StreamService.class);

    private final CallerAuth auth;
    private final WatchAccess access;
    private final InformerHub hub;
    private final ObjectMapper json;
    private final StreamMetrics metrics;
    private final WatchkeeperConfig.Stream config;
    private final int retryAfter;
    private final Map<String, StreamClient> clients = new ConcurrentHashMap<>();
    /** Hands messages to connections: writes no more than a change's small envelope, never waits for the API server. */
    private final ExecutorService senders;
    /** Everything else off the informer and I/O threads: new snapshots after a relist, checks, token reviews. */
    private final ExecutorService work;
    private final ScheduledExecutorService timers = Executors.newSingleThreadScheduledExecutor(r -> daemon(r, "watchkeeper-stream-timer"));

    @Inject
    public StreamService(CallerAuth auth, WatchRegistry watches, InformerHub hub, CacheReader cache, ObjectMapper json,
            StreamMetrics metrics, WatchkeeperConfig config) {
        this.auth = auth;
        this.access = new WatchAccess(auth, watches, cache, config);
        this.hub = hub;
        this.retryAfter = config.api().retryAfterSeconds();
        this.json = json;
        this.metrics = metrics;
        this.config = config.stream();
        AtomicInteger n = new AtomicInteger();
        this.senders = Executors.newFixedThreadPool(2, r -> daemon(r, "watchkeeper-stream-send-" + n.incrementAndGet()));
        AtomicInteger w = new AtomicInteger();
        this.work = Executors.newFixedThreadPool(2, r -> daemon(r, "watchkeeper-stream-work-" + w.incrementAndGet()));
        metrics.bind(() -> clients);
        // Checks ask the API server (access and token reviews): they run on the work threads, one round at a time, so
        // that an API server that answers slowly delays the next round rather than piling rounds up.
        long every = this.config.bookmarkInterval().toMillis();
        AtomicBoolean bookmarking = new AtomicBoolean();
        timers.scheduleWithFixedDelay(() -> once(bookmarking, this::bookmarks), every, every, TimeUnit.MILLISECONDS);
        long recheck = config.api().decisionCacheTtl().toMillis();
        AtomicBoolean rechecking = new AtomicBoolean();
        timers.scheduleWithFixedDelay(() -> once(rechecking, this::recheckTokens), recheck, recheck, TimeUnit.MILLISECONDS);
    }

    /** Whether another connection may open (before the WebSocket upgrade): {@code watchkeeper.stream.max-connections}. */
    boolean roomForAnotherConnection() {
        return clients.size() < config.maxConnections();
    }

    /** A connection opened from {@code address}. */
    void opened(String id, String address, StreamClient.Transport transport) {
        StreamClient client = new StreamClient(id, address, transport, json, senders, config.clientQueueSize().asLongValue(), metrics,
                System::nanoTime);
        long waiting;
        synchronized (clients) {
            waiting = clients.values().stream().filter(c -> c.caller == null && !c.closed() && c.address.equals(address)).count();
            clients.put(id, client);
        }
        if (clients.size() > config.maxConnections()) { // upgrades checked at the same moment may all have passed
            metrics.refused("TooManyConnections");
            client.cutOff(503, "TooManyConnections", "The operator holds " + config.maxConnections()
                    + " stream connections, the most it may (watchkeeper.stream.max-connections); try again later.");
            return;
        }
        if (auth.enabled() && waiting >= config.maxConnectionsPerUser()) {
            metrics.refused("TooManyConnections");
            client.cutOff(429, "TooManyConnections", waiting + " connections from " + address + " have not authenticated yet, the "
                    + "most one address may hold (watchkeeper.stream.max-connections-per-user); authenticate them, or close some.");
            return;
        }
        if (!auth.enabled()) {
            client.caller = auth.authenticate(null, "");
            client.offer(StreamClient.message("READY", "user", client.caller.user()));
            return;
        }
        timers.schedule(() -> {
            if (client.caller == null && !client.closed()) {
                client.cutOff(401, "AuthTimeout", "No AUTH message within " + config.authTimeout().toSeconds() + "s.");
            }
        }, config.authTimeout().toMillis(), TimeUnit.MILLISECONDS);
    }

    void closed(String id) {
        Optional.ofNullable(clients.remove(id)).ifPresent(StreamClient::close);
    }

    /**
     * One message from a client. Runs on a worker thread: TokenReview and SubjectAccessReview may be
     * called.
     */
    void received(String id, String text) {
        StreamClient client = clients.get(id);
        if (client == null || client.closed()) {
            return;
        }
        JsonNode m;
        try {
            m = json.readTree(text);
        } catch (java.io.IOException e) {
            client.offer(StreamClient.error(null, 400, "BadRequest", "Messages are JSON objects with a \"type\"."));
            return;
        }
        String type = m.path("type").asText();
        String subscription = m.hasNonNull("id") ? m.path("id").asText() : null;
        try {
            if ("AUTH".equals(type)) {
                authenticate(client, m.path("token").asText(""));
            } else if (client.caller == null) {
                throw new ApiException(401, "Unauthorized", "Send {\"type\":\"AUTH\",\"token\":\"<bearer token>\"} first.");
            } else if ("SUBSCRIBE".equals(type)) {
                subscribe(client, subscription, m);
            } else if ("UNSUBSCRIBE".equals(type)) {
                Optional.ofNullable(subscription).map(client.subscriptions::remove).ifPresent(StreamSubscription::cancel);
            } else {
                throw new ApiException(400, "BadRequest", "Unknown message type \"" + type + "\": AUTH, SUBSCRIBE or UNSUBSCRIBE.");
            }
        } catch (ApiException e) {
            if (e.code() == 401 || e.code() == 429 && client.caller == null) {
                client.cutOff(e.code(), e.reason(), e.getMessage()); // says why, then closes
            } else {
                client.offer(StreamClient.error(subscription, e.code(), e.reason(), e.getMessage()));
            }
        }
    }

    private void authenticate(StreamClient client, String token) {
        if (!auth.enabled()) {
            return; // READY was sent on open; a page with a token left over from elsewhere is welcome too
        }
        if (client.caller != null) {
            throw new ApiException(400, "BadRequest", "Already authenticated as " + client.caller.user() + ".");
        }
        Caller caller = auth.authenticate("Bearer " + token, client.address);
        long theirs;
        synchronized (clients) { // counted and taken in one step, so that simultaneous AUTHs cannot both take the last place
            theirs = clients.values().stream().filter(c -> c.caller != null && !c.closed() && c.caller.user().equals(caller.user())).count();
            if (theirs < config.maxConnectionsPerUser()) {
                client.token = token;
                client.caller = caller;
            }
        }
        if (client.caller == null) {
            client.cutOff(429, "TooManyConnections", "User \"" + caller.user() + "\" has " + theirs + " stream connections, the most "
                    + "one user may (watchkeeper.stream.max-connections-per-user); close one, or subscribe to several watches on one.");
            return;
        }
        client.offer(StreamClient.message("READY", "user", caller.user()));
    }

    /** Every decision-cache-ttl: a stream whose token is no longer valid (expired, revoked) ends with 401. */
    private void recheckTokens() {
        for (StreamClient c : clients.values()) {
            String token = c.token;
            if (token != null && !c.closed() && !auth.stillValid(token)) {
                c.cutOff(401, "Unauthorized", "The token this stream authenticated with is no longer valid (expired or revoked); "
                        + "authenticate again with a new one.");
            }
        }
    }

    private void subscribe(StreamClient client, String id, JsonNode m) {
        if (id == null || id.isBlank()) {
            throw new ApiException(400, "BadRequest", "SUBSCRIBE needs an \"id\" of the client's choosing.");
        }
        if (client.subscriptions.containsKey(id)) {
            throw new ApiException(409, "AlreadyExists", "Subscription " + id + " exists; UNSUBSCRIBE it first.");
        }
        if (client.subscriptions.size() >= config.maxSubscriptionsPerClient()) {
            metrics.refused("TooManySubscriptions");
            throw new ApiException(429, "TooManySubscriptions", "This connection has " + client.subscriptions.size()
                    + " subscriptions, the most one may (watchkeeper.stream.max-subscriptions-per-client); UNSUBSCRIBE one first.");
        }
        JsonNode w = m.path("watch");
        Kind kind;
        try {
            kind = Kind.valueOf(w.path("kind").asText("ResourceWatch"));
        } catch (IllegalArgumentException e) {
            throw new ApiException(400, "BadRequest", "watch.kind is ResourceWatch or ClusterResourceWatch.");
        }
        String ns = kind == Kind.ResourceWatch ? w.path("namespace").asText(null) : null;
        Entry entry = access.followable(client.caller, kind, ns, w.path("name").asText(""));
        List<InformerKey> keys = ResumeToken.order(entry.keys());
        StreamSubscription s = new StreamSubscription(id, client, kind, ns, entry.name(), keys, informers(keys).orElseThrow(
                () -> new ApiException(503, "NotSynced", "The cache for " + kind + " " + entry.name() + " is starting.", retryAfter)),
                work, this::informerGone);
        client.subscriptions.put(id, s);
        String from = m.hasNonNull("resourceVersion") ? m.path("resourceVersion").asText() : null;
        s.start(from);
    }

    /** The hub's informers for {@code keys}, when it holds every one. */
    private Optional<List<SharedInformer>> informers(List<InformerKey> keys) {
        List<SharedInformer> out = new java.util.ArrayList<>();
        for (InformerKey k : keys) {
            Optional<SharedInformer> si = hub.find(k);
            if (si.isEmpty()) {
                return Optional.empty();
            }
            out.add(si.get());
        }
        return Optional.of(out);
    }

    /**
     * Every bookmark interval, each subscription is checked again (the watch may be gone, its question changed, the
     * caller's rights revoked; decisions are cached for {@code decision-cache-ttl}) and then gets its BOOKMARK, or STALE
     * while one of its informers is not current. One that fails the check gets an ERROR and ends, never silence.
     */
    private void bookmarks() {
        for (StreamClient c : clients.values()) {
            for (StreamSubscription s : c.subscriptions.values()) {
                check(c, s).ifPresent(live -> live.bookmark(stale(live)));
            }
        }
    }

    /** An informer of {@code s}'s watch was closed: the watch holds another one for the question now, or none. */
    private void informerGone(StreamSubscription s) {
        for (StreamClient c : clients.values()) {
            if (c.subscriptions.get(s.id()) == s) {
                check(c, s);
            }
        }
    }

    /**
     * Checks a subscription against its watch as it is now. Ends it (ERROR 410, or 403 when the caller lost the right)
     * when the watch is gone or asks another question; moves it to the watch's new informers (with a new SNAPSHOT)
     * when the informers for the same question were replaced; leaves it alone while the watch is only unsettled (its
     * cache restarting).
     *
     * @return the subscription to bookmark, if it goes on
     */
    private Optional<StreamSubscription> check(StreamClient c, StreamSubscription s) {
        try {
            Entry now = access.permitted(c.caller, s.kind(), s.namespace(), s.name(), true);
            if (!ResumeToken.order(now.keys()).equals(s.keys())) {
                throw new ApiException(404, "Changed", s.kind() + " " + s.name()
                        + " now asks a different question (its resource, selector or namespaces changed); subscribe again for a new snapshot.");
            }
            Optional<List<SharedInformer>> informers = informers(s.keys());
            if (informers.isEmpty()) {
                return Optional.of(s); // released and not held again yet: STALE (its closed informers are not synced)
            }
            if (!informers.get().equals(s.informers())) {
                StreamSubscription next = s.on(informers.get());
                if (c.subscriptions.replace(s.id(), s, next)) {
                    s.cancel();
                    LOG.debugf("Stream client %s: subscription %s follows new informers for %s", c.id(), s.id(), s.keys());
                    next.start(null);
                }
                return Optional.empty();
            }
            return Optional.of(s);
        } catch (ApiException e) {
            if (e.code() == 503) {
                return Optional.of(s); // not settled: STALE says so
            }
            boolean gone = e.code() == 404 || e.code() == 409;
            if (c.subscriptions.remove(s.id(), s)) {
                s.cancel();
                c.offer(StreamClient.error(s.id(), gone ? 410 : e.code(), gone ? "Gone" : e.reason(), e.getMessage()
                        + (gone ? " The subscription has ended." : "")));
                LOG.debugf("Stream client %s: subscription %s ended: %s", c.id(), s.id(), e.getMessage());
            }
        } catch (RuntimeException e) {
            LOG.warnf(e, "Stream client %s: checking subscription %s failed", c.id(), s.id());
        }
        return Optional.empty();
    }

    /** Why the subscription's view is not current, if it is not. */
    private static Optional<String> stale(StreamSubscription s) {
        for (SharedInformer si : s.informers()) {
            InformerState state = si.state();
            if (state != InformerState.SYNCED || !si.timeline().current()) {
                return Optional.of("The cache for " + si.key() + " is " + (state == InformerState.SYNCED ? "relisting" : state)
                        + si.failure().map(f -> ": " + f.message()).orElse("") + "; changes resume when it is current.");
            }
        }
        return Optional.empty();
    }

    private static Thread daemon(Runnable r, String name) {
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        return t;
    }

    /** Runs {@code task} on the work threads unless its last run is still going. */
    private void once(AtomicBoolean running, Runnable task) {
        if (!running.compareAndSet(false, true)) {
            return;
        }
        try {
            work.execute(() -> {
                try {
                    task.run();
                } finally {
                    running.set(false);
                }
            });
        } catch (RejectedExecutionException e) {
            running.set(false); // shutting down
        }
    }

    @PreDestroy
    void shutdown() {
        timers.shutdownNow();
        work.shutdownNow();
        senders.shutdownNow();
    }
}
