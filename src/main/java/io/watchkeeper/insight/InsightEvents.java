package io.watchkeeper.insight;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.temporal.ChronoUnit;
import java.util.HexFormat;
import java.util.Map;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import org.jboss.logging.Logger;

import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.EventBuilder;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;

/**
 * Writes the insight reconcilers' Kubernetes Events (core/v1, so {@code kubectl describe} and {@code kubectl get events}
 * show them). Called on transitions only. An Event's name is derived from the object's uid and the reason, so the same
 * transition seen again (after an operator restart, or a problem that comes back) updates one Event (its last
 * timestamp, message and count) instead of adding another, and nothing needs to be read first: create, and on 409
 * patch.
 */
@ApplicationScoped
public class InsightEvents {

    private static final Logger LOG = Logger.getLogger(InsightEvents.class);
    static final String COMPONENT = "watchkeeper";

    private final KubernetesClient client;
    private final InsightMetrics metrics;
    private final Clock clock;
    private final Map<String, Integer> counts = new java.util.concurrent.ConcurrentHashMap<>();

    @Inject
    public InsightEvents(KubernetesClient client, InsightMetrics metrics) {
        this(client, metrics, Clock.systemUTC());
    }

    InsightEvents(KubernetesClient client, InsightMetrics metrics, Clock clock) {
        this.client = client;
        this.metrics = metrics;
        this.clock = clock;
    }

    public void warning(HasMetadata about, String reason, String message) {
        write(about, "Warning", reason, message);
    }

    public void normal(HasMetadata about, String reason, String message) {
        write(about, "Normal", reason, message);
    }

    private void write(HasMetadata about, String type, String reason, String message) {
        String ns = about.getMetadata().getNamespace();
        String name = eventName(about, reason);
        String now = clock.instant().truncatedTo(ChronoUnit.SECONDS).toString();
        int count = counts.merge(about.getMetadata().getUid() + "/" + reason, 1, Integer::sum);
        Event event = new EventBuilder().withNewMetadata().withName(name).withNamespace(ns)
                .addToLabels("app.kubernetes.io/managed-by", COMPONENT).endMetadata()
                .withNewInvolvedObject().withApiVersion(about.getApiVersion()).withKind(about.getKind()).withName(about.getMetadata().getName())
                .withNamespace(ns).withUid(about.getMetadata().getUid()).withResourceVersion(about.getMetadata().getResourceVersion()).endInvolvedObject()
                .withType(type).withReason(reason).withMessage(message).withFirstTimestamp(now).withLastTimestamp(now).withCount(count)
                .withNewSource().withComponent(COMPONENT).endSource().withReportingComponent(COMPONENT).build();
        try {
            try {
                client.v1().events().inNamespace(ns).resource(event).create();
            } catch (KubernetesClientException e) {
                if (e.getCode() != 409) {
                    throw e;
                }
                // The same transition was reported before (by this process or an earlier one): update that Event.
                Map<String, Object> patch = Map.of("type", type, "message", message, "lastTimestamp", now, "count", Math.max(count, 2));
                // on resource(event), not withName(name): fabric8 would GET the Event first to find what to patch
                client.v1().events().inNamespace(ns).resource(event)
                        .patch(PatchContext.of(PatchType.JSON_MERGE), client.getKubernetesSerialization().asJson(patch));
            }
            LOG.infof("%s %s/%s: %s %s", about.getKind(), ns, about.getMetadata().getName(), type, reason);
        } catch (KubernetesClientException e) {
            metrics.eventFailed(about.getKind());
            LOG.warnf("Could not write the %s Event for %s %s/%s (HTTP %d): %s. May the operator create and patch events there?",
                    reason, about.getKind(), ns, about.getMetadata().getName(), e.getCode(), e.getMessage());
        }
    }

    /** {@code <object name>.<16 hex digits of sha-256(uid/reason)>}, within the 253 characters a name may have. */
    static String eventName(HasMetadata about, String reason) {
        String base = about.getMetadata().getName();
        if (base.length() > 200) {
            base = base.substring(0, 200);
        }
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256")
                    .digest((about.getMetadata().getUid() + "/" + reason).getBytes(StandardCharsets.UTF_8));
            return base + "." + HexFormat.of().formatHex(digest, 0, 8);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Forgets the counts kept for an object that is gone. */
    void forget(HasMetadata about) {
        String prefix = about.getMetadata().getUid() + "/";
        counts.keySet().removeIf(k -> k.startsWith(prefix));
    }
}
