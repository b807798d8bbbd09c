package io.watchkeeper.stream;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.ObjectMapper;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;

class StreamClientTest {

    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private final FakeTransport transport = new FakeTransport();

    @Test
    void shouldSendMessagesOneAtATimeInOrder() {
        StreamClient client = new StreamClient("c", transport, new ObjectMapper(), Runnable::run, 1000, new StreamMetrics(registry));
        client.offer(Map.of("type", "ADDED", "n", 1));
        client.offer(Map.of("type", "ADDED", "n", 2));
        assertThat(transport.sent).hasSize(1); // the second waits for the first to be written
        transport.complete();
        transport.complete();
        assertThat(transport.sent).hasSize(2);
        assertThat(transport.sent.get(0)).contains("\"n\":1");
        assertThat(transport.sent.get(1)).contains("\"n\":2");
        assertThat(registry.counter("watchkeeper.stream.messages", "message", "ADDED").count()).isEqualTo(2);
    }

    @Test
    void shouldCutOffAClientThatDoesNotReadAndSayWhy() {
        // {"type":"MODIFIED","n":0} is 25 bytes: one in flight, never written, and three queued fill 100 bytes
        StreamClient client = new StreamClient("c", transport, new ObjectMapper(), Runnable::run, 100, new StreamMetrics(registry));
        for (int i = 0; i < 4; i++) {
            client.offer("MODIFIED", "{\"type\":\"MODIFIED\",\"n\":" + i + "}");
        }
        assertThat(client.closed()).isFalse();
        assertThat(client.queuedBytes()).isEqualTo(100);
        client.offer(Map.of("type", "MODIFIED", "n", 4)); // the fifth does not fit
        assertThat(client.closed()).isTrue();
        // type first, as in every message (a client may dispatch on it before parsing the rest)
        assertThat(transport.sent).last().asString().startsWith("{\"type\":\"ERROR\",\"code\":429,\"reason\":\"TooSlow\",\"message\":");
        assertThat(transport.closedWith).isNull();
        transport.completeLast(); // the ERROR is written...
        assertThat(transport.closedWith).isEqualTo("1013 TooSlow"); // ...then the connection closes
        assertThat(registry.counter("watchkeeper.stream.clients.dropped", "reason", "TooSlow").count()).isEqualTo(1);

        client.offer(Map.of("type", "MODIFIED", "n", 9));
        assertThat(transport.sent).noneMatch(s -> s.contains("\"n\":9"));
    }

    @Test
    void shouldTakeOneMessageLargerThanTheBoundAndTheBoundBehindIt() {
        StreamClient client = new StreamClient("c", transport, new ObjectMapper(), Runnable::run, 100, new StreamMetrics(registry));
        String snapshot = "{\"type\":\"SNAPSHOT\",\"items\":\"" + "x".repeat(500) + "\"}";
        client.offer("SNAPSHOT", snapshot);
        assertThat(client.closed()).as("a big snapshot for a client that keeps up").isFalse();
        assertThat(transport.sent).containsExactly(snapshot);
        // while it is written, the changes after it fill the bound behind it
        client.offer("ADDED", "a".repeat(60));
        client.offer("ADDED", "b".repeat(40));
        assertThat(client.closed()).isFalse();
        assertThat(client.queuedBytes()).isEqualTo(100);
        transport.complete();
        transport.complete();
        transport.complete();
        assertThat(client.queuedBytes()).isZero();
        assertThat(transport.sent).hasSize(3);
        // one oversized message at a time: a second one while the first is being written does not fit
        client.offer("SNAPSHOT", snapshot);
        client.offer("SNAPSHOT", snapshot);
        assertThat(client.closed()).isTrue();
    }

    @Test
    void shouldCountBytesUntilTheyAreWritten() {
        StreamClient client = new StreamClient("c", transport, new ObjectMapper(), Runnable::run, 100, new StreamMetrics(registry));
        client.offer("ADDED", "x".repeat(60));
        client.offer("ADDED", "y".repeat(40));
        assertThat(client.queuedBytes()).isEqualTo(100);
        transport.complete();
        assertThat(client.queuedBytes()).isEqualTo(40);
        client.offer("ADDED", "z".repeat(60));
        assertThat(client.closed()).isFalse();
        transport.complete();
        transport.complete();
        assertThat(client.queuedBytes()).isZero();
        assertThat(transport.sent).hasSize(3);
    }

    /** Records what is sent; each send completes only when the test says so, like a client that does not read. */
    static final class FakeTransport implements StreamClient.Transport {
        final List<String> sent = new ArrayList<>();
        final List<CompletableFuture<Void>> inFlight = new ArrayList<>();
        String closedWith;

        @Override
        public CompletionStage<Void> send(String text) {
            sent.add(text);
            CompletableFuture<Void> f = new CompletableFuture<>();
            inFlight.add(f);
            return f;
        }

        void complete() {
            inFlight.remove(0).complete(null);
        }

        void completeLast() {
            inFlight.remove(inFlight.size() - 1).complete(null);
        }

        @Override
        public void close(int code, String reason) {
            closedWith = code + " " + reason;
        }
    }
}
