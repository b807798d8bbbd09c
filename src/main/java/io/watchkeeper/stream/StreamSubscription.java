package io.watchkeeper.stream;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.watchkeeper.informer.ChangeLog;
import io.watchkeeper.informer.ChangeLog.Change;
import io.watchkeeper.informer.InformerKey;
import io.watchkeeper.informer.ResourceVersions;
import io.watchkeeper.watch.WatchRegistry.Kind;

/**
 * One subscription of a stream client to one watch: first a SNAPSHOT (or, when the client resumes from a
 * resourceVersion the informers' change logs still cover, RESUMED and the changes it missed), then every change in
 * order, and BOOKMARKs. Changes that arrive while the snapshot is being taken wait, and those the snapshot already
 * holds are not sent again.
 */
final class StreamSubscription implements ChangeLog.Observer {

    private final String id;
    private final StreamClient client;
    private final List<ChangeLog> logs;
    private final List<Change> pending = new ArrayList<>();
    private boolean started;
    /** Changes at or below this were in the snapshot or the replay (deletions are always sent). */
    private long floor;
    private volatile long lastSent;

    private final Kind kind;
    private final String namespace;
    private final String name;

    private final List<InformerKey> keys;

    StreamSubscription(String id, StreamClient client, List<ChangeLog> logs, Kind kind, String namespace, String name,
            List<InformerKey> keys) {
        this.keys = List.copyOf(keys);
        this.id = id;
        this.client = client;
        this.logs = logs;
        this.kind = kind;
        this.namespace = namespace;
        this.name = name;
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

    /** The informers the watch held when subscribed: when they change, the subscription ends. */
    List<InformerKey> keys() {
        return keys;
    }

    /**
     * Tries to resume from {@code resourceVersion}: true (and the missed changes queued) when every change log still
     * covers it; false, with nothing registered, when a snapshot is needed.
     */
    boolean resume(String resourceVersion) {
        long from = ResourceVersions.parse(resourceVersion);
        if (from < 0) {
            return false;
        }
        List<Change> missed = new ArrayList<>();
        List<ChangeLog> registered = new ArrayList<>();
        for (ChangeLog log : logs) {
            Optional<List<Change>> since = log.resume(from, this);
            if (since.isEmpty()) {
                registered.forEach(l -> l.unobserve(this));
                return false;
            }
            registered.add(log);
            missed.addAll(since.get());
        }
        missed.sort(Comparator.comparingLong(Change::resourceVersion));
        Map<String, Object> resumed = message("RESUMED");
        resumed.put("resourceVersion", resourceVersion);
        long last = missed.isEmpty() ? from : missed.get(missed.size() - 1).resourceVersion();
        start(resumed, missed, last);
        return true;
    }

    /** Registers with the change logs and returns the highest resourceVersion they had: take the snapshot after this. */
    long observe() {
        long rv = 0;
        for (ChangeLog log : logs) {
            rv = Math.max(rv, log.observe(this));
        }
        return rv;
    }

    /** Queues the snapshot taken after {@link #observe}, then whatever changed meanwhile that it does not hold. */
    void snapshot(List<HasMetadata> items, long observedRv, String cacheRv) {
        long rv = Math.max(observedRv, ResourceVersions.parse(cacheRv));
        for (HasMetadata o : items) {
            rv = Math.max(rv, ResourceVersions.parse(o.getMetadata().getResourceVersion()));
        }
        Map<String, Object> snapshot = message("SNAPSHOT");
        snapshot.put("resourceVersion", Long.toString(rv));
        snapshot.put("items", items);
        start(snapshot, List.of(), rv);
    }

    private synchronized void start(Map<String, Object> first, List<Change> replay, long upTo) {
        client.offer(first);
        replay.forEach(this::send);
        floor = upTo;
        lastSent = Math.max(lastSent, upTo);
        started = true;
        for (Change c : pending) {
            onChange(c);
        }
        pending.clear();
    }

    @Override
    public synchronized void onChange(Change change) {
        if (!started) {
            pending.add(change);
        } else if (change.resourceVersion() > floor || "DELETED".equals(change.type())) {
            send(change);
        }
    }

    private void send(Change c) {
        Map<String, Object> m = message(c.type());
        m.put("resourceVersion", Long.toString(c.resourceVersion()));
        m.put("object", c.object());
        lastSent = Math.max(lastSent, c.resourceVersion());
        client.offer(m);
    }

    /**
     * A heartbeat: the subscription is current at the highest resourceVersion queued to the client. Not the change
     * logs' latest: a change may be appended and not yet handed here (and asking the logs from inside this lock
     * would invert the lock order of {@link #onChange}).
     */
    synchronized void bookmark() {
        if (!started) {
            return;
        }
        Map<String, Object> m = message("BOOKMARK");
        m.put("resourceVersion", Long.toString(lastSent));
        client.offer(m);
    }

    void cancel() {
        logs.forEach(l -> l.unobserve(this));
    }

    private Map<String, Object> message(String type) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("type", type);
        m.put("id", id);
        return m;
    }
}
