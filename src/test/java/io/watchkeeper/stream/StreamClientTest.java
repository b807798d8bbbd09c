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
        StreamClient client = new StreamClient("c", transport, new ObjectMapper(), Runnable::run, 10, new StreamMetrics(registry));
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
        StreamClient client = new StreamClient("c", transport, new ObjectMapper(), Runnable::run, 3, new StreamMetrics(registry));
        for (int i = 0; i < 5; i++) { // one in flight, never written; three queued; the fifth does not fit
            client.offer(Map.of("type", "MODIFIED", "n", i));
        }
        assertThat(client.closed()).isTrue();
        assertThat(transport.sent).last().asString().contains("\"type\":\"ERROR\"").contains("\"reason\":\"TooSlow\"");
        assertThat(transport.closedWith).isNull();
        transport.completeLast(); // the ERROR is written...
        assertThat(transport.closedWith).isEqualTo("1013 TooSlow"); // ...then the connection closes
        assertThat(registry.counter("watchkeeper.stream.clients.dropped", "reason", "TooSlow").count()).isEqualTo(1);

        client.offer(Map.of("type", "MODIFIED", "n", 9));
        assertThat(transport.sent).noneMatch(s -> s.contains("\"n\":9"));
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
