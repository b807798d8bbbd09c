package io.watchkeeper.discovery;

/** A resource name that could not be resolved; {@link #reason()} becomes the condition reason. */
public class ResolutionException extends Exception {

    public enum Reason {
        /** No resource answers to the name. */
        ResourceNotFound,
        /** Several API groups have a resource of that name. */
        AmbiguousResource,
        /** The resource exists but does not support list and watch. */
        ResourceNotWatchable,
        /** API discovery itself failed. */
        DiscoveryFailed
    }

    private final Reason reason;

    public ResolutionException(Reason reason, String message) {
        super(message);
        this.reason = reason;
    }

    public Reason reason() {
        return reason;
    }
}
