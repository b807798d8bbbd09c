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
 * On the leader it does nothing: the reconciler runs.
 * <p>
 * One thread per controller judges serially; one recheck per primary is pending at a time.
 */
public class FollowerShadow<P extends HasMetadata> extends AbstractEventSource<Void, P> implements ResourceEventAware<P> {

    private static final Logger LOG = Logger.getLogger(FollowerShadow.class);

    private final Leadership leadership;
    private final EventSourceContext<P> context;
    private final Function<P, Optional<Duration>> judge;
    private final Consumer<P> deleted;
    private final Map<ResourceID, ScheduledFuture<?>> rechecks = new ConcurrentHashMap<>();
    private volatile ScheduledExecutorService executor;

    /**
     * @param judge   the reconciler's work without its writes; returns when to judge the primary again, if it should be
     * @param deleted what to forget when a primary is deleted, on every replica (the leader's reconciler is not told)
     */
    public FollowerShadow(String controller, Leadership leadership, EventSourceContext<P> context, Function<P, Optional<Duration>> judge,
            Consumer<P> deleted) {
        super(Void.class, controller + "-follower-shadow");
        this.leadership = leadership;
        this.context = context;
        this.judge = judge;
        this.deleted = deleted;
    }

    /** When a reconciler's result asks to look again. */
    public static Optional<Duration> recheckOf(io.javaoperatorsdk.operator.api.reconciler.BaseControl<?> control) {
        return control.getScheduleDelay().map(Duration::ofMillis);
    }

    @Override
    public void start() {
        executor = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "watchkeeper-" + name());
            t.setDaemon(true);
            return t;
        });
        super.start();
    }

    @Override
    public void stop() {
        super.stop();
        if (executor != null) {
            executor.shutdownNow();
        }
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
        ScheduledExecutorService ex = executor;
        if (ex != null && !leadership.isLeader()) {
            try {
                ex.execute(() -> judgeNow(id));
            } catch (java.util.concurrent.RejectedExecutionException e) {
                // stopping
            }
        }
    }

    private void judgeNow(ResourceID id) {
        if (leadership.isLeader()) {
            return;
        }
        Optional<P> primary = context.getPrimaryCache().get(id);
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
        again.ifPresent(delay -> {
            ScheduledFuture<?> next = executor.schedule(() -> judgeNow(id), Math.max(1, delay.toMillis()), TimeUnit.MILLISECONDS);
            ScheduledFuture<?> before = rechecks.put(id, next);
            if (before != null && before != next) {
                before.cancel(false);
            }
        });
    }
}
