package io.watchkeeper.watch;

import java.util.Map;
import java.util.Optional;

import io.watchkeeper.discovery.ApiResource;
import io.watchkeeper.informer.InformerKey;
import io.watchkeeper.informer.SharedInformer;

/**
 * What a watch's spec led to: the resolved resource and the shared informers it now holds, or the problem that stopped
 * it (an unknown resource, a selector that does not parse).
 *
 * @param resource  resolved resource, empty when resolution failed
 * @param informers informers held, by key (empty when there is a problem)
 * @param problem   what went wrong before any informer could be used
 */
public record Subscription(Optional<ApiResource> resource, Map<InformerKey, SharedInformer> informers, Optional<Problem> problem) {

    /**
     * @param resolution whether the problem is in resolving spec.resource (Resolved=False) or later (Resolved=True)
     * @param reason     CamelCase condition reason
     * @param message    what a person should do
     * @param retry      whether it may go away without the watch changing (a CRD installed, quota freed): look again soon
     */
    public record Problem(boolean resolution, String reason, String message, boolean retry) {

        Problem(boolean resolution, String reason, String message) {
            this(resolution, reason, message, resolution);
        }
    }

    static Subscription failed(Optional<ApiResource> resource, Problem problem) {
        return new Subscription(resource, Map.of(), Optional.of(problem));
    }
}
