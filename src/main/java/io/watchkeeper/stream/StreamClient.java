package io.watchkeeper.stream;

import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

import org.jboss.logging.Logger;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.util.RawValue;

import io.watchkeeper.web.CallerAuth.Caller;

/**
 * One connected stream client: who it is, its subscriptions, and its outbound queue, bounded in bytes. Anything may
 * offer a message (informer threads included) and never waits. A snapshot is serialised by whoever offers it (the
 * subscribing client's own thread); a change carries its object's JSON, written once by its informer, and only its
 * small envelope is written when it is sent. Messages go out one at a time per client, by a pump on the stream's
 * sender executor, which never does heavy work. A client whose queue is full is told why and disconnected; it never
 * slows anybody else.
 */
final class StreamClient {

    private static final Logger LOG = Logger.getLogger(StreamClient.class);

    /** How messages leave: the WebSocket connection, or a test's stand-in. */
    interface Transport {
        CompletionStage<Void> send(String text);

        void close(int code, String reason);
    }

    static final int CLOSE_POLICY = 1008;
    static final int CLOSE_SERVER_ERROR = 1011;
    static final int CLOSE_TRY_LATER = 1013;

    private final String id;
    /** The client's address, by which connections that have not authenticated yet are counted. */
    final String address;
    private final Transport transport;
    private final ObjectMapper json;
    private final Executor executor;
    private final StreamMetrics metrics;
    private final long queueBytes;
    private final ConcurrentLinkedQueue<Outgoing> queue = new ConcurrentLinkedQueue<>();
    /** Bytes queued and in flight (offered, not yet written to the connection). */
    private final AtomicLong queued = new AtomicLong();
    /** Whether a message larger than the bound is queued or being written (not counted in {@link #queued}). */
    private final AtomicBoolean oversized = new AtomicBoolean();
    private final AtomicBoolean sending = new AtomicBoolean();
    /** A monotonic time in nanoseconds ({@link System#nanoTime}, or a test's). */
    private final LongSupplier nanoTime;
    /**
     * When the write handed to the connection and not yet complete was handed over ({@link #nanoTime}), or
     * {@link #NONE}: none is pending, or it is a SNAPSHOT's (a long write, no sign of a stuck client). The pump's.
     */
    private volatile long pendingSince = NONE;
    private static final long NONE = Long.MIN_VALUE;
    private final AtomicBoolean closed = new AtomicBoolean();
    final Map<String, StreamSubscription> subscriptions = new ConcurrentHashMap<>();
    volatile Caller caller;
    /** The bearer token the client authenticated with, to check again while it streams; never logged. */
    volatile String token;

    /** A message waiting to be sent: what it counts against the bound, or whether it is the one oversized message. */
    private record Outgoing(String type, long counted, boolean oversized, Supplier<Optional<String>> text) {
    }

    StreamClient(String id, Transport transport, ObjectMapper json, Executor executor, long queueBytes, StreamMetrics metrics) {
        this(id, transport, json, executor, queueBytes, metrics, System::nanoTime);
    }

    StreamClient(String id, Transport transport, ObjectMapper json, Executor executor, long queueBytes, StreamMetrics metrics,
            LongSupplier nanoTime) {
        this(id, "", transport, json, executor, queueBytes, metrics, nanoTime);
    }

    /** @param nanoTime a monotonic time in nanoseconds: {@link System#nanoTime}, or a test's */
    StreamClient(String id, String address, Transport transport, ObjectMapper json, Executor executor, long queueBytes,
            StreamMetrics metrics, LongSupplier nanoTime) {
        this.nanoTime = nanoTime;
        this.id = id;
        this.address = address;
        this.transport = transport;
        this.json = json;
        this.executor = executor;
        this.metrics = metrics;
        this.queueBytes = queueBytes;
    }

    String id() {
        return id;
    }

    boolean closed() {
        return closed.get();
    }

    /**
     * Queues a message, serialised when its turn comes: a change's object is already JSON ({@link RawValue}, written once
     * for all the clients of its informer), so the informer thread that offers it only counts its size. A client that
     * cannot keep up is cut off instead. Never blocks.
     */
    void offer(Map<String, Object> message) {
        long size = 64;
        for (Object v : message.values()) {
            if (v instanceof RawValue raw && raw.rawValue() instanceof String text) {
                size += text.length();
            } else if (v instanceof String text) {
                size += text.length() + 16;
            }
        }
        enqueue(String.valueOf(message.get("type")), size, () -> serialize(message));
    }

    /** The message as it goes out; empty (and logged) when it cannot be serialised. */
    Optional<String> serialize(Map<String, Object> message) {
        try {
            return Optional.of(json.writeValueAsString(message));
        } catch (JsonProcessingException e) {
            LOG.warnf("Stream client %s: a %s message could not be serialised (%s); skipped", id, message.get("type"), e.getOriginalMessage());
            return Optional.empty();
        }
    }

    /** Queues a message serialised by whoever offers it (a snapshot, by the subscribing client's own thread). */
    void offer(String type, String text) {
        enqueue(type, text.length(), () -> Optional.of(text));
    }

    /** Queues a message of about {@code size} bytes whose text {@code text} puts together when its turn comes. */
    void offer(String type, long size, Supplier<String> text) {
        enqueue(type, size, () -> Optional.of(text.get()));
    }

    /**
     * Counts a message against the bound and queues it, or cuts the client off. A message that alone is larger than the
     * bound (a big snapshot) is taken when no other such message is queued or being written, and is not counted: the
     * changes and bookmarks that follow it may fill the bound behind it, so that a client that keeps up can always be
     * served; at most one such message and the bound are held for a client.
     */
    private void enqueue(String type, long size, Supplier<Optional<String>> text) {
        if (closed.get()) {
            return;
        }
        boolean big = size > queueBytes && oversized.compareAndSet(false, true);
        if (!big) {
            long total = queued.addAndGet(size);
            if (total > queueBytes) {
                queued.addAndGet(-size);
                cutOff(429, StreamMetrics.TOO_SLOW, "The client did not read its messages fast enough (" + (total - size) / 1024
                        + " KiB queued, " + queueBytes / 1024 + " KiB allowed); reconnect with the last resourceVersion to resume.");
                return;
            }
        }
        queue.add(new Outgoing(type, big ? 0 : size, big, text));
        if (closed.get()) {
            drain(); // raced with a close: nothing stays behind
            return;
        }
        schedule();
    }

    /** Starts the pump unless it runs: one pump per client, so an offer to a busy client costs no task. */
    private void schedule() {
        if (sending.compareAndSet(false, true)) {
            executor.execute(this::pump);
        }
    }

    /**
     * How long the connection has had a write pending, and so taken nothing; zero when none is pending (the pump is
     * between messages, or has not got to this client yet, which is no fault of the client's) and while a SNAPSHOT is
     * written (a long write, no sign of a client that stopped reading). The time is read before the write's start, so
     * a reader held up in between can only count too little.
     */
    Duration takingNothingFor() {
        long now = nanoTime.getAsLong();
        long since = pendingSince;
        return since == NONE ? Duration.ZERO : Duration.ofNanos(Math.max(0, now - since));
    }

    /** Bytes offered and not yet written (an oversized message not counted). */
    long queuedBytes() {
        return queued.get();
    }

    /** A message has been written, skipped or dropped: it no longer counts. */
    private void done(Outgoing o) {
        if (o.oversized()) {
            oversized.set(false);
        } else {
            queued.addAndGet(-o.counted());
        }
    }

    /** Drops what is queued, each message uncounted as it goes; one being written is uncounted when it completes. */
    private void drain() {
        for (Outgoing o = queue.poll(); o != null; o = queue.poll()) {
            done(o);
        }
    }

    /**
     * Sends the queued messages one at a time; runs only while it holds {@link #sending} ({@link #schedule}), and lets
     * go of it when the queue is empty or the client closed. Messages whose send completes at once are sent in the same
     * task, up to {@link #BATCH}, then the pump yields its thread to the other clients' pumps.
     */
    private void pump() {
        for (int sent = 0; sent < BATCH; sent++) {
            Outgoing next = closed.get() ? null : queue.poll();
            if (next == null) {
                sending.set(false);
                if (!closed.get() && !queue.isEmpty()) {
                    schedule(); // raced with an offer
                }
                return;
            }
            java.util.concurrent.CompletableFuture<Void> write;
            try {
                Optional<String> text = next.text().get();
                if (text.isEmpty()) { // could not be serialised (logged): skipped
                    done(next);
                    continue;
                }
                pendingSince = SNAPSHOT.equals(next.type()) ? NONE : nanoTime.getAsLong();
                write = transport.send(text.get()).toCompletableFuture();
            } catch (RuntimeException e) {
                LOG.warnf(e, "Stream client %s: a %s message could not be sent; disconnecting", id, next.type());
                sent(next, e);
                return;
            }
            if (!write.isDone()) {
                write.whenComplete((v, t) -> {
                    if (sent(next, t)) {
                        executor.execute(this::pump);
                    }
                });
                return;
            }
            if (!sent(next, write.isCompletedExceptionally() ? new IllegalStateException("send failed") : null)) {
                return;
            }
        }
        executor.execute(this::pump);
    }

    static final String SNAPSHOT = "SNAPSHOT";

    /** Messages a pump sends in one task when their sends complete at once. */
    private static final int BATCH = 64;

    /** {@code o} was written ({@code failure} null) or not: @return whether the pump goes on (else it stopped, closed). */
    private boolean sent(Outgoing o, Throwable failure) {
        pendingSince = NONE;
        done(o);
        if (failure != null) {
            sending.set(false);
            close();
            return false;
        }
        metrics.sent(o.type());
        return true;
    }

    /**
     * A message with its fields in the order given, {@code type} first, as every message of the stream has them; a
     * field whose value is null is left out.
     */
    static Map<String, Object> message(String type, Object... fieldsAndValues) {
        if (fieldsAndValues.length % 2 != 0) {
            throw new IllegalArgumentException("fields and values come in pairs: " + fieldsAndValues.length + " given");
        }
        Map<String, Object> m = new java.util.LinkedHashMap<>();
        m.put("type", type);
        for (int i = 0; i < fieldsAndValues.length; i += 2) {
            if (fieldsAndValues[i + 1] != null) {
                m.put((String) fieldsAndValues[i], fieldsAndValues[i + 1]);
            }
        }
        return m;
    }

    /** An ERROR, about subscription {@code id} or (null) the connection. */
    static Map<String, Object> error(String id, int code, String reason, String message) {
        return message("ERROR", "id", id, "code", code, "reason", reason, "message", message);
    }

    /** Tells the client why (past its queue) and disconnects it. */
    void cutOff(int code, String reason, String message) {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        drain();
        metrics.dropped(reason);
        // the rest off the caller's thread: a client cut off for being slow is cut off by an informer's writer, which
        // every other client of that informer waits for
        Runnable tell = () -> {
            LOG.infof("Stream client %s (%s) disconnected: %s", id, caller == null ? "unauthenticated" : caller.user(), reason);
            try {
                transport.send(json.writeValueAsString(error(null, code, reason, message)))
                        .whenComplete((v, t) -> transport.close(closeCode(code), reason));
            } catch (JsonProcessingException e) {
                transport.close(closeCode(code), reason);
            }
            subscriptions.values().forEach(StreamSubscription::cancel);
        };
        try {
            executor.execute(tell);
        } catch (java.util.concurrent.RejectedExecutionException e) {
            tell.run(); // shutting down
        }
    }

    /**
     * 1008 (policy) for authentication failures, 1011 (server error) for the operator's own failure, 1013 (try again
     * later) for a client that fell behind or over a limit.
     */
    private static int closeCode(int code) {
        return code == 401 ? CLOSE_POLICY : code == 500 ? CLOSE_SERVER_ERROR : CLOSE_TRY_LATER;
    }

    /** The connection is gone (or going): stop everything. */
    void close() {
        closed.set(true);
        drain();
        subscriptions.values().forEach(StreamSubscription::cancel);
    }
}
