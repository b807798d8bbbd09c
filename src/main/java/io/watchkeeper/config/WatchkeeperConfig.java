package io.watchkeeper.config;

import java.time.Duration;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

/** Every Watchkeeper setting, under the {@code watchkeeper.} prefix. Framework keys live in application.properties. */
@ConfigMapping(prefix = "watchkeeper")
public interface WatchkeeperConfig {

    Discovery discovery();

    Informers informers();

    Status status();

    Api api();

    Health health();

    Demo demo();

    Insight insight();

    Stream stream();

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
    }

    interface Status {
        /** Item and consumer counts in watch status are refreshed at most this often, so watching does not load the API server. */
        @WithDefault("30s")
        Duration countsRefreshInterval();
    }

    interface Api {
        /** {@code tokenreview}: callers authenticate with a bearer token checked by TokenReview and SubjectAccessReview. {@code none}: no checks, for local demos only. */
        @WithDefault("tokenreview")
        AuthMode auth();

        /** How long an authentication or authorization decision is reused. */
        @WithDefault("10s")
        Duration decisionCacheTtl();

        /** Retry-After seconds sent with 503 while a cache is not synced. */
        @WithDefault("2")
        int retryAfterSeconds();
    }

    interface Health {
        /** Liveness goes DOWN when an informer's watch has been failing for longer than this. */
        @WithDefault("5m")
        Duration watchFailureGrace();
    }

    interface Insight {
        /**
         * Namespaces the Pod and Service insight reconcilers watch: {@code *} for all, {@code own} for the operator's
         * own namespace, or a list of names.
         */
        @WithDefault("*")
        java.util.List<String> namespaces();

        Pods pods();

        Services services();

        interface Pods {
            /** Turns the Pod insight reconciler (PodReconciler) on or off. */
            @WithDefault("true")
            boolean enabled();

            /** A pod still Pending (scheduled or not) after this long is a problem ({@code PendingTooLong}). */
            @WithDefault("5m")
            Duration pendingThreshold();

            /** A pod whose containers restarted more than this many times in all is a problem ({@code TooManyRestarts}). */
            @WithDefault("5")
            int restartThreshold();
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

        /** Changes kept per informer for stream clients that resume; older resumes get a new snapshot. */
        @WithDefault("1000")
        int replayBuffer();

        /** Messages queued per stream client; a client that falls this far behind is told why and disconnected. */
        @WithDefault("1000")
        int clientQueue();

        /** How long a new connection may take to authenticate (its first message) before it is closed. */
        @WithDefault("10s")
        Duration authTimeout();
    }

    interface Demo {
        /**
         * {@code auto}: run against an embedded demo cluster (a local etcd + kube-apiserver + kube-controller-manager,
         * with sample workloads) when no cluster is configured; {@code always}; {@code never}.
         */
        @WithDefault("never")
        DemoMode cluster();
    }

    enum DemoMode {
        auto,
        always,
        never
    }

    enum AuthMode {
        tokenreview,
        none
    }
}
