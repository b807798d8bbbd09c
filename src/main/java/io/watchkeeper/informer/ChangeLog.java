package io.watchkeeper.informer;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArraySet;

import io.fabric8.kubernetes.api.model.HasMetadata;

/**
 * The last changes of one shared informer, in order, so that a stream client that reconnects with the last
 * resourceVersion it saw can be replayed what it missed instead of being sent a new snapshot. Bounded: when the oldest
 * change is dropped, resuming from before it is no longer possible, and {@link #since} says so. A relist also ends the
 * ability to resume (the informer may have missed deletions), as does a resourceVersion that is not a number.
 * <p>
 * Appending and registering an observer happen under one lock, which is what lets a subscriber read the log (or a
 * snapshot) and then receive every later change, with no gap and no duplicate.
 */
public final class ChangeLog {

    /** One change. {@code type} is ADDED, MODIFIED or DELETED; the object is the cache's own: never modify it. */
    public record Change(String type, long resourceVersion, HasMetadata object) {
    }

    /** Told about each change as it is appended, on the informer's thread: must return at once. */
    @FunctionalInterface
    public interface Observer {
        void onChange(Change change);
    }

    private final int capacity;
    private final ArrayDeque<Change> changes = new ArrayDeque<>();
    private final Set<Observer> observers = new CopyOnWriteArraySet<>();
    /** Changes at or below this resourceVersion may be missing from the log. */
    private long complete = Long.MAX_VALUE;
    private long latest;

    public ChangeLog(int capacity) {
        this.capacity = capacity;
    }

    synchronized void append(String type, HasMetadata object) {
        long rv = ResourceVersions.parse(object.getMetadata().getResourceVersion());
        if (rv < 0) {
            reset();
            return;
        }
        if (complete == Long.MAX_VALUE) {
            // the first change since the log began (or was reset): only what comes after it can be replayed
            complete = Math.max(latest, rv);
        }
        Change c = new Change(type, rv, object);
        changes.addLast(c);
        if (changes.size() > capacity) {
            complete = changes.removeFirst().resourceVersion();
        }
        latest = Math.max(latest, rv);
        observers.forEach(o -> o.onChange(c));
    }

    /** After a relist: what came before cannot be replayed. */
    synchronized void reset() {
        changes.clear();
        complete = Long.MAX_VALUE;
    }

    /**
     * Registers {@code observer} and returns the changes after {@code resourceVersion}, atomically; empty (and nothing
     * registered) when the log cannot say what happened since then.
     */
    public synchronized Optional<List<Change>> resume(long resourceVersion, Observer observer) {
        if (complete == Long.MAX_VALUE || resourceVersion < complete || resourceVersion > latest) {
            return Optional.empty();
        }
        List<Change> out = new ArrayList<>();
        for (Change c : changes) {
            if (c.resourceVersion() > resourceVersion) {
                out.add(c);
            }
        }
        observers.add(observer);
        return Optional.of(out);
    }

    /**
     * Registers {@code observer} and returns the highest resourceVersion appended so far, atomically: every change the
     * observer is told about from now on comes after what a snapshot read afterwards can contain, or is in it.
     */
    public synchronized long observe(Observer observer) {
        observers.add(observer);
        return latest;
    }

    public void unobserve(Observer observer) {
        observers.remove(observer);
    }

    synchronized int size() {
        return changes.size();
    }
}
