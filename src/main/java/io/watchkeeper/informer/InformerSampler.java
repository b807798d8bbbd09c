package io.watchkeeper.informer;

import java.time.Clock;
import java.time.Instant;
import java.util.Collection;
import java.util.function.Supplier;

import org.jboss.logging.Logger;

/**
 * Looks at every shared informer once a second (and after each sync): whether its watch runs, and whether the state its
 * consumers see changed; if so it says so in the log and tells the consumers. Then refreshes the informer gauges.
 */
final class InformerSampler {

    private static final Logger LOG = Logger.getLogger(InformerSampler.class);

    private final Supplier<Collection<SharedInformer>> informers;
    private final Clock clock;
    private final InformerMetrics metrics;

    InformerSampler(Supplier<Collection<SharedInformer>> informers, Clock clock, InformerMetrics metrics) {
        this.informers = informers;
        this.clock = clock;
        this.metrics = metrics;
    }

    void sample() {
        try {
            Instant now = clock.instant();
            for (SharedInformer si : informers.get()) {
                si.sample(now).ifPresent(was -> {
                    InformerState state = si.state();
                    if (state == InformerState.WATCH_FAILING) {
                        LOG.warnf("Informer %s: watch failing since %s, cache may be stale: %s", si.key(), si.notWatchingSince().orElse(now),
                                si.failure().map(InformerFailure::message).orElse("connection lost"));
                    } else if (was == InformerState.WATCH_FAILING && state == InformerState.SYNCED) {
                        LOG.infof("Informer %s: watch recovered", si.key());
                    }
                    si.notifyConsumers();
                });
            }
            metrics.refresh();
        } catch (RuntimeException e) {
            LOG.warn("Informer sampling failed", e);
        }
    }
}
