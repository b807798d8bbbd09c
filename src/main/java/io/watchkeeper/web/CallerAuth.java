package io.watchkeeper.web;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;

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
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.quarkus.runtime.StartupEvent;
import io.watchkeeper.config.WatchkeeperConfig;
import io.watchkeeper.config.WatchkeeperConfig.AuthMode;

/**
 * Who is calling, and may they? The caller's bearer token is checked with TokenReview; each read is allowed only if
 * SubjectAccessReview says the caller may {@code list} that resource in that namespace, so the cache never widens what
 * a caller could read from the API server directly. Decisions are cached for {@code watchkeeper.api.decision-cache-ttl};
 * tokens are cached by hash, never logged.
 */
@ApplicationScoped
public class CallerAuth {

    private static final Logger LOG = Logger.getLogger(CallerAuth.class);

    /** The authenticated caller; {@link #ANONYMOUS_DEMO} when auth is off. */
    public record Caller(String user, String uid, List<String> groups, Map<String, List<String>> extra) {
    }

    static final Caller ANONYMOUS_DEMO = new Caller("watchkeeper:demo", "", List.of(), Map.of());

    private final KubernetesClient client;
    private final boolean enabled;
    private final Cache<String, Optional<Caller>> tokens;
    private final Cache<String, Boolean> decisions;

    @Inject
    public CallerAuth(KubernetesClient client, WatchkeeperConfig config) {
        this.client = client;
        this.enabled = config.api().auth() != AuthMode.none;
        this.tokens = Caffeine.newBuilder().expireAfterWrite(config.api().decisionCacheTtl()).maximumSize(10_000).build();
        this.decisions = Caffeine.newBuilder().expireAfterWrite(config.api().decisionCacheTtl()).maximumSize(100_000).build();
    }

    void warnIfOff(@Observes StartupEvent start) {
        if (!enabled) {
            LOG.warn("watchkeeper.api.auth=none: the HTTP API answers anyone without checking tokens or rights. "
                    + "Use this for local demos only.");
        }
    }

    /** Whether callers must authenticate ({@code watchkeeper.api.auth=tokenreview}). */
    public boolean enabled() {
        return enabled;
    }

    /** Authenticates the {@code Authorization} header; 401 when it is missing or the token is not valid. */
    public Caller authenticate(String authorization) {
        if (!enabled) {
            return ANONYMOUS_DEMO;
        }
        if (authorization == null || !authorization.regionMatches(true, 0, "Bearer ", 0, 7) || authorization.length() <= 7) {
            throw new ApiException(401, "Unauthorized", "Send a Kubernetes bearer token: Authorization: Bearer <token>.");
        }
        String token = authorization.substring(7).trim();
        Optional<Caller> caller = tokens.get(hash(token), h -> review(token));
        return caller.orElseThrow(() -> new ApiException(401, "Unauthorized", "The bearer token is not valid for this cluster."));
    }

    /** 403 unless {@code caller} may list {@code group/resource} in {@code namespace} ("" for cluster-wide). */
    public void requireList(Caller caller, String group, String resource, String namespace) {
        if (!mayList(caller, group, resource, namespace)) {
            String where = namespace == null || namespace.isEmpty() ? "cluster-wide" : "in namespace " + namespace;
            String what = group.isEmpty() ? resource : resource + "." + group;
            throw new ApiException(403, "Forbidden", "User \"" + caller.user() + "\" cannot list " + what + " " + where + ".");
        }
    }

    public boolean mayList(Caller caller, String group, String resource, String namespace) {
        if (!enabled) {
            return true;
        }
        String ns = namespace == null ? "" : namespace;
        String key = caller.user() + "|" + caller.uid() + "|" + String.join(",", caller.groups()) + "|list|" + group + "|" + resource + "|" + ns;
        return decisions.get(key, k -> accessReview(caller, group, resource, ns));
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
            LOG.warnf("TokenReview failed (HTTP %d): %s. Does the operator's service account may create tokenreviews?", e.getCode(), e.getMessage());
            throw new ApiException(503, "ServiceUnavailable", "Cannot check the token with the API server right now.", 5);
        }
    }

    private boolean accessReview(Caller caller, String group, String resource, String namespace) {
        try {
            SubjectAccessReview r = client.resource(new SubjectAccessReviewBuilder().withNewSpec().withUser(caller.user())
                    .withUid(caller.uid().isEmpty() ? null : caller.uid()).withGroups(caller.groups()).withExtra(caller.extra().isEmpty() ? null : caller.extra())
                    .withNewResourceAttributes().withVerb("list").withGroup(group).withResource(resource)
                    .withNamespace(namespace.isEmpty() ? null : namespace).endResourceAttributes().endSpec().build()).create();
            return r.getStatus() != null && Boolean.TRUE.equals(r.getStatus().getAllowed());
        } catch (KubernetesClientException e) {
            LOG.warnf("SubjectAccessReview failed (HTTP %d): %s. May the operator's service account create subjectaccessreviews?", e.getCode(), e.getMessage());
            throw new ApiException(503, "ServiceUnavailable", "Cannot check access with the API server right now.", 5);
        }
    }

    private static String hash(String token) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(token.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
