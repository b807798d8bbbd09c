package io.watchkeeper.informer;

/**
 * resourceVersions are opaque strings to clients, but every API server backed by etcd hands out its revision numbers;
 * ordering and resuming rely on that, and treat anything else as "unknown".
 */
public final class ResourceVersions {

    private ResourceVersions() {
    }

    /** The number, or -1 when there is none. */
    public static long parse(String rv) {
        if (rv == null || rv.isEmpty()) {
            return -1;
        }
        try {
            return Long.parseLong(rv);
        } catch (NumberFormatException e) {
            return -1;
        }
    }
}
