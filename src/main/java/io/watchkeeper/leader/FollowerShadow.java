package io.watchkeeper.leader;

import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Function;

import org.jboss.logging.Logger;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.javaoperatorsdk.operator.api.reconciler.EventSourceContext;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.javaoperatorsdk.operator.processing.event.source.AbstractEventSource;
import io.javaoperatorsdk.operator.processing.event.source.ResourceEventAware;

/**
 * What a controller's reconciler works out, worked out on a follower too, without the writes. Under leader election
 * JOSDK runs a controller's informers on every replica but its reconciler on the leader only; the in-memory state the
 * reconciler keeps (which informers a watch holds, what is wrong with a pod, how a Service is doing) is what every
 * replica's reads answer from. So while this replica follows, this event source calls the controller's
 * {@code judge} (its reconcile minus every write) whenever the reconciler would have been called: a primary was added
 * or changed, {@link #trigger} was called for it (a secondary changed), or the recheck {@code judge} asked for is due.
 * On the leader, while stopping, and once the Lease is lost, it does nothing: the reconciler runs (or the process ends).
 * <p>
 * One thread per controller judges serially; one recheck per primary is pending at a time. When this replica is
 * elected, the shadow finishes its judgement in hand before JOSDK starts the reconciler.
 */
public class FollowerShadow<P extends HasMetadata> extends AbstractEventSource<Void, P> implements ResourceEventAware<P> {

    private static final Logger LOG = Logger.getLogger(FollowerShadow.class);

    private final Leadership leadership;
    private final Function<ResourceID, Optional<P>> primaries;
    private final Function<P, Optional<Duration>> judge;
    private final Consumer<P> deleted;
    private final Map<ResourceID, ScheduledFuture<?>> rechecks = new ConcurrentHashMap<>();
    private final ScheduledExecutorService executor;

    /**
     * @param judge   the reconciler's work without its writes; returns when to judge the primary again, if it should be
     * @param deleted what to forget when a primary is deleted, on every replica (the leader's reconciler is not told)
     */
    public FollowerShadow(String controller, Leadership leadership, EventSourceContext<P> context, Function<P, Optional<Duration>> judge,
            Consumer<P> deleted) {
        this(controller, leadership, id -> context.getPrimaryCache().get(id), judge, deleted);
    }

    /** @param primaries the controller's primary cache */
    FollowerShadow(String controller, Leadership leadership, Function<ResourceID, Optional<P>> primaries,
            Function<P, Optional<Duration>> judge, Consumer<P> deleted) {
        super(Void.class, controller + "-follower-shadow");
        this.leadership = leadership;
        this.primaries = primaries;
        this.judge = judge;
        this.deleted = deleted;
        // From the start, not from start(): JOSDK starts the controller's informer first, and its initial adds reach
        // this source before JOSDK starts it; every replica follows until it is elected.
        this.executor = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "watchkeeper-" + controller + "-follower-shadow");
            t.setDaemon(true);
            return t;
        });
        leadership.beforeLeading(this::drain);
    }

    /** When a reconciler's result asks to look again. */
    public static Optional<Duration> recheckOf(io.javaoperatorsdk.operator.api.reconciler.BaseControl<?> control) {
        return control.getScheduleDelay().map(Duration::ofMillis);
    }

    @Override
    public void stop() {
        super.stop();
        executor.shutdownNow();
    }

    @Override
    public Set<Void> getSecondaryResources(P primary) {
        return Set.of();
    }

    @Override
    public void onResourceCreated(P resource) {
        trigger(ResourceID.fromResource(resource));
    }

    @Override
    public void onResourceUpdated(P newResource, P oldResource) {
        trigger(ResourceID.fromResource(newResource));
    }

    @Override
    public void onResourceDeleted(P resource) {
        ScheduledFuture<?> pending = rechecks.remove(ResourceID.fromResource(resource));
        if (pending != null) {
            pending.cancel(false);
        }
        deleted.accept(resource);
    }

    /** The primary's inputs changed (a secondary it depends on): on a follower, judge it again. */
    public void trigger(ResourceID id) {
        if (leadership.isFollowing()) {
            try {
                executor.execute(() -> judgeNow(id));
            } catch (java.util.concurrent.RejectedExecutionException e) {
                // stopped
            }
        }
    }

    private void judgeNow(ResourceID id) {
        if (!leadership.isFollowing()) {
            return;
        }
        Optional<P> primary = primaries.apply(id);
        if (primary.isEmpty()) {
            return;
        }
        Optional<Duration> again;
        try {
            again = judge.apply(primary.get());
        } catch (RuntimeException e) {
            LOG.warnf("Following %s: %s", id, e.toString());
            again = Optional.of(Duration.ofSeconds(5));
        }
        if (primaries.apply(id).isEmpty()) {
            // deleted while it was judged: its delete callback may have come before what the judge recorded
            deleted.accept(primary.get());
            return;
        }
        again.ifPresent(delay -> {
            ScheduledFuture<?> next = executor.schedule(() -> judgeNow(id), Math.max(1, delay.toMillis()), TimeUnit.MILLISECONDS);
            ScheduledFuture<?> before = rechecks.put(id, next);
            if (before != null && before != next) {
                before.cancel(false);
            }
        });
        if (again.isEmpty()) {
            rechecks.remove(id);
        }
    }

    /** Waits until what this shadow was judging is done (the replica is being elected: the reconciler takes over). */
    private void drain() {
        try {
            executor.submit(() -> {
            }).get(30, TimeUnit.SECONDS);
        } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException
                | java.util.concurrent.RejectedExecutionException e) {
            LOG.warnf("%s: still judging as this replica is elected (%s)", name(), e.toString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
