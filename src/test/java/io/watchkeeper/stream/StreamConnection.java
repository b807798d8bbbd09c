package io.watchkeeper.stream;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/** A test's WebSocket client for the stream (the JDK's own client): sends JSON, hands back what arrives, in order. */
public final class StreamConnection implements WebSocket.Listener, AutoCloseable {

    private static final ObjectMapper JSON = new ObjectMapper();

    /** A message and when it arrived ({@link System#nanoTime}). */
    record Received(JsonNode message, long nanos) {
    }

    private final BlockingQueue<Received> received = new LinkedBlockingQueue<>();
    private final StringBuilder partial = new StringBuilder();
    final CompletableFuture<Integer> closed = new CompletableFuture<>();
    private final WebSocket socket;
    private volatile boolean reading;

    public StreamConnection(URI http) {
        this(http, true);
    }

    /** @param reading false: a client that reads its first message and then nothing, as a stuck browser tab would */
    StreamConnection(URI http, boolean reading) {
        this.reading = reading;
        URI ws = URI.create(http.toString().replaceFirst("^http", "ws"));
        this.socket = HttpClient.newHttpClient().newWebSocketBuilder().buildAsync(ws, this).join();
    }

    /** Starts reading again, as fast as messages come. */
    void readAgain() {
        reading = true;
        socket.request(Long.MAX_VALUE);
    }

    public StreamConnection send(String json) {
        socket.sendText(json, true).join();
        return this;
    }

    public StreamConnection auth(String token) {
        return send("{\"type\":\"AUTH\",\"token\":\"" + token + "\"}");
    }

    /** The next message; fails after {@code within}. */
    public JsonNode next(Duration within) throws InterruptedException {
        return nextReceived(within).message();
    }

    /** The next message, with when it arrived; fails after {@code within}. */
    Received nextReceived(Duration within) throws InterruptedException {
        Received r = received.poll(within.toMillis(), TimeUnit.MILLISECONDS);
        assertThat(r).as("a message within %s", within).isNotNull();
        return r;
    }

    /** The next message if one has arrived, else null; never waits. */
    JsonNode poll() {
        Received r = received.poll();
        return r == null ? null : r.message();
    }

    /** The next message that is not a BOOKMARK. */
    public JsonNode nextChange(Duration within) throws InterruptedException {
        JsonNode m;
        do {
            m = next(within);
        } while ("BOOKMARK".equals(m.path("type").asText()));
        return m;
    }

    @Override
    public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
        partial.append(data);
        if (last) {
            try {
                received.add(new Received(JSON.readTree(partial.toString()), System.nanoTime()));
            } catch (java.io.IOException e) {
                throw new IllegalStateException(e);
            }
            partial.setLength(0);
        }
        if (reading) {
            webSocket.request(1);
        }
        return null;
    }

    @Override
    public CompletionStage<?> onClose(WebSocket webSocket, int statusCode, String reason) {
        closed.complete(statusCode);
        return null;
    }

    @Override
    public void onError(WebSocket webSocket, Throwable error) {
        closed.complete(-1);
    }

    @Override
    public void close() {
        if (!socket.isOutputClosed()) {
            socket.sendClose(WebSocket.NORMAL_CLOSURE, "bye");
        }
        socket.abort();
    }
}
