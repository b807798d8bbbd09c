package io.watchkeeper.stream;

import static io.watchkeeper.metrics.MetricNames.*;

import java.util.Map;
import java.util.function.Supplier;

import jakarta.enterprise.context.ApplicationScoped;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;

/**
 * The stream's meters: connected clients, subscriptions, messages sent by type, clients dropped by reason, connections
 * and subscriptions refused by reason.
 */
@ApplicationScoped
public class StreamMetrics {

    /** Dropped for not reading its messages fast enough. */
    static final String TOO_SLOW = "TooSlow";
    private final MeterRegistry registry;
    private final Map<String, io.micrometer.core.instrument.Counter> sent = new java.util.concurrent.ConcurrentHashMap<>();

    public StreamMetrics(MeterRegistry registry) {
        this.registry = registry;
    }

    void bind(Supplier<Map<String, StreamClient>> clients) {
        Gauge.builder(STREAM_CLIENTS, () -> clients.get().size()).description("Connected stream clients").register(registry);
        Gauge.builder(STREAM_SUBSCRIPTIONS, () -> clients.get().values().stream().mapToInt(c -> c.subscriptions.size()).sum())
                .description("Watches subscribed to over the stream").register(registry);
        // at zero from the start, so that an alert on its increase and a dashboard see the first drop too
        registry.counter(STREAM_CLIENTS_DROPPED, TAG_REASON, TOO_SLOW);
    }

    void sent(String type) {
        sent.computeIfAbsent(type, t -> registry.counter(STREAM_MESSAGES, TAG_MESSAGE, t)).increment(); // per message: no registry lookup
    }

    /** A connection or subscription refused before it began (over a limit, a foreign origin). */
    void refused(String reason) {
        registry.counter(STREAM_REFUSALS, TAG_REASON, reason).increment();
    }

    void dropped(String reason) {
        registry.counter(STREAM_CLIENTS_DROPPED, TAG_REASON, reason).increment();
    }
}
