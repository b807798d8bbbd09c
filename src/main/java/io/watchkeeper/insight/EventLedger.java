package io.watchkeeper.insight;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Collection;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.EventBuilder;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;

/**
 * The Events Watchkeeper has written about one object, as the API server has them: what the operator last recorded
 * about it, and the next Event to write. This is what makes Events exact across restarts and failovers: nothing is
 * counted in memory. An Event's name is derived from the object's uid and the reason, so a transition that happens
 * again updates its Event ({@code count} + 1); each write carries a sequence number one above the object's others, so
 * the latest recorded transition is known even when two happen within the second {@code lastTimestamp} resolves.
 * <p>
 * Events older than this scheme (no sequence) come before any that has one, and among themselves by time.
 */
public final class EventLedger {

    /** The annotation holding an Event's place in its object's sequence of Watchkeeper Events. */
    public static final String SEQUENCE = "watchkeeper.io/sequence";
    static final String COMPONENT = "watchkeeper";
    private static final KubernetesSerialization JSON = new KubernetesSerialization();

    private final HasMetadata about;
    private final List<Event> events;

    /** @param events Watchkeeper Events in the object's namespace naming it (others, by uid, are ignored) */
    public EventLedger(HasMetadata about, Collection<Event> events) {
        this.about = about;
        String uid = about.getMetadata().getUid();
        this.events = events.stream()
                .filter(e -> e.getInvolvedObject() != null && Objects.equals(uid, e.getInvolvedObject().getUid()))
                .sorted(Comparator.comparingLong(EventLedger::sequence).thenComparing(EventLedger::time))
                .toList();
    }

    /** The reason of the last transition recorded, if any was. */
    public Optional<String> latestReason() {
        return events.isEmpty() ? Optional.empty() : Optional.ofNullable(events.get(events.size() - 1).getReason());
    }

    /**
     * The Event recording a transition to {@code reason} now: the object's Event for that reason with its count one
     * higher (it carries the version read, so the write fails if another replica wrote it meanwhile), or a new one.
     */
    public Event next(String type, String reason, String message, Instant now) {
        String at = now.truncatedTo(ChronoUnit.SECONDS).toString();
        long sequence = events.isEmpty() ? 1 : sequence(events.get(events.size() - 1)) + 1;
        String name = eventName(about, reason);
        Optional<Event> existing = events.stream().filter(e -> name.equals(e.getMetadata().getName())).findFirst();
        String ns = about.getMetadata().getNamespace();
        if (existing.isPresent()) {
            Event e = JSON.clone(existing.get());
            if (e.getMetadata().getAnnotations() == null) {
                e.getMetadata().setAnnotations(new java.util.LinkedHashMap<>());
            }
            e.getMetadata().getAnnotations().put(SEQUENCE, Long.toString(sequence));
            e.setType(type);
            e.setMessage(message);
            e.setLastTimestamp(at);
            e.setCount((e.getCount() == null ? 1 : e.getCount()) + 1);
            e.getInvolvedObject().setResourceVersion(about.getMetadata().getResourceVersion());
            return e;
        }
        return new EventBuilder().withNewMetadata().withName(name).withNamespace(ns)
                .addToLabels("app.kubernetes.io/managed-by", COMPONENT).addToAnnotations(SEQUENCE, Long.toString(sequence)).endMetadata()
                .withNewInvolvedObject().withApiVersion(about.getApiVersion()).withKind(about.getKind())
                .withName(about.getMetadata().getName()).withNamespace(ns).withUid(about.getMetadata().getUid())
                .withResourceVersion(about.getMetadata().getResourceVersion()).endInvolvedObject()
                .withType(type).withReason(reason).withMessage(message).withFirstTimestamp(at).withLastTimestamp(at).withCount(1)
                .withNewSource().withComponent(COMPONENT).endSource().withReportingComponent(COMPONENT).build();
    }

    /** Whether {@code event} (from {@link #next}) is already on the API server, to be updated rather than created. */
    public static boolean exists(Event event) {
        return event.getMetadata().getResourceVersion() != null;
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

    private static long sequence(Event e) {
        String s = e.getMetadata().getAnnotations() == null ? null : e.getMetadata().getAnnotations().get(SEQUENCE);
        try {
            return s == null ? 0 : Long.parseLong(s);
        } catch (NumberFormatException x) {
            return 0;
        }
    }

    private static String time(Event e) {
        return e.getLastTimestamp() == null ? "" : e.getLastTimestamp();
    }
}
