package io.watchkeeper.stream;

import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicBoolean;

import org.jboss.logging.Logger;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.watchkeeper.web.CallerAuth.Caller;

/**
 * One connected stream client: who it is, its subscriptions, and its bounded outbound queue. Anything may offer a
 * message (informer threads included) and never waits: messages are serialised and sent one at a time by a pump on the
 * stream's own executor. A client whose queue is full is told why and disconnected; it never slows anybody else.
 */
final class StreamClient {

    private static final Logger LOG = Logger.getLogger(StreamClient.class);

    /** How messages leave: the WebSocket connection, or a test's stand-in. */
    interface Transport {
        CompletionStage<Void> send(String text);

        void close(int code, String reason);
    }

    static final int CLOSE_POLICY = 1008;
    static final int CLOSE_TRY_LATER = 1013;

    private final String id;
    private final Transport transport;
    private final ObjectMapper json;
    private final Executor executor;
    private final StreamMetrics metrics;
    private final ArrayBlockingQueue<Map<String, Object>> queue;
    private final AtomicBoolean sending = new AtomicBoolean();
    private final AtomicBoolean closed = new AtomicBoolean();
    final Map<String, StreamSubscription> subscriptions = new ConcurrentHashMap<>();
    volatile Caller caller;

    StreamClient(String id, Transport transport, ObjectMapper json, Executor executor, int queueCapacity, StreamMetrics metrics) {
        this.id = id;
        this.transport = transport;
        this.json = json;
        this.executor = executor;
        this.metrics = metrics;
        this.queue = new ArrayBlockingQueue<>(queueCapacity);
    }

    String id() {
        return id;
    }

    boolean closed() {
        return closed.get();
    }

    /** Queues a message; a client that cannot keep up is cut off instead. Never blocks. */
    void offer(Map<String, Object> message) {
        if (closed.get()) {
            return;
        }
        if (!queue.offer(message)) {
            cutOff(429, "TooSlow", "The client did not read its messages fast enough (" + queue.size()
                    + " queued); reconnect with the last resourceVersion to resume.");
            return;
        }
        executor.execute(this::pump);
    }

    private void pump() {
        if (closed.get() || !sending.compareAndSet(false, true)) {
            return;
        }
        Map<String, Object> next = queue.poll();
        if (next == null) {
            sending.set(false);
            if (!queue.isEmpty()) {
                executor.execute(this::pump); // raced with an offer
            }
            return;
        }
        String text;
        try {
            text = json.writeValueAsString(next);
        } catch (JsonProcessingException e) {
            LOG.warnf("Stream client %s: a message could not be serialised (%s); skipped", id, e.getOriginalMessage());
            sending.set(false);
            executor.execute(this::pump);
            return;
        }
        transport.send(text).whenComplete((v, t) -> {
            sending.set(false);
            if (t != null) {
                close();
                return;
            }
            metrics.sent(String.valueOf(next.get("type")));
            executor.execute(this::pump);
        });
    }

    /** Tells the client why (past its queue) and disconnects it. */
    void cutOff(int code, String reason, String message) {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        queue.clear();
        metrics.dropped(reason);
        LOG.infof("Stream client %s (%s) disconnected: %s", id, caller == null ? "unauthenticated" : caller.user(), reason);
        try {
            transport.send(json.writeValueAsString(Map.of("type", "ERROR", "code", code, "reason", reason, "message", message)))
                    .whenComplete((v, t) -> transport.close(closeCode(code), reason));
        } catch (JsonProcessingException e) {
            transport.close(closeCode(code), reason);
        }
        subscriptions.values().forEach(StreamSubscription::cancel);
    }

    /** 1008 (policy) for authentication failures, 1013 (try again later) for a client that fell behind. */
    private static int closeCode(int code) {
        return code == 401 ? CLOSE_POLICY : CLOSE_TRY_LATER;
    }

    /** The connection is gone (or going): stop everything. */
    void close() {
        closed.set(true);
        queue.clear();
        subscriptions.values().forEach(StreamSubscription::cancel);
    }
}
