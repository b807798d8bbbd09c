package io.watchkeeper.health;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.HealthCheckResponseBuilder;
import org.eclipse.microprofile.health.Readiness;

import io.watchkeeper.informer.InformerHub;
import io.watchkeeper.informer.InformerState;
import io.watchkeeper.informer.SharedInformer;

/**
 * The users' watches in the health report, as details only. A watch that cannot sync or keeps failing (a broken
 * conversion webhook, RBAC revoked, an API server outage) is its own watch's problem: it is reported on that watch's
 * status, in the informer metrics and here, but it never takes the shared operator out of its Service (readiness) or
 * gets it restarted (liveness). Readiness is the operator's own machinery: its controllers' event sources (the Java
 * Operator SDK's check) and the HTTP server answering.
 */
@ApplicationScoped
public class InformerHealthChecks {

    private final InformerHub hub;

    @Inject
    public InformerHealthChecks(InformerHub hub) {
        this.hub = hub;
    }

    @Readiness
    HealthCheck watches() {
        return () -> {
            HealthCheckResponseBuilder b = HealthCheckResponse.named("watch-informers").up();
            int notSynced = 0;
            for (SharedInformer si : hub.informers()) {
                InformerState state = si.state();
                String detail = state.name() + si.failure().filter(f -> state != InformerState.SYNCED).map(f -> ": " + f.message()).orElse("");
                b.withData(si.key().toString(), detail);
                if (state != InformerState.SYNCED) {
                    notSynced++;
                }
            }
            return b.withData("notSynced", notSynced).build();
        };
    }
}
