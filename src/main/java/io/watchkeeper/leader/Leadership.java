package io.watchkeeper.leader;

import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ThreadLocalRandom;

import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Inject;
import jakarta.interceptor.Interceptor;

import org.jboss.logging.Logger;

import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.extended.leaderelection.LeaderCallbacks;
import io.javaoperatorsdk.operator.api.config.LeaderElectionConfiguration;
import io.javaoperatorsdk.operator.api.config.LeaderElectionConfigurationBuilder;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.runtime.ShutdownEvent;
import io.watchkeeper.config.LeaderElections;
import io.watchkeeper.config.WatchkeeperConfig;
import io.watchkeeper.metrics.MetricNames;

/**
 * Whether this replica is the one that writes: watch status and Events. Every replica serves reads and streams from its
 * own caches; the Java Operator SDK's leader election (a {@code coordination.k8s.io} Lease) picks the one whose
 * reconcilers run, and this class is its configuration and its callbacks.
 * <p>
 * Two things JOSDK 5.3 does not do are done here. A leader that shuts down gracefully releases the Lease (JOSDK never
 * does, so a follower would wait out the whole lease duration): after JOSDK has stopped the reconcilers, the Lease's
 * holder is cleared and the next follower to look takes it. And a leader that loses the Lease while running (it could
 * not renew it within the renew deadline) stops writing at once and exits, so that Kubernetes restarts it as a
 * follower; JOSDK would exit from within its own shutdown too, which deadlocks a graceful stop.
 * <p>
 * Where JOSDK runs no election (dev mode, tests in the {@code test} profile, or
 * {@code watchkeeper.leader-election.enabled=false}), this replica is the leader.
 */
@ApplicationScoped
public class Leadership {

    private static final Logger LOG = Logger.getLogger(Leadership.class);

    private final KubernetesClient client;
    private final WatchkeeperConfig.LeaderElection config;
    private final String identity;
    private final boolean electing;
    private final List<Runnable> beforeLeading = new CopyOnWriteArrayList<>();
    private volatile boolean leading;
    private volatile boolean stopping;
    private volatile boolean lost;
    private volatile String leaseNamespace;

    @Inject
    public Leadership(KubernetesClient client, WatchkeeperConfig config) {
        this(client, config.leaderElection(), LeaderElections.active(config.leaderElection()));
    }

    Leadership(KubernetesClient client, WatchkeeperConfig.LeaderElection config, boolean electing) {
        this.client = client;
        this.config = config;
        // unique per process: two replicas on one host (or two runs of the jar) must not share an identity
        String host = System.getenv().getOrDefault("HOSTNAME", "watchkeeper");
        this.identity = host + "_" + HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextInt());
        this.electing = electing;
    }

    /**
     * JOSDK's leader election settings, which QOSDK asks for when it runs an election (the {@code prod} profile); null
     * when it is turned off.
     */
    @Produces
    LeaderElectionConfiguration leaderElectionConfiguration() {
        if (!electing) {
            LOG.info("Leader election is off (watchkeeper.leader-election.enabled=false): this replica writes status and Events");
            return null;
        }
        leaseNamespace = LeaderElections.leaseNamespace(config, client.getConfiguration().getNamespace());
        LOG.infof("Leader election through Lease %s/%s as %s: until elected, this replica serves reads and writes nothing",
                leaseNamespace, config.leaseName(), identity);
        return LeaderElectionConfigurationBuilder.aLeaderElectionConfiguration(config.leaseName()).withLeaseNamespace(leaseNamespace).withIdentity(identity)
                .withLeaseDuration(config.leaseDuration()).withRenewDeadline(config.renewDeadline())
                .withRetryPeriod(config.retryPeriod())
                .withLeaderCallbacks(new LeaderCallbacks(this::startedLeading, this::stoppedLeading, this::newLeader))
                // JOSDK 5.3.2's build() turns its own exit on lost leadership off (exitOnStopLeading=false); we exit
                // in stoppedLeading, and not during a graceful stop
                .build();
    }

    /** Whether this replica may write status and Events now. */
    public boolean isLeader() {
        return electing ? leading && !stopping : !stopping;
    }

    /**
     * Whether this replica follows: it elects, does not lead, and is neither stopping nor about to exit for a lost
     * Lease. Only then do its {@link FollowerShadow}s work out what the (idle) reconcilers would.
     */
    public boolean isFollowing() {
        return electing && !leading && !stopping && !lost;
    }

    /**
     * Runs {@code action} each time this replica is elected, after {@link #isFollowing} turned false and before JOSDK
     * starts the reconcilers: a shadow finishes what it was doing, so that it never works alongside its reconciler.
     */
    void beforeLeading(Runnable action) {
        beforeLeading.add(action);
    }

    void register(@Observes io.quarkus.runtime.StartupEvent start, MeterRegistry registry) {
        Gauge.builder(MetricNames.LEADER, () -> isLeader() ? 1 : 0)
                .description("1 on the replica that writes watch status and Events (the Lease holder), 0 on the others")
                .register(registry);
    }

    void startedLeading() {
        leading = true;
        beforeLeading.forEach(Runnable::run);
        LOG.infof("This replica (%s) now leads: it writes watch status and Events", identity);
    }

    private void stoppedLeading() {
        boolean was = leading;
        leading = false;
        if (stopping) {
            if (was) {
                release();
            }
            return;
        }
        lost = true;
        LOG.errorf("This replica (%s) lost the Lease %s/%s (it could not renew it within %s): it stops writing and exits, "
                + "to start again as a follower", identity, leaseNamespace, config.leaseName(), config.renewDeadline());
        // not from this thread: JOSDK's shutdown waits for the elector's threads
        Thread exit = new Thread(() -> System.exit(1), "watchkeeper-lost-lease-exit");
        exit.setDaemon(true);
        exit.start();
    }

    private void newLeader(String holder) {
        if (holder != null && !holder.isBlank() && !holder.equals(identity)) {
            LOG.infof("The leader is %s; this replica (%s) follows: it serves reads and writes nothing", holder, identity);
        }
    }

    /**
     * Before the operator stops (QOSDK stops it at the default priority): nothing more is written from now on. The
     * Lease itself is released once JOSDK has stopped the reconcilers and cancels the election ({@link #stoppedLeading}).
     */
    void stopping(@Observes @Priority(Interceptor.Priority.APPLICATION) ShutdownEvent event) {
        stopping = true;
    }

    /**
     * Clears the Lease's holder, as client-go's {@code ReleaseOnCancel} does, so that a follower takes it at its next
     * try instead of after the lease duration. Only if this replica still holds it (the update is conditional on the
     * version read).
     */
    private void release() {
        for (int attempt = 1;; attempt++) {
            try {
                Lease lease = client.leases().inNamespace(leaseNamespace).withName(config.leaseName()).get();
                if (lease == null || lease.getSpec() == null || !identity.equals(lease.getSpec().getHolderIdentity())) {
                    return;
                }
                lease.getSpec().setHolderIdentity(null);
                lease.getSpec().setLeaseDurationSeconds(1);
                lease.getSpec().setRenewTime(ZonedDateTime.now(ZoneOffset.UTC));
                client.leases().inNamespace(leaseNamespace).resource(lease).update();
                LOG.infof("Released the Lease %s/%s: a follower takes over", leaseNamespace, config.leaseName());
                return;
            } catch (KubernetesClientException e) {
                if (e.getCode() == 409 && attempt < 3) {
                    continue; // renewed meanwhile (a renewal already under way when the election was cancelled): read it again
                }
                LOG.warnf("Could not release the Lease %s/%s (HTTP %d): a follower takes over when it expires, within %s",
                        leaseNamespace, config.leaseName(), e.getCode(), config.leaseDuration());
                return;
            }
        }
    }
}
