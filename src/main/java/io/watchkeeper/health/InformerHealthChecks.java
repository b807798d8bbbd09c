package io.watchkeeper.health;

import java.time.Duration;
import java.time.Instant;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.HealthCheckResponseBuilder;
import org.eclipse.microprofile.health.Liveness;
import org.eclipse.microprofile.health.Readiness;

import io.watchkeeper.config.WatchkeeperConfig;
import io.watchkeeper.informer.InformerHub;
import io.watchkeeper.informer.InformerState;
import io.watchkeeper.informer.SharedInformer;

/**
 * Health from the informer hub. Readiness: every active informer has synced (a failed informer is reported on its
 * watches and retried; it does not hold readiness down). Liveness: no informer's watch has been failing for longer
 * than {@code watchkeeper.health.watch-failure-grace}.
 */
@ApplicationScoped
public class InformerHealthChecks {

    private final InformerHub hub;
    private final Duration grace;

    @Inject
    public InformerHealthChecks(InformerHub hub, WatchkeeperConfig config) {
        this.hub = hub;
        this.grace = config.health().watchFailureGrace();
    }

    @Readiness
    HealthCheck readiness() {
        return () -> {
            HealthCheckResponseBuilder b = HealthCheckResponse.named("informers-synced").up();
            for (SharedInformer si : hub.informers()) {
                InformerState state = si.state();
                b.withData(si.key().toString(), state.name());
                if (state == InformerState.SYNCING) {
                    b.down();
                }
            }
            return b.build();
        };
    }

    @Liveness
    HealthCheck liveness() {
        return () -> {
            HealthCheckResponseBuilder b = HealthCheckResponse.named("informers-watching").up();
            Instant now = Instant.now();
            for (SharedInformer si : hub.informers()) {
                if (si.state() == InformerState.WATCH_FAILING) {
                    Instant since = si.notWatchingSince().orElse(now);
                    b.withData(si.key().toString(), "watch failing since " + since);
                    if (Duration.between(since, now).compareTo(grace) > 0) {
                        b.down();
                    }
                }
            }
            return b.build();
        };
    }
}
