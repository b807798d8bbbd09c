package io.watchkeeper.stream;

import java.net.URI;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import org.jboss.logging.Logger;

import io.quarkus.websockets.next.HttpUpgradeCheck;
import io.smallrye.mutiny.Uni;
import io.watchkeeper.config.WatchkeeperConfig;

/**
 * Before a WebSocket is opened: a browser page from another site may not open the stream (the browser would send the
 * user's cookies or an open localhost port along, and the page would read what the user may read), and no more than
 * {@code watchkeeper.stream.max-connections} connections exist at once. A request whose {@code Origin} names the host it
 * was sent to (the operator's own page), or an origin in {@code watchkeeper.api.allowed-origins}, is let through; so is
 * one without an {@code Origin} header (not a browser: kubectl-style clients, scripts).
 */
@ApplicationScoped
public class StreamUpgradeCheck implements HttpUpgradeCheck {

    private static final Logger LOG = Logger.getLogger(StreamUpgradeCheck.class);

    private final StreamService service;
    private final StreamMetrics metrics;
    private final Set<String> allowed;
    private final int retryAfter;

    @Inject
    public StreamUpgradeCheck(StreamService service, StreamMetrics metrics, WatchkeeperConfig config) {
        this.service = service;
        this.metrics = metrics;
        this.allowed = config.api().allowedOrigins().orElse(List.of()).stream().map(o -> o.toLowerCase(Locale.ROOT).replaceAll("/+$", ""))
                .collect(Collectors.toUnmodifiableSet());
        this.retryAfter = config.api().retryAfterSeconds();
    }

    @Override
    public Uni<CheckResult> perform(HttpUpgradeContext context) {
        String origin = context.httpRequest().getHeader("Origin");
        String host = context.httpRequest().getHeader("Host");
        if (origin != null && !sameSite(origin, host) && !allowed.contains(origin.toLowerCase(Locale.ROOT))) {
            metrics.refused("ForeignOrigin");
            LOG.infof("Refused a stream connection from a page of %s (not this operator's own, nor in watchkeeper.api.allowed-origins)",
                    origin.replaceAll("[^\\x20-\\x7e]", "?"));
            return CheckResult.rejectUpgrade(403);
        }
        if (!service.roomForAnotherConnection()) {
            metrics.refused("TooManyConnections");
            return CheckResult.rejectUpgrade(503, Map.of("Retry-After", List.of(String.valueOf(retryAfter))));
        }
        return CheckResult.permitUpgrade();
    }

    /** Whether {@code origin} (scheme://host[:port]) names the host and port the request was sent to ({@code Host}). */
    static boolean sameSite(String origin, String host) {
        if (host == null || host.isEmpty()) {
            return false;
        }
        try {
            URI o = URI.create(origin);
            URI h = URI.create("//" + host);
            if (o.getHost() == null || h.getHost() == null || !o.getHost().equalsIgnoreCase(h.getHost())) {
                return false;
            }
            // a port left out is the default one of the scheme the page was loaded with
            int defaultPort = "https".equalsIgnoreCase(o.getScheme()) ? 443 : 80;
            return (o.getPort() >= 0 ? o.getPort() : defaultPort) == (h.getPort() >= 0 ? h.getPort() : defaultPort);
        } catch (IllegalArgumentException e) {
            return false;
        }
    }
}
