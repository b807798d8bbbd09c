package io.watchkeeper.web;

import static io.watchkeeper.metrics.MetricNames.AUTH_REFUSALS;
import static io.watchkeeper.metrics.MetricNames.TAG_REASON;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;

import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;

import org.jboss.logging.Logger;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;

import io.fabric8.kubernetes.api.model.authentication.TokenReview;
import io.fabric8.kubernetes.api.model.authentication.TokenReviewBuilder;
import io.fabric8.kubernetes.api.model.authorization.v1.SubjectAccessReview;
import io.fabric8.kubernetes.api.model.authorization.v1.SubjectAccessReviewBuilder;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.quarkus.runtime.StartupEvent;
import io.vertx.core.Context;
import io.vertx.core.http.HttpServerRequest;
import io.watchkeeper.config.WatchkeeperConfig;
import io.watchkeeper.demo.DemoCluster;

/**
 * Who is calling, and may they? The caller's bearer token is checked with TokenReview; each read is allowed only if
 * SubjectAccessReview says the caller may {@code list} that resource in that namespace (and {@code watch} it, for a
 * stream), so the cache never widens what a caller could read from the API server directly.
 * <p>
 * Decisions are reused for {@code watchkeeper.api.decision-cache-ttl}. When the API server cannot be asked (an outage,
 * a restart), a decision it gave within {@code decision-grace-during-outage} is used instead, so readers keep being
 * served from the cache. TokenReviews that fail are counted per client address; past
 * {@code failed-token-reviews} in a window, unknown tokens from that address get 429 without asking the API server.
 * Tokens are kept by hash, never logged. Checks are off only with the embedded demo cluster.
 */
@ApplicationScoped
public class CallerAuth {

    private static final Logger LOG = Logger.getLogger(CallerAuth.class);

    /** The authenticated caller; {@link #ANONYMOUS_DEMO} when auth is off. */
    public record Caller(String user, String uid, List<String> groups, Map<String, List<String>> extra) {
    }

    static final Caller ANONYMOUS_DEMO = new Caller("watchkeeper:demo", "", List.of(), Map.of());

    /** A decision and when the API server gave it. */
    private record Decided<T>(T value, Instant at) {
    }

    /** Failed TokenReviews of one address in the window that began at {@code since}. */
    private record Failures(Instant since, int count) {
    }

    private final KubernetesClient client;
    private final boolean enabled;
    private final Clock clock;
    private final MeterRegistry meters;
    private final Duration ttl;
    private final Duration grace;
    private final int failureLimit;
    private final Duration failureWindow;
    private final Cache<String, Decided<Optional<Caller>>> tokens;
    private final Cache<String, Decided<Boolean>> decisions;
    private final Cache<String, Failures> failures;
    /** Until when the API server is not asked again, after it failed to answer a review. */
    private volatile Instant unavailableUntil = Instant.MIN;

    @Inject
    public CallerAuth(KubernetesClient client, WatchkeeperConfig config, MeterRegistry meters) {
        this(client, config, meters, Clock.systemUTC(), () -> {
            client.getMasterUrl(); // the client is made (and the demo cluster started, if it is the one) before asking
            return DemoCluster.active();
        });
    }

    /** Outside CDI (tests): no metrics kept, the demo cluster as this JVM has it. */
    CallerAuth(KubernetesClient client, WatchkeeperConfig config) {
        this(client, config, new SimpleMeterRegistry(), Clock.systemUTC(), DemoCluster::active);
    }

    CallerAuth(KubernetesClient client, WatchkeeperConfig config, MeterRegistry meters, Clock clock, Supplier<Boolean> demoCluster) {
        // Reviews fail fast when the API server is down (no retries, short timeouts): a reader must not wait through the
        // client's retry backoff before being answered from the decisions it already has.
        this.client = new KubernetesClientBuilder().withConfig(new ConfigBuilder(client.getConfiguration()).withRequestRetryBackoffLimit(0)
                .withConnectionTimeout(3_000).withRequestTimeout(5_000).build()).build();
        this.clock = clock;
        this.meters = meters;
        this.enabled = config.api().auth().checksTokens(demoCluster.get());
        this.ttl = config.api().decisionCacheTtl();
        this.grace = config.api().decisionGraceDuringOutage();
        this.failureLimit = config.api().failedTokenReviews();
        this.failureWindow = config.api().failedTokenReviewsWindow();
        Duration kept = grace.compareTo(ttl) > 0 ? grace : ttl;
        this.tokens = Caffeine.newBuilder().expireAfterWrite(kept).maximumSize(10_000).build();
        this.decisions = Caffeine.newBuilder().expireAfterWrite(kept).maximumSize(100_000).build();
        this.failures = Caffeine.newBuilder().expireAfterWrite(failureWindow).maximumSize(100_000).build();
    }

    @PreDestroy
    void close() {
        client.close();
    }

    void warnIfOff(@Observes StartupEvent start) {
        if (!enabled) {
            LOG.warn("Embedded demo cluster: the HTTP API and the stream answer anyone without checking tokens or rights.");
        }
    }

    /** Whether callers must authenticate. */
    public boolean enabled() {
        return enabled;
    }

    /** {@link #authenticate(String, String)} for the caller of an HTTP request. */
    public Caller authenticate(String authorization, HttpServerRequest request) {
        return authenticate(authorization, request.remoteAddress() == null ? "" : request.remoteAddress().hostAddress());
    }

    /**
     * Authenticates the {@code Authorization} header of a caller at {@code address}: 401 when it is missing or the token
     * is not valid, 429 when that address has had too many tokens refused lately, 503 when the API server cannot be
     * asked and the token was not seen valid lately. On an event loop thread, where the API server is never asked, a
     * token not decided within decision-cache-ttl throws {@link WorkerNeeded} ({@link #may} likewise).
     */
    public Caller authenticate(String authorization, String address) {
        if (!enabled) {
            return ANONYMOUS_DEMO;
        }
        if (authorization == null || !authorization.regionMatches(true, 0, "Bearer ", 0, 7) || authorization.length() <= 7) {
            refused("MissingToken");
            throw new ApiException(401, "Unauthorized", "Send a Kubernetes bearer token: Authorization: Bearer <token>.");
        }
        return caller(authorization.substring(7).trim(), address).orElseThrow(() -> {
            refused("InvalidToken");
            return new ApiException(401, "Unauthorized", "The bearer token is not valid for this cluster.");
        });
    }

    /**
     * Checks a live stream's token again, at most once per decision-cache-ttl at the API server: false once it is no
     * longer valid (expired, revoked, its ServiceAccount deleted); true while it is, and while the API server cannot be
     * asked (the stream goes on, and is checked again next time).
     */
    public boolean stillValid(String token) {
        if (!enabled) {
            return true;
        }
        try {
            return caller(token, "").isPresent();
        } catch (ApiException e) {
            return true;
        }
    }

    private Optional<Caller> caller(String token, String address) {
        String key = hash(token);
        Decided<Optional<Caller>> known = tokens.getIfPresent(key);
        Instant now = clock.instant();
        if (known != null && fresh(known, now)) {
            return known.value();
        }
        if ((known == null || known.value().isEmpty()) && !address.isEmpty()) {
            Failures f = failures.getIfPresent(address);
            if (f != null && f.count() >= failureLimit && now.isBefore(f.since().plus(failureWindow))) {
                long retry = Math.max(1, Duration.between(now, f.since().plus(failureWindow)).toSeconds());
                refused("TokenReviewsRateLimited");
                throw new ApiException(429, "TooManyRequests", "Too many invalid tokens from " + address + " lately; try again in "
                        + retry + "s.", (int) retry);
            }
        }
        Decided<Optional<Caller>> reviewed = askOrRecall("TokenReview", () -> review(token), known, now);
        if (reviewed == known) {
            return known.value();
        }
        tokens.put(key, reviewed);
        if (reviewed.value().isEmpty() && !address.isEmpty()) {
            failures.asMap().compute(address, (a, f) -> f == null || !now.isBefore(f.since().plus(failureWindow))
                    ? new Failures(now, 1) : new Failures(f.since(), f.count() + 1));
        }
        return reviewed.value();
    }

    /** 403 unless {@code caller} may {@code verb} {@code group/resource} in {@code namespace} ("" for cluster-wide). */
    public void require(Caller caller, String verb, String group, String resource, String namespace) {
        if (!may(caller, verb, group, resource, namespace)) {
            String where = namespace == null || namespace.isEmpty() ? "cluster-wide" : "in namespace " + namespace;
            String what = group.isEmpty() ? resource : resource + "." + group;
            refused("Forbidden");
            throw new ApiException(403, "Forbidden", "User \"" + caller.user() + "\" cannot " + verb + " " + what + " " + where + ".");
        }
    }

    public void requireList(Caller caller, String group, String resource, String namespace) {
        require(caller, "list", group, resource, namespace);
    }

    public boolean mayList(Caller caller, String group, String resource, String namespace) {
        return may(caller, "list", group, resource, namespace);
    }

    public boolean may(Caller caller, String verb, String group, String resource, String namespace) {
        if (!enabled) {
            return true;
        }
        String ns = namespace == null ? "" : namespace;
        String key = caller.user() + "|" + caller.uid() + "|" + String.join(",", caller.groups()) + "|" + verb + "|" + group + "|"
                + resource + "|" + ns;
        Decided<Boolean> known = decisions.getIfPresent(key);
        Instant now = clock.instant();
        if (known != null && fresh(known, now)) {
            return known.value();
        }
        Decided<Boolean> allowed = askOrRecall("SubjectAccessReview", () -> accessReview(caller, verb, group, resource, ns), known, now);
        if (allowed != known) {
            decisions.put(key, allowed);
        }
        return allowed.value();
    }

    /**
     * The API server's answer now; or, when it cannot be asked, {@code known} (returned as is) if it was given within
     * the grace; else the 503.
     */
    private <T> Decided<T> askOrRecall(String review, Supplier<T> question, Decided<T> known, Instant now) {
        try {
            return new Decided<>(ask(question), now);
        } catch (ApiException e) {
            if (known != null && !olderThan(known, grace, now)) {
                LOG.debugf("%s unavailable (%s); using the decision from %s", review, e.getMessage(), known.at());
                return known;
            }
            throw e;
        }
    }

    /**
     * Asks the API server, unless it failed to answer lately: then, for a decision-cache-ttl, nobody waits for it to fail
     * again (each review would take its timeout), and decisions within the grace answer at once.
     */
    private <T> T ask(Supplier<T> review) {
        Instant now = clock.instant();
        if (now.isBefore(unavailableUntil)) {
            throw new ApiException(503, "ServiceUnavailable", "The API server did not answer a review a moment ago; try again shortly.", 5);
        }
        if (Context.isOnEventLoopThread()) {
            // an event loop never waits for the API server: a caller on one (WatchApi#answer) catches this and goes on
            // on a worker thread, where the review is asked
            throw WorkerNeeded.INSTANCE;
        }
        try {
            return review.get();
        } catch (ApiException e) {
            unavailableUntil = clock.instant().plus(ttl);
            throw e;
        }
    }

    private boolean fresh(Decided<?> d, Instant now) {
        return !olderThan(d, ttl, now);
    }

    private static boolean olderThan(Decided<?> d, Duration age, Instant now) {
        return !now.isBefore(d.at().plus(age));
    }

    private void refused(String reason) {
        meters.counter(AUTH_REFUSALS, TAG_REASON, reason).increment();
    }

    private Optional<Caller> review(String token) {
        try {
            TokenReview r = client.resource(new TokenReviewBuilder().withNewSpec().withToken(token).endSpec().build()).create();
            if (r.getStatus() == null || !Boolean.TRUE.equals(r.getStatus().getAuthenticated()) || r.getStatus().getUser() == null) {
                return Optional.empty();
            }
            var u = r.getStatus().getUser();
            return Optional.of(new Caller(u.getUsername(), u.getUid() == null ? "" : u.getUid(),
                    u.getGroups() == null ? List.of() : List.copyOf(u.getGroups()), u.getExtra() == null ? Map.of() : Map.copyOf(u.getExtra())));
        } catch (KubernetesClientException e) {
            LOG.warnf("TokenReview failed (HTTP %d): %s. May the operator's service account create tokenreviews?", e.getCode(), e.getMessage());
            throw new ApiException(503, "ServiceUnavailable", "Cannot check the token with the API server right now.", 5);
        }
    }

    private boolean accessReview(Caller caller, String verb, String group, String resource, String namespace) {
        try {
            SubjectAccessReview r = client.resource(new SubjectAccessReviewBuilder().withNewSpec().withUser(caller.user())
                    .withUid(caller.uid().isEmpty() ? null : caller.uid()).withGroups(caller.groups()).withExtra(caller.extra().isEmpty() ? null : caller.extra())
                    .withNewResourceAttributes().withVerb(verb).withGroup(group).withResource(resource)
                    .withNamespace(namespace.isEmpty() ? null : namespace).endResourceAttributes().endSpec().build()).create();
            return r.getStatus() != null && Boolean.TRUE.equals(r.getStatus().getAllowed());
        } catch (KubernetesClientException e) {
            LOG.warnf("SubjectAccessReview failed (HTTP %d): %s. May the operator's service account create subjectaccessreviews?", e.getCode(), e.getMessage());
            throw new ApiException(503, "ServiceUnavailable", "Cannot check access with the API server right now.", 5);
        }
    }

    static String hash(String token) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(token.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
