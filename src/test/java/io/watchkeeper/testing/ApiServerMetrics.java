package io.watchkeeper.testing;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The API server's own Prometheus metrics, read as cluster admin. */
public final class ApiServerMetrics {

    private ApiServerMetrics() {
    }

    /** {@code apiserver_registered_watchers} for a core-group kind: open watches the API server serves for it. */
    public static long registeredWatchers(String kind) {
        String metrics = TestCluster.admin().raw("/metrics");
        Pattern p = Pattern.compile("(?m)^apiserver_registered_watchers\\{group=\"\",kind=\"" + kind + "\",version=\"v1\"} (\\d+)");
        Matcher m = p.matcher(metrics);
        return m.find() ? Long.parseLong(m.group(1)) : 0;
    }
}
