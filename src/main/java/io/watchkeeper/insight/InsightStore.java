package io.watchkeeper.insight;

import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicReference;

import jakarta.enterprise.context.ApplicationScoped;

import io.javaoperatorsdk.operator.processing.event.ResourceID;

/**
 * What the insight reconcilers currently know: every pod with a problem, and every Service's health, each with the
 * time it entered its current state, as this replica saw it (every replica judges, the leader's reconcilers and a
 * follower's shadow alike). Recording a finding says whether it was a transition here; Events are decided against the
 * Events themselves ({@link EventLedger}), which outlive this store. Kept in memory; rebuilt from the caches after a
 * restart.
 */
@ApplicationScoped
public class InsightStore {

    public record PodFinding(String namespace, String name, PodProblem problem, Instant since) {
    }

    public record ServiceFinding(String namespace, String name, ServiceHealth health, Instant since) {
    }

    /** A change of a pod's problem: {@code before} or {@code after} is null when there was none / is none. */
    public record PodTransition(PodProblem before, PodProblem after) {
    }

    /** A change of a Service's state; {@code before} is null the first time the Service is judged. */
    public record ServiceTransition(ServiceState before, ServiceState after) {
    }

    private final Map<ResourceID, PodFinding> pods = new ConcurrentHashMap<>();
    private final Map<ResourceID, ServiceFinding> services = new ConcurrentHashMap<>();
    /** Counts the calls that may have changed a finding: readers that summarise the store skip a pass when it is still. */
    private final java.util.concurrent.atomic.AtomicLong changes = new java.util.concurrent.atomic.AtomicLong();

    /**
     * Grows with every record or forget, after its change: equal values mean the findings are unchanged in between, and
     * a reader that read this count first sees at least the changes it counts.
     */
    public long changes() {
        return changes.get();
    }

    /** Records what is wrong with a pod now (empty: nothing); returns the transition if the problem's reason changed. */
    public Optional<PodTransition> recordPod(ResourceID id, Optional<PodProblem> problem, Instant now) {
        AtomicReference<PodTransition> transition = new AtomicReference<>();
        pods.compute(id, (k, before) -> {
            if (problem.isEmpty()) {
                if (before != null) {
                    transition.set(new PodTransition(before.problem(), null));
                }
                return null;
            }
            PodProblem p = problem.get();
            if (before == null || !before.problem().reason().equals(p.reason())) {
                transition.set(new PodTransition(before == null ? null : before.problem(), p));
                return new PodFinding(id.getNamespace().orElse(""), id.getName(), p, now);
            }
            return new PodFinding(before.namespace(), before.name(), p, before.since());
        });
        changes.incrementAndGet(); // after the change: whoever sees the new count sees the change
        return Optional.ofNullable(transition.get());
    }

    /** Records a Service's health now; returns the transition if its state changed (or it is judged for the first time). */
    public Optional<ServiceTransition> recordService(ResourceID id, ServiceHealth health, Instant now) {
        AtomicReference<ServiceTransition> transition = new AtomicReference<>();
        services.compute(id, (k, before) -> {
            if (before == null || before.health().state() != health.state()) {
                transition.set(new ServiceTransition(before == null ? null : before.health().state(), health.state()));
                return new ServiceFinding(id.getNamespace().orElse(""), id.getName(), health, now);
            }
            return new ServiceFinding(before.namespace(), before.name(), health, before.since());
        });
        changes.incrementAndGet();
        return Optional.ofNullable(transition.get());
    }

    public void forgetPod(ResourceID id) {
        pods.remove(id);
        changes.incrementAndGet();
    }

    public void forgetService(ResourceID id) {
        services.remove(id);
        changes.incrementAndGet();
    }

    public Optional<ServiceFinding> service(ResourceID id) {
        return Optional.ofNullable(services.get(id));
    }

    public Collection<PodFinding> podProblems() {
        return List.copyOf(pods.values());
    }

    public Collection<ServiceFinding> services() {
        return List.copyOf(services.values());
    }
}
