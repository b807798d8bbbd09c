package io.watchkeeper.informer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import io.fabric8.kubernetes.client.http.AsyncBody;

/** {@link ReadAheadBody} over a fake response: chunks asked for ahead of the reader, up to its limit. */
class ReadAheadBodyTest {

    private final ExecutorService reader = Executors.newSingleThreadExecutor();

    @AfterEach
    void stop() {
        reader.shutdownNow();
    }

    /** A response whose chunks the test delivers; counts what was asked for. */
    private static final class FakeBody implements AsyncBody {
        final AtomicInteger asked = new AtomicInteger();
        final CompletableFuture<Void> done = new CompletableFuture<>();
        final AtomicBoolean cancelled = new AtomicBoolean();

        @Override
        public void consume() {
            asked.incrementAndGet();
        }

        @Override
        public CompletableFuture<Void> done() {
            return done;
        }

        @Override
        public void cancel() {
            cancelled.set(true);
        }
    }

    private static List<ByteBuffer> chunk(String s) {
        return List.of(ByteBuffer.wrap(s.getBytes(StandardCharsets.UTF_8)));
    }

    @Test
    void shouldAskForMoreAsChunksArriveUntilTheLimitThenWhenTheReaderHasCaughtUpHalf() throws Exception {
        FakeBody body = new FakeBody();
        ReadAheadBody in = new ReadAheadBody(10);
        in.start(body);
        assertThat(body.asked).hasValue(1);

        in.consume(chunk("abcd"), body); // 4 waiting
        in.consume(chunk("efgh"), body); // 8
        assertThat(body.asked).as("asked again as each chunk arrived, nothing read yet").hasValue(3);
        in.consume(chunk("ijkl"), body); // 12: the limit reached
        assertThat(body.asked).as("no more asked for with 12 bytes waiting").hasValue(3);

        byte[] four = new byte[4];
        assertThat(in.read(four)).isEqualTo(4); // takes the first chunk: 8 still waiting
        assertThat(body.asked).as("8 of 10 waiting: not caught up half").hasValue(3);
        assertThat(in.read(four)).isEqualTo(4); // 4 waiting
        assertThat(body.asked).as("4 of 10 waiting: asked again").hasValue(4);

        in.consume(chunk("mn"), body);
        body.done.complete(null);
        assertThat(new String(in.readAllBytes(), StandardCharsets.UTF_8)).isEqualTo("ijklmn");
        assertThat(in.read()).isEqualTo(-1);
        in.close();
        assertThat(body.cancelled).as("a finished response is not cancelled").isFalse();
    }

    @Test
    void shouldHandChunksToAReaderThatWaitsForThem() throws Exception {
        FakeBody body = new FakeBody();
        ReadAheadBody in = new ReadAheadBody(1 << 20);
        in.start(body);
        Future<String> read = reader.submit(() -> new String(in.readAllBytes(), StandardCharsets.UTF_8));
        StringBuilder expected = new StringBuilder();
        for (int i = 0; i < 1000; i++) {
            String s = "chunk " + i + ";";
            expected.append(s);
            in.consume(chunk(s), body);
        }
        in.consume(List.of(ByteBuffer.allocate(0)), body); // an empty chunk changes nothing
        body.done.complete(null);
        assertThat(read.get(30, java.util.concurrent.TimeUnit.SECONDS)).isEqualTo(expected.toString());
    }

    @Test
    void shouldFailTheReaderAfterWhatArrivedWhenTheResponseFails() throws Exception {
        FakeBody body = new FakeBody();
        ReadAheadBody in = new ReadAheadBody(1 << 20);
        in.start(body);
        in.consume(chunk("partial"), body);
        body.done.completeExceptionally(new IOException("connection reset"));
        assertThat(new String(in.readNBytes(7), StandardCharsets.UTF_8)).isEqualTo("partial");
        assertThatThrownBy(in::read).isInstanceOf(IOException.class).hasMessageContaining("connection reset");
    }

    @Test
    void shouldCancelAnUnfinishedResponseWhenClosedAndWakeAWaitingReader() throws Exception {
        FakeBody body = new FakeBody();
        ReadAheadBody in = new ReadAheadBody(1 << 20);
        in.start(body);
        CompletableFuture<Integer> read = new CompletableFuture<>();
        Thread waiting = new Thread(() -> {
            try {
                read.complete(in.read());
            } catch (IOException e) {
                read.completeExceptionally(e);
            }
        });
        waiting.setDaemon(true);
        waiting.start();
        Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> waiting.getState() == Thread.State.WAITING);
        in.close();
        assertThat(body.cancelled).isTrue();
        assertThatThrownBy(() -> read.get(30, java.util.concurrent.TimeUnit.SECONDS)).hasCauseInstanceOf(IOException.class);
        int asked = body.asked.get();
        in.consume(chunk("late"), body);
        assertThat(body.asked).as("nothing more asked for once closed").hasValue(asked);
        waiting.join(30_000);
    }

    @Test
    void shouldStopWaitingWhenTheReaderIsInterrupted() throws Exception {
        ReadAheadBody in = new ReadAheadBody(1 << 20);
        in.start(new FakeBody());
        Thread.currentThread().interrupt();
        try {
            assertThatThrownBy(in::read).isInstanceOf(java.io.InterruptedIOException.class);
            assertThat(Thread.currentThread().isInterrupted()).as("the interrupt kept").isTrue();
        } finally {
            Thread.interrupted();
        }
    }
}
