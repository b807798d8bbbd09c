package io.watchkeeper.informer;

import static io.watchkeeper.metrics.MetricNames.*;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.function.ToDoubleFunction;
import java.util.stream.Collectors;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.MultiGauge;
import io.micrometer.core.instrument.Tags;

/**
 * The informer hub's meters. Gauges are aggregated per (resource, namespace scope): informers that differ only by
 * selector add up, so labels stay bounded by what is watched, never by what is in the cache.
 */
@ApplicationScoped
public class InformerMetrics {

    private final MeterRegistry registry;
    private final MultiGauge consumers;
    private final MultiGauge items;
    private final MultiGauge synced;
    private final MultiGauge lastEvent;
    private volatile InformerHub hub;

    @Inject
    public InformerMetrics(MeterRegistry registry) {
        this.registry = registry;
        this.consumers = MultiGauge.builder(INFORMER_CONSUMERS).description("Consumers (watches, reconcilers) sharing the informers").register(registry);
        this.items = MultiGauge.builder(INFORMER_CACHE_ITEMS).description("Objects in informer caches").register(registry);
        this.synced = MultiGauge.builder(INFORMER_SYNCED).description("1 when every informer for the resource and namespace has synced").register(registry);
        this.lastEvent = MultiGauge.builder(INFORMER_LAST_EVENT).description("Unix time of the last event an informer received").baseUnit("seconds").register(registry);
    }

    void bind(InformerHub hub) {
        this.hub = hub;
        Gauge.builder(INFORMERS_ACTIVE, hub, h -> h.informers().size()).description("Running shared informers").register(registry);
    }

    /** Recomputes the gauges' rows: called by the hub's sampler, and before each scrape would matter no more often. */
    void refresh() {
        InformerHub h = hub;
        if (h == null) {
            return;
        }
        Map<Tags, List<SharedInformer>> groups = h.informers().stream()
                .collect(Collectors.groupingBy(si -> tags(si.key())));
        consumers.register(rows(groups, all -> all.stream().mapToInt(SharedInformer::consumers).sum()), true);
        items.register(rows(groups, all -> all.stream().mapToInt(SharedInformer::size).sum()), true);
        synced.register(rows(groups, all -> all.stream().allMatch(SharedInformer::synced) ? 1 : 0), true);
        lastEvent.register(rows(groups, all -> all.stream().map(SharedInformer::lastEvent).flatMap(java.util.Optional::stream)
                .mapToLong(Instant::toEpochMilli).max().orElse(0) / 1000.0), true);
    }

    private static List<MultiGauge.Row<?>> rows(Map<Tags, List<SharedInformer>> groups,
            ToDoubleFunction<Collection<SharedInformer>> value) {
        List<MultiGauge.Row<?>> rows = new ArrayList<>();
        groups.forEach((tags, list) -> rows.add(MultiGauge.Row.of(tags, list, l -> value.applyAsDouble(l))));
        return rows;
    }

    /** The event counter for one informer and event type; informers keep theirs, as events are the hot path. */
    Counter eventCounter(InformerKey key, String type) {
        return Counter.builder(INFORMER_EVENTS).description("Events received by informers").tags(tags(key)).tag(TAG_TYPE, type)
                .register(registry);
    }

    /** An informer's first LIST: its relist and watch-restart counters start at zero, so their first increase shows. */
    void firstList(InformerKey key) {
        relists(key);
        watchRestarts(key);
    }

    void relist(InformerKey key) {
        relists(key).increment();
    }

    void watchRestart(InformerKey key) {
        watchRestarts(key).increment();
    }

    private Counter relists(InformerKey key) {
        return Counter.builder(INFORMER_RELISTS).description("Full LISTs after an informer's first (410 Gone, errors, restarts)")
                .tags(tags(key)).register(registry);
    }

    private Counter watchRestarts(InformerKey key) {
        return Counter.builder(INFORMER_WATCH_RESTARTS).description("WATCH requests after an informer's first").tags(tags(key))
                .register(registry);
    }

    void failure(InformerKey key, String reason) {
        Counter.builder(INFORMER_FAILURES).description("List or watch failures by reason").tags(tags(key)).tag(TAG_REASON, reason)
                .register(registry).increment();
    }

    /** Counts a read served from cache instead of the API server. */
    public void read(InformerKey key, String operation) {
        Counter.builder(CACHE_READS).description("Reads served from informer caches (API server requests saved)").tags(tags(key))
                .tag(TAG_OPERATION, operation).register(registry).increment();
    }

    private static Tags tags(InformerKey key) {
        return Tags.of(TAG_RESOURCE, key.resourceLabel(), TAG_NAMESPACE, key.namespaceLabel());
    }
}
