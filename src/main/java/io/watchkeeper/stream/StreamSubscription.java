package io.watchkeeper.stream;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

import com.fasterxml.jackson.databind.util.RawValue;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.watchkeeper.informer.InformerKey;
import io.watchkeeper.informer.ResumeToken;
import io.watchkeeper.informer.SharedInformer;
import io.watchkeeper.informer.Timeline;
import io.watchkeeper.informer.Timeline.Change;
import io.watchkeeper.informer.Timeline.Position;
import io.watchkeeper.watch.WatchRegistry.Kind;

/**
 * One subscription of a stream client to one watch: it follows the {@link Timeline} of each of the watch's informers.
 * It starts with a SNAPSHOT (or, when the client's resourceVersion is still covered by every timeline's log, RESUMED and
 * exactly the changes it missed), then sends every change in order, each with the resourceVersion to resume from.
 * <p>
 * A snapshot or a replay and the registration for what follows are one step per timeline, so no change falls between
 * them and none is sent twice; changes that arrive while the first message is being assembled wait, and follow it.
 * When a timeline's epoch ends (the informer relisted, or another informer took over its question), the subscription
 * starts over with a fresh SNAPSHOT of the whole watch; each start is a new <em>generation</em>, and whatever a former
 * generation's observers are still told is ignored. When an informer is closed for good, the {@code gone} callback asks
 * the stream service to look at the watch again.
 */
final class StreamSubscription {

    /**
     * How long a connection must have taken nothing before its client is cut off for being further behind than the log:
     * long enough that a pump preempted in the middle of a write, however fast the changes come, is no sign of a stuck
     * client.
     */
    static final Duration TAKING_NOTHING = Duration.ofSeconds(1);

    private final String id;
    /** {@link #id} as a JSON string, for the messages put together by hand ({@link #send}). */
    private final String quotedId;
    private final StreamClient client;
    private final Kind kind;
    private final String namespace;
    private final String name;
    private final List<InformerKey> keys;
    private final List<SharedInformer> informers;
    private final Executor executor;
    private final Consumer<StreamSubscription> gone;

    private int generation;
    private Follower[] followers = new Follower[0];
    private Position[] positions;
    private boolean started;
    private boolean ended;
    private final List<Pending> pending = new ArrayList<>();

    private record Pending(int informer, Change change, Position after) {
    }

    /**
     * @param keys      the watch's informer keys, in {@link ResumeToken#order}
     * @param informers the informers for {@code keys}, in the same order
     * @param executor  where a subscription starts over (never on an informer's thread)
     * @param gone      told when an informer of the watch was closed (its question is no longer held by anyone)
     */
    StreamSubscription(String id, StreamClient client, Kind kind, String namespace, String name, List<InformerKey> keys,
            List<SharedInformer> informers, Executor executor, Consumer<StreamSubscription> gone) {
        this.id = id;
        this.quotedId = '"' + new String(com.fasterxml.jackson.core.io.JsonStringEncoder.getInstance().quoteAsString(id)) + '"';
        this.client = client;
        this.kind = kind;
        this.namespace = namespace;
        this.name = name;
        this.keys = List.copyOf(keys);
        this.informers = List.copyOf(informers);
        this.executor = executor;
        this.gone = gone;
    }

    String id() {
        return id;
    }

    /** The watch subscribed to. */
    Kind kind() {
        return kind;
    }

    String namespace() {
        return namespace;
    }

    String name() {
        return name;
    }

    /** The informer keys the watch held when subscribed: when they change, the subscription ends. */
    List<InformerKey> keys() {
        return keys;
    }

    List<SharedInformer> informers() {
        return informers;
    }

    /** The same subscription on other informers for the same question (its informers were replaced). */
    StreamSubscription on(List<SharedInformer> replacements) {
        return new StreamSubscription(id, client, kind, namespace, name, keys, replacements, executor, gone);
    }

    /**
     * Starts the subscription: RESUMED when {@code resourceVersion} is still covered by every informer's log, else a
     * SNAPSHOT (or, when an informer has published nothing yet, the SNAPSHOT once it has).
     */
    void start(String resourceVersion) {
        Follower[] mine = newGeneration();
        Optional<List<Position>> from = ResumeToken.decode(resourceVersion, informers.size());
        if (from.isPresent() && resume(mine, from.get(), resourceVersion)) {
            return;
        }
        snapshot(mine);
    }

    private boolean resume(Follower[] mine, List<Position> from, String resourceVersion) {
        List<List<Change>> replays = new ArrayList<>();
        for (int i = 0; i < informers.size(); i++) {
            Optional<List<Change>> since = timeline(i).resume(from.get(i), mine[i]);
            if (since.isEmpty()) {
                for (int j = 0; j < i; j++) {
                    timeline(j).unobserve(mine[j]);
                }
                synchronized (this) {
                    if (current(mine)) {
                        pending.clear(); // whatever the followers registered so far were told
                    }
                }
                return false;
            }
            replays.add(since.get());
        }
        synchronized (this) {
            if (!current(mine)) {
                abandonLater(mine);
                return true; // superseded meanwhile: the newer generation does the work
            }
            positions = from.toArray(new Position[0]);
            Map<String, Object> resumed = message("RESUMED");
            resumed.put("resourceVersion", resourceVersion);
            client.offer(resumed);
            for (int i = 0; i < replays.size(); i++) {
                for (Change c : replays.get(i)) {
                    send(mine[i], c, new Position(positions[i].epoch(), c.seq()));
                }
            }
            begin();
        }
        return true;
    }

    private void snapshot(Follower[] mine) {
        List<Timeline.Snapshot> snapshots = new ArrayList<>();
        List<Integer> waiting = new ArrayList<>();
        for (int i = 0; i < informers.size(); i++) {
            Optional<Timeline.Snapshot> s = timeline(i).snapshot(mine[i]);
            if (s.isPresent()) {
                snapshots.add(s.get());
            } else {
                waiting.add(i);
            }
        }
        // The SNAPSHOT is serialised here, on the subscribing thread and off every lock: an informer telling this
        // subscription about a change meanwhile never waits for it (the change waits in `pending`, and follows).
        Optional<String> text = Optional.empty();
        Position[] at = null;
        if (waiting.isEmpty()) {
            at = snapshots.stream().map(Timeline.Snapshot::position).toArray(Position[]::new);
            List<HasMetadata> items = new ArrayList<>();
            snapshots.forEach(s -> items.addAll(s.items()));
            items.sort(Comparator.comparing((HasMetadata o) -> String.valueOf(o.getMetadata().getNamespace()))
                    .thenComparing(o -> o.getMetadata().getName()));
            Map<String, Object> snapshot = message("SNAPSHOT");
            snapshot.put("resourceVersion", ResumeToken.encode(Arrays.asList(at)));
            // each object as changes carry it (Timeline's serialisation), so a snapshot and a change never differ in form
            snapshot.put("items", items.stream().map(o -> new RawValue(Timeline.json(o))).toList());
            text = client.serialize(snapshot);
        }
        synchronized (this) {
            if (!current(mine)) {
                abandonLater(mine);
                return;
            }
            if (!waiting.isEmpty()) {
                // An informer has published nothing yet: its follower stays registered and starts the subscription
                // over when it does; the others' would only pile up changes meanwhile.
                List<Follower> idle = new ArrayList<>();
                for (int i = 0; i < informers.size(); i++) {
                    if (!waiting.contains(i)) {
                        idle.add(mine[i]);
                    }
                }
                abandonLater(idle.toArray(new Follower[0]));
                pending.clear();
                return;
            }
            if (text.isEmpty()) { // could not be serialised (logged): better no stream than an inexact one
                client.cutOff(500, "InternalError", "The snapshot of " + kind + " " + name + " could not be serialised.");
                return;
            }
            positions = at;
            client.offer(StreamClient.SNAPSHOT, text.get());
            begin();
        }
    }

    /** The first message is queued: what arrived meanwhile follows it. */
    private void begin() {
        started = true;
        for (Pending p : pending) {
            send(followers[p.informer()], p.change(), p.after());
        }
        pending.clear();
    }

    /** A new generation of followers; the former one's are unregistered. */
    private Follower[] newGeneration() {
        Follower[] old;
        Follower[] mine;
        synchronized (this) {
            old = followers;
            int gen = ++generation;
            mine = new Follower[informers.size()];
            for (int i = 0; i < mine.length; i++) {
                mine[i] = new Follower(i, gen);
            }
            followers = mine;
            started = false;
            pending.clear();
        }
        for (Follower f : old) {
            timeline(f.index).unobserve(f);
        }
        return mine;
    }

    /** Unregisters a superseded generation's followers, off this lock (timeline locks are always taken first). */
    private void abandonLater(Follower[] mine) {
        if (mine.length == 0) {
            return;
        }
        try {
            executor.execute(() -> {
                for (Follower f : mine) {
                    timeline(f.index).unobserve(f);
                }
            });
        } catch (java.util.concurrent.RejectedExecutionException e) {
            // shutting down: the timelines go too
        }
    }

    private boolean current(Follower[] mine) {
        return !ended && followers == mine;
    }

    /**
     * A change, as {@code {"type":…,"id":…,"resourceVersion":…,"object":…}}: the object's JSON was written once for
     * every follower of its informer, and the message around it is put together by the client's pump when its turn
     * comes, not by the informer's thread (the same text a JSON mapper would write for those four fields).
     * <p>
     * A client whose connection has taken nothing for {@link #TAKING_NOTHING} (one write pending all along) is cut off
     * once more of a subscription's changes from one informer are unread (not yet taken by its pump) than that
     * informer's log holds ({@link Timeline.Budget#bytes}, {@link Follower#pastLog}): so a client that stopped reading
     * keeps alive little more than the log does, what arrived within that second. It has then missed more than the log
     * holds, and gets a new snapshot when it reconnects. A client whose writes each complete within that second, one the
     * pumps have not got to yet, and one being written a snapshot (a long write, no sign of a stuck client) are held
     * back by the client's queue bound only; so are the changes of an ended epoch still queued (their log is gone).
     */
    private void send(Follower f, Change c, Position after) {
        long bytes = c.bytes();
        long before = f.unread.getAndAdd(bytes);
        Duration stuck;
        if (f.pastLog(before, bytes) && (stuck = client.takingNothingFor()).compareTo(TAKING_NOTHING) >= 0) {
            client.cutOff(429, StreamMetrics.TOO_SLOW, "The client read nothing for " + stuck.toMillis() + " ms while subscription "
                    + id + "'s changes piled up past what the informer's change log holds (" + (before + bytes) / 1024
                    + " KiB of them not yet sent, the log holds " + f.allowance / 1024 + " KiB); reconnect: a new SNAPSHOT follows.");
            return;
        }
        positions[f.index] = after;
        String token = ResumeToken.encode(Arrays.asList(positions));
        String type = c.type();
        String json = c.json();
        client.offer(type, json.length() + token.length() + quotedId.length() + 64, () -> {
            f.taken(bytes);
            return new StringBuilder(json.length() + token.length() + quotedId.length() + 64).append("{\"type\":\"").append(type)
                    .append("\",\"id\":").append(quotedId).append(",\"resourceVersion\":\"").append(token).append("\",\"object\":")
                    .append(json).append('}').toString();
        });
    }

    /**
     * A heartbeat with the resourceVersion the subscription is current at; or, when one of its informers is not
     * current (failing, relisting, restarting: {@code stale} says why), a STALE notice instead, so that a view that
     * looks live never is stale.
     */
    synchronized void bookmark(Optional<String> stale) {
        if (ended) {
            return;
        }
        if (!started) {
            // between an epoch's end and the next SNAPSHOT, or waiting for an informer's first list: not current either
            Map<String, Object> m = message("STALE");
            if (positions != null) {
                m.put("resourceVersion", ResumeToken.encode(Arrays.asList(positions)));
            }
            m.put("message", stale.orElse("The watch's cache is starting over; a new SNAPSHOT follows."));
            client.offer(m);
            return;
        }
        Map<String, Object> m = message(stale.isPresent() ? "STALE" : "BOOKMARK");
        m.put("resourceVersion", ResumeToken.encode(Arrays.asList(positions)));
        stale.ifPresent(why -> m.put("message", why));
        client.offer(m);
    }

    /**
     * Ends the subscription. Safe from anywhere, even with a timeline's lock held (a client cut off for being slow is
     * cancelled from inside {@link Follower#onChange}): the followers are unregistered later, off every lock.
     */
    void cancel() {
        Follower[] old;
        synchronized (this) {
            ended = true;
            old = followers;
            followers = new Follower[0];
            pending.clear();
        }
        abandonLater(old);
    }

    private Timeline timeline(int i) {
        return informers.get(i).timeline();
    }

    private Map<String, Object> message(String type) {
        return StreamClient.message(type, "id", id);
    }

    /** Follows one informer's timeline for one generation of the subscription. */
    private final class Follower implements Timeline.Observer {
        final int index;
        final int gen;
        /** Bytes ({@link Change#bytes}) of changes offered to the client and not yet taken by its pump. */
        final AtomicLong unread = new AtomicLong();
        /** What the timeline's log holds (0: it keeps none, and only the client's queue bound applies). */
        final long allowance;

        Follower(int index, int gen) {
            this.index = index;
            this.gen = gen;
            this.allowance = timeline(index).budget().bytes();
        }

        /** The pump took a change of {@code bytes}. */
        void taken(long bytes) {
            unread.addAndGet(-bytes);
        }

        /**
         * Whether a change of {@code bytes}, offered with {@code before} unread, leaves more unread than the log holds;
         * never a lone change larger than the log.
         */
        boolean pastLog(long before, long bytes) {
            return allowance > 0 && before > 0 && before + bytes > allowance;
        }

        @Override
        public void onChange(Change change, Position after) {
            synchronized (StreamSubscription.this) {
                if (ended || gen != generation) {
                    return;
                }
                if (started) {
                    send(this, change, after);
                } else {
                    pending.add(new Pending(index, change, after));
                }
            }
        }

        @Override
        public void onEpochEnd(boolean closed) {
            synchronized (StreamSubscription.this) {
                if (ended || gen != generation) {
                    return;
                }
                started = false; // nothing more goes out until the next generation's first message
            }
            if (closed) {
                executor.execute(() -> gone.accept(StreamSubscription.this));
            } else {
                executor.execute(() -> {
                    synchronized (StreamSubscription.this) {
                        if (ended || gen != generation) {
                            return;
                        }
                    }
                    start(null);
                });
            }
        }
    }
}
