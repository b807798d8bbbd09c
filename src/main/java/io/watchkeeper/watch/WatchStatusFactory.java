package io.watchkeeper.watch;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.ConditionBuilder;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import io.watchkeeper.api.v1alpha1.InformerStatus;
import io.watchkeeper.api.v1alpha1.ResolvedResource;
import io.watchkeeper.api.v1alpha1.WatchStatus;
import io.watchkeeper.discovery.ApiResource;
import io.watchkeeper.informer.InformerFailure;
import io.watchkeeper.informer.InformerState;
import io.watchkeeper.informer.SharedInformer;
import io.watchkeeper.watch.Subscription.Problem;

/**
 * Builds a watch's status from its {@link Subscription}, and decides whether it is worth a PATCH: only when something
 * meaningful changed, or when a count (items, consumers) changed and the last counts are older than the refresh
 * interval: twenty watches sharing a busy informer must not turn every pod event into twenty status writes.
 * {@code lastTransitionTime} moves only when a condition's status changes.
 */
public final class WatchStatusFactory {

    public static final String RESOLVED = "Resolved";
    public static final String READY = "Ready";
    public static final String REASON_RESOLVED = "Resolved";
    public static final String REASON_SYNCED = "CacheSynced";
    public static final String REASON_SYNCING = "Syncing";
    public static final String REASON_WATCH_FAILING = "WatchFailing";
    public static final String REASON_NOT_RESOLVED = "NotResolved";

    private static final KubernetesSerialization JSON = new KubernetesSerialization();

    private final Clock clock;
    private final Duration itemsRefreshInterval;

    public WatchStatusFactory(Clock clock, Duration itemsRefreshInterval) {
        this.clock = clock;
        this.itemsRefreshInterval = itemsRefreshInterval;
    }

    public WatchStatus build(WatchStatus previous, Long generation, Subscription sub) {
        WatchStatus s = new WatchStatus();
        s.setObservedGeneration(generation);
        sub.resource().map(WatchStatusFactory::resolved).ifPresent(s::setResolved);
        // each informer's state is read once, and both informer.synced and Ready come from that reading: read apart, an
        // informer syncing (or relisting) in between made a status say Ready beside an unsynced cache, or the reverse
        Map<SharedInformer, InformerState> informers = new LinkedHashMap<>();
        sub.informers().values().stream().sorted(Comparator.comparing(si -> si.key().toString())).forEach(si -> informers.put(si, si.state()));
        if (!informers.isEmpty()) {
            List<InformerStatus> each = informers.entrySet().stream().map(e -> informerStatus(e.getKey(), e.getValue())).toList();
            s.setInformer(summary(each));
            if (each.size() > 1) {
                s.setInformers(each);
            }
        }
        List<Condition> conditions = new ArrayList<>();
        Optional<Problem> problem = sub.problem();
        if (problem.isPresent() && problem.get().resolution()) {
            conditions.add(condition(previous, generation, RESOLVED, "False", problem.get().reason(), problem.get().message()));
            conditions.add(condition(previous, generation, READY, "False", problem.get().reason(), problem.get().message()));
        } else {
            ApiResource r = sub.resource().orElseThrow();
            conditions.add(condition(previous, generation, RESOLVED, "True", REASON_RESOLVED,
                    "spec.resource resolved to " + r.path() + " (kind " + r.kind() + ", " + (r.namespaced() ? "namespaced" : "cluster-scoped") + ")."));
            if (problem.isPresent()) {
                conditions.add(condition(previous, generation, READY, "False", problem.get().reason(), problem.get().message()));
            } else {
                conditions.add(ready(previous, generation, informers));
            }
        }
        s.setConditions(conditions);
        return s;
    }

    private Condition ready(WatchStatus previous, Long generation, Map<SharedInformer, InformerState> informers) {
        // The worst informer decides: failed, then watch failing, then syncing.
        for (Map.Entry<SharedInformer, InformerState> e : informers.entrySet()) {
            if (e.getValue() == InformerState.FAILED) {
                SharedInformer si = e.getKey();
                String reason = si.failure().map(InformerFailure::reason).orElse(REASON_SYNCING); // restarted since: listing again
                String message = si.failure().map(InformerFailure::message).orElse("Listing " + si.key() + " again after a failure.");
                return condition(previous, generation, READY, "False", reason, message);
            }
        }
        for (Map.Entry<SharedInformer, InformerState> e : informers.entrySet()) {
            SharedInformer si = e.getKey();
            if (e.getValue() == InformerState.WATCH_FAILING) {
                String why = si.failure().map(InformerFailure::message).orElse("the watch connection keeps dropping");
                return condition(previous, generation, READY, "False", REASON_WATCH_FAILING, "The watch for " + si.key()
                        + " has been failing since " + si.notWatchingSince().map(Instant::toString).orElse("recently")
                        + "; the cache may be stale. Last error: " + why);
            }
        }
        for (Map.Entry<SharedInformer, InformerState> e : informers.entrySet()) {
            SharedInformer si = e.getKey();
            if (e.getValue() == InformerState.SYNCING) {
                String last = si.failure().map(f -> " Last attempt: " + f.message()).orElse("");
                return condition(previous, generation, READY, "False", REASON_SYNCING, "Listing " + si.key() + " for the first time." + last);
            }
        }
        return condition(previous, generation, READY, "True", REASON_SYNCED, "The cache is synced and watching.");
    }

    /** Whether {@code next} is worth writing over {@code current}, given when item counts were last written. */
    public boolean needsPatch(WatchStatus current, WatchStatus next, Instant lastCountsWrite) {
        if (current == null) {
            return true;
        }
        String a = JSON.asJson(withoutItems(current));
        String b = JSON.asJson(withoutItems(next));
        if (!a.equals(b)) {
            return true;
        }
        boolean countsChanged = !JSON.asJson(current).equals(JSON.asJson(next));
        return countsChanged && (lastCountsWrite == null
                || Duration.between(lastCountsWrite, clock.instant()).compareTo(itemsRefreshInterval) >= 0);
    }

    private static WatchStatus withoutItems(WatchStatus s) {
        WatchStatus copy = JSON.clone(s);
        if (copy.getInformer() != null) {
            copy.getInformer().setItems(null);
            copy.getInformer().setConsumers(null);
        }
        if (copy.getInformers() != null) {
            copy.getInformers().forEach(i -> {
                i.setItems(null);
                i.setConsumers(null);
            });
        }
        return copy;
    }

    private Condition condition(WatchStatus previous, Long generation, String type, String status, String reason, String message) {
        String since = previous == null ? null : previous.getConditions().stream()
                .filter(c -> type.equals(c.getType()) && status.equals(c.getStatus()))
                .map(Condition::getLastTransitionTime).findFirst().orElse(null);
        return new ConditionBuilder().withType(type).withStatus(status).withReason(reason).withMessage(message)
                .withObservedGeneration(generation)
                .withLastTransitionTime(since != null ? since : clock.instant().truncatedTo(java.time.temporal.ChronoUnit.SECONDS).toString())
                .build();
    }

    private static ResolvedResource resolved(ApiResource r) {
        return new ResolvedResource(r.group(), r.version(), r.resource(), r.kind(), r.namespaced());
    }

    /** {@code state} read once by the caller: synced is what {@link SharedInformer#synced} was when it was read. */
    private static InformerStatus informerStatus(SharedInformer si, InformerState state) {
        boolean synced = state == InformerState.SYNCED || state == InformerState.WATCH_FAILING;
        InformerStatus s = new InformerStatus(si.key().toString(), si.consumers(), synced, si.size());
        si.servedFrom().ifPresent(k -> s.setServedFrom(k.toString()));
        return s;
    }

    private static InformerStatus summary(Collection<InformerStatus> each) {
        if (each.size() == 1) {
            return each.iterator().next();
        }
        String key = each.stream().map(InformerStatus::getKey).reduce((a, b) -> a + "; " + b).orElse("");
        int consumers = each.stream().mapToInt(InformerStatus::getConsumers).min().orElse(0);
        boolean synced = each.stream().allMatch(InformerStatus::getSynced);
        int items = each.stream().mapToInt(InformerStatus::getItems).sum();
        InformerStatus s = new InformerStatus(key, consumers, synced, items);
        each.stream().map(InformerStatus::getServedFrom).filter(java.util.Objects::nonNull).distinct().reduce((a, b) -> a + "; " + b)
                .ifPresent(s::setServedFrom);
        return s;
    }
}
