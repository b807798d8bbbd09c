package io.watchkeeper.config;

import java.time.Duration;
import java.util.List;
import java.util.Optional;

import io.quarkus.runtime.configuration.MemorySize;
import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

/** Every Watchkeeper setting, under the {@code watchkeeper.} prefix. Framework keys live in application.properties. */
@ConfigMapping(prefix = "watchkeeper")
public interface WatchkeeperConfig {

    Discovery discovery();

    Informers informers();

    Status status();

    Api api();

    Demo demo();

    Insight insight();

    Stream stream();

    Watches watches();

    LeaderElection leaderElection();

    /** Check at start-up that the API server answers, and say in one line what to set when it does not. */
    @WithDefault("true")
    boolean startupCheck();

    interface Discovery {
        /** Least time between two discovery refreshes caused by a name that did not resolve. */
        @WithDefault("5s")
        Duration refreshMinInterval();

        /** How often a watch whose resource does not resolve (unknown, ambiguous) tries again. */
        @WithDefault("10s")
        Duration retryInterval();
    }

    interface Informers {
        /** First retry delay after an informer fails to start (403, missing resource); doubles up to retry-max. */
        @WithDefault("5s")
        Duration retryInitial();

        @WithDefault("2m")
        Duration retryMax();

        /**
         * Objects per page of an informer's list (relists, and the insight controllers' lists but the Pod one's first): a list
         * of 10,000 pods then never holds more than one page's objects at once besides the cache, so the heap does not
         * grow by the whole list. 0 lists everything in one response.
         */
        @WithDefault("500")
        long listPageSize();

        /**
         * Whether the first list of a resource new to the hub (nothing of it published yet, by any question) is read in
         * one response from the API server's watch cache, each object parsed and cached as it arrives: sooner than pages,
         * with no more heap than pages. The list may be a moment older than etcd; the watch from its resourceVersion
         * brings it up to date. Every other list (a retry, a relist after a watch expired, a restarted informer, a
         * containing question that will serve one already published) reads etcd, by pages, so that a view never goes
         * back in time. Applies to the hub's informers (ResourceWatches, ClusterResourceWatches) and to the Pod insight
         * controller's informer over all namespaces or one; the Service insight controller's informer reads pages.
         */
        @WithDefault("true")
        boolean firstListFromWatchCache();
    }

    interface Status {
        /** Item and consumer counts in watch status are refreshed at most this often, so watching does not load the API server. */
        @WithDefault("30s")
        Duration countsRefreshInterval();
    }

    interface Api {
        /**
         * {@code auto}: no checks with the embedded demo cluster, else {@code tokenreview}. {@code tokenreview}: callers
         * authenticate with a bearer token checked by TokenReview and SubjectAccessReview. {@code none}: no checks; refused
         * at start-up unless the embedded demo cluster runs.
         */
        @WithDefault("auto")
        AuthMode auth();

        /** How long an authentication or authorization decision is reused; live streams are checked again this often. */
        @WithDefault("10s")
        Duration decisionCacheTtl();

        /**
         * How long a decision the API server gave before is still used while the API server cannot be asked (down,
         * restarting, answering 5xx), so that readers keep being served from the cache during an outage.
         */
        @WithDefault("5m")
        Duration decisionGraceDuringOutage();

        /** Failed TokenReviews allowed per client address in each window; beyond it, 429 without asking the API server. */
        @WithDefault("30")
        int failedTokenReviews();

        @WithDefault("1m")
        Duration failedTokenReviewsWindow();

        /**
         * Origins (scheme://host:port) besides the operator's own whose web pages may open the stream; a WebSocket from
         * any other origin is refused (403). Clients that send no Origin header (not browsers) are not affected.
         */
        Optional<List<String>> allowedOrigins();

        /** Retry-After seconds sent with 503 while a cache is not synced. */
        @WithDefault("2")
        int retryAfterSeconds();
    }

    interface Insight {
        /**
         * Namespaces the Pod and Service insight reconcilers watch: {@code *} for all, {@code own} for the operator's
         * own namespace, or a list of names.
         */
        @WithDefault("*")
        List<String> namespaces();

        Pods pods();

        Services services();

        interface Pods {
            /** Turns the Pod insight reconciler (PodReconciler) on or off. */
            @WithDefault("true")
            boolean enabled();

            /** A pod still Pending (scheduled or not) after this long is a problem ({@code PendingTooLong}). */
            @WithDefault("5m")
            Duration pendingThreshold();

            /**
             * A pod whose containers restarted more than this many times within {@link #restartWindow()} is a problem
             * ({@code TooManyRestarts}).
             */
            @WithDefault("5")
            int restartThreshold();

            /** The window {@link #restartThreshold()} counts restarts in: a pod that stops restarting leaves the problem. */
            @WithDefault("1h")
            Duration restartWindow();

            /**
             * A container that crashed or was OOM-killed counts as recovered only once it has run this long again: between
             * the kubelet's restarts it runs briefly, which is not a recovery (one Warning per episode).
             */
            @WithDefault("60s")
            Duration recoveryGrace();
        }

        interface Services {
            /** Turns the Service insight reconciler (ServiceReconciler) on or off. */
            @WithDefault("true")
            boolean enabled();
        }
    }

    interface Stream {
        /** How often each stream subscription gets a BOOKMARK with the resourceVersion it is current at. */
        @WithDefault("30s")
        Duration bookmarkInterval();

        /**
         * Bytes (of JSON) of changes kept per informer for stream clients that resume, only while a stream client follows
         * the informer or for {@code replay-retention} after the last one left or the last HTTP list; older resumes get a
         * new snapshot. Also how far a stream client that has stopped reading may fall behind in one informer's changes
         * of a subscription: with more than this unread, once its connection has taken nothing for a second, it is told
         * why and disconnected (and gets a new snapshot when it reconnects), so that such a client keeps alive little
         * more than this log does (what arrived within that second). A client whose writes each complete within a
         * second, and one being written a snapshot, are held back by {@code client-queue-size} only. {@code 0} keeps no
         * log: then only {@code client-queue-size} holds a client back.
         */
        @WithDefault("4M")
        MemorySize replayBufferSize();

        /** How long the replay buffer is kept after the last stream client left, so that a reconnecting one can resume. */
        @WithDefault("2m")
        Duration replayRetention();

        /**
         * Bytes queued per stream client, all its subscriptions' messages together (snapshots, changes, bookmarks not yet
         * taken by the client); a client that falls this far behind is told why and disconnected. A message larger than
         * this (a big snapshot) is taken one at a time, uncounted: the bound may fill behind it. Each subscription's
         * changes are held to {@code replay-buffer-size} per informer besides.
         */
        @WithDefault("32M")
        MemorySize clientQueueSize();

        /** Subscriptions one connection may hold. */
        @WithDefault("50")
        int maxSubscriptionsPerClient();

        /** Stream connections one user (as TokenReview names them) may hold at once. */
        @WithDefault("10")
        int maxConnectionsPerUser();

        /** Stream connections in all, authenticated or not. */
        @WithDefault("500")
        int maxConnections();

        /** How long a new connection may take to authenticate (its first message) before it is closed. */
        @WithDefault("10s")
        Duration authTimeout();
    }

    interface Watches {
        /**
         * Distinct informers (questions: resource, namespace, selectors) that the ResourceWatches of one namespace may
         * hold; a watch whose question would be one more gets Ready=False (InformerQuotaExceeded) and starts nothing.
         * ClusterResourceWatches, which only cluster administrators create, have no quota.
         */
        @WithDefault("10")
        int informersPerNamespace();
    }

    /**
     * Replicas elect one leader through a {@code coordination.k8s.io} Lease (the Java Operator SDK's leader election):
     * only the leader writes watch status and Events; every replica serves reads and streams from its own caches.
     * Active in the packaged operator (the {@code prod} profile), not in dev mode.
     */
    interface LeaderElection {
        @WithDefault("true")
        boolean enabled();

        /** The Lease's name. */
        @WithDefault("watchkeeper-leader")
        String leaseName();

        /** The Lease's namespace; by default the operator's own (in a pod, its namespace; else the kubeconfig's). */
        Optional<String> leaseNamespace();

        /** How long a leader that stops renewing (it crashed, or cannot reach the API server) keeps the Lease. */
        @WithDefault("15s")
        Duration leaseDuration();

        /** How long a leader keeps trying to renew before it gives up leading (and exits, so that it restarts as a follower). */
        @WithDefault("10s")
        Duration renewDeadline();

        /**
         * How often the leader renews and followers try to acquire (followers wait between one and 2.2 times this). A
         * leader that stops gracefully releases the Lease, so a follower takes over within this.
         */
        @WithDefault("500ms")
        Duration retryPeriod();
    }

    interface Demo {
        /**
         * {@code auto}: run against an embedded demo cluster (a local etcd + kube-apiserver + kube-controller-manager,
         * with sample workloads) when no cluster is configured; {@code always}; {@code never}.
         */
        @WithDefault("never")
        DemoMode cluster();

        /**
         * Whether the demo cluster gets a real node (containerd, kubelet, kube-proxy: {@code install-testbed.sh --node})
         * so its sample pods really run, crash and fail probes, when this machine can run one; otherwise its pods'
         * status is simulated.
         */
        @WithDefault("true")
        boolean node();
    }

    enum DemoMode {
        auto,
        always,
        never
    }

    enum AuthMode {
        auto,
        tokenreview,
        none;

        /**
         * Whether callers' tokens are checked, talking to the embedded demo cluster or not.
         *
         * @throws IllegalStateException for {@code none} against a real cluster, saying what to do
         */
        public boolean checksTokens(boolean demoCluster) {
            if (this == none && !demoCluster) {
                throw new IllegalStateException("watchkeeper.api.auth=none is allowed only with the embedded demo cluster "
                        + "(watchkeeper.demo.cluster): against a real cluster every caller must show a token. Remove the setting: "
                        + "the default, auto, checks tokens against a real cluster and not with the demo cluster.");
            }
            return this == tokenreview || !demoCluster;
        }
    }
}
