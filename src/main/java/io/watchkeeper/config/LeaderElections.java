package io.watchkeeper.config;

import java.util.Collections;
import java.util.List;

import org.eclipse.microprofile.config.ConfigProvider;

import io.quarkus.runtime.configuration.ConfigUtils;

/** Where and whether replicas elect a leader: what the start-up check and the election itself must agree on. */
public final class LeaderElections {

    /** QOSDK's build-time setting: the profiles it runs JOSDK's leader election in ({@code prod} by default). */
    private static final String PROFILES = "quarkus.operator-sdk.activate-leader-election-for-profiles";

    private LeaderElections() {
    }

    /** Whether this process elects: leader election is on, and QOSDK runs it in one of the active profiles. */
    public static boolean active(WatchkeeperConfig.LeaderElection config) {
        List<String> electing = ConfigProvider.getConfig().getOptionalValues(PROFILES, String.class).orElse(List.of("prod"));
        return config.enabled() && !Collections.disjoint(ConfigUtils.getProfiles(), electing);
    }

    /** The Lease's namespace: the configured one, else the client's (a pod's own namespace), else {@code default}. */
    public static String leaseNamespace(WatchkeeperConfig.LeaderElection config, String clientNamespace) {
        return config.leaseNamespace().orElse(clientNamespace == null || clientNamespace.isBlank() ? "default" : clientNamespace);
    }
}
