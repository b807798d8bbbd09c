package io.watchkeeper.insight;

import static io.watchkeeper.metrics.MetricNames.*;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;

import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.runtime.Startup;
import io.micrometer.core.instrument.MultiGauge;
import io.micrometer.core.instrument.Tags;
import io.watchkeeper.insight.InsightStore.PodFinding;
import io.watchkeeper.insight.InsightStore.ServiceFinding;

/**
 * The insight meters, sampled from the {@link InsightStore} once a second. A (namespace, reason) or (namespace, state)
 * series, once seen, stays and reads 0 when nothing is in it, so that alerts see the problem go away rather than the
 * series vanish.
 */
@ApplicationScoped
@Startup // sampled from the start, not from the first Event written
public class InsightMetrics {

    private final MeterRegistry registry;
    private final InsightStore store;
    private final MultiGauge podProblems;
    private final MultiGauge selected;
    private final MultiGauge ready;
    private final MultiGauge services;
    private final Set<Tags> problemSeries = ConcurrentHashMap.newKeySet();
    private final Set<String> serviceNamespaces = ConcurrentHashMap.newKeySet();
    /** The store's change count at the last pass ({@link #refresh}); -1 before the first. */
    private long refreshedAt = -1;
    private final ScheduledExecutorService sampler = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "watchkeeper-insight-metrics");
        t.setDaemon(true);
        return t;
    });

    public InsightMetrics(MeterRegistry registry, InsightStore store) {
        this.registry = registry;
        this.store = store;
        this.podProblems = MultiGauge.builder(POD_PROBLEMS).description("Pods with a problem now, by reason").register(registry);
        this.selected = MultiGauge.builder(SERVICE_SELECTED_PODS).description("Running pods a Service's selector matches").register(registry);
        this.ready = MultiGauge.builder(SERVICE_READY_PODS).description("Ready pods behind a Service").register(registry);
        this.services = MultiGauge.builder(SERVICES).description("Services by insight state").register(registry);
        // at zero from the start, so that an alert on their increase and a dashboard see the first failure too
        for (String kind : List.of("Pod", "Service")) {
            registry.counter(INSIGHT_EVENT_FAILURES, TAG_KIND, kind);
        }
        sampler.scheduleWithFixedDelay(this::refresh, 1, 1, TimeUnit.SECONDS);
    }

    /** A pod entered a problem ({@code reason}) or left one ({@code Recovered}). */
    void podTransition(String namespace, String reason) {
        registry.counter(POD_PROBLEM_TRANSITIONS, TAG_NAMESPACE, namespace, TAG_REASON, reason).increment();
        if (!PodProblem.RECOVERED.equals(reason)) {
            // seen now, even if the problem is gone before the next sample
            problemSeries.add(Tags.of(TAG_NAMESPACE, namespace, TAG_REASON, reason));
        }
    }

    void eventFailed(String kind) {
        registry.counter(INSIGHT_EVENT_FAILURES, TAG_KIND, kind).increment();
    }

    /**
     * Recomputes the gauges from the store, once a second, and only when a finding may have changed since the last
     * pass: a quiet cluster costs nothing per second, however many pods and Services it has.
     */
    synchronized void refresh() {
        long changes = store.changes();
        if (changes == refreshedAt) {
            return;
        }
        refreshedAt = changes;
        Map<Tags, Integer> problems = new HashMap<>();
        for (PodFinding f : store.podProblems()) {
            Tags t = Tags.of(TAG_NAMESPACE, f.namespace(), TAG_REASON, f.problem().reason());
            problemSeries.add(t);
            problems.merge(t, 1, Integer::sum);
        }
        List<MultiGauge.Row<?>> problemRows = new ArrayList<>();
        problemSeries.forEach(t -> problemRows.add(MultiGauge.Row.of(t, problems.getOrDefault(t, 0))));
        podProblems.register(problemRows, true);

        List<MultiGauge.Row<?>> selectedRows = new ArrayList<>();
        List<MultiGauge.Row<?>> readyRows = new ArrayList<>();
        Map<Tags, Integer> byState = new HashMap<>();
        for (ServiceFinding f : store.services()) {
            Tags t = Tags.of(TAG_NAMESPACE, f.namespace(), TAG_SERVICE, f.name());
            selectedRows.add(MultiGauge.Row.of(t, f.health().selectedPods().size()));
            readyRows.add(MultiGauge.Row.of(t, f.health().readyPods().size()));
            serviceNamespaces.add(f.namespace());
            byState.merge(Tags.of(TAG_NAMESPACE, f.namespace(), TAG_STATE, f.health().state().name()), 1, Integer::sum);
        }
        selected.register(selectedRows, true);
        ready.register(readyRows, true);
        List<MultiGauge.Row<?>> stateRows = new ArrayList<>();
        for (String ns : serviceNamespaces) {
            for (ServiceState s : ServiceState.values()) {
                Tags t = Tags.of(TAG_NAMESPACE, ns, TAG_STATE, s.name());
                stateRows.add(MultiGauge.Row.of(t, byState.getOrDefault(t, 0)));
            }
        }
        services.register(stateRows, true);
    }

    @PreDestroy
    void shutdown() {
        sampler.shutdownNow();
    }
}
