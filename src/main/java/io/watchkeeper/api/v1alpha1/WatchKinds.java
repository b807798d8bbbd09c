package io.watchkeeper.api.v1alpha1;

/** API group and version of Watchkeeper's custom resources. */
public final class WatchKinds {
    public static final String GROUP = "watchkeeper.io";
    public static final String VERSION = "v1alpha1";

    private WatchKinds() {
    }
}
