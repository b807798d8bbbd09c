package io.watchkeeper.web;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import io.fabric8.kubernetes.api.model.Pod;
import io.netty.buffer.AbstractByteBufAllocator;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.vertx.core.buffer.Buffer;
import io.watchkeeper.informer.Compactor;
import io.watchkeeper.informer.ObjectJson;
import io.watchkeeper.testing.RealisticPods;

class JsonAnswerTest {

    /** Hands out plain buffers and remembers them, so that a test can see whether each was given back. */
    static final class Recording extends AbstractByteBufAllocator {
        final List<ByteBuf> taken = new java.util.concurrent.CopyOnWriteArrayList<>();

        Recording() {
            super(true);
        }

        @Override
        protected ByteBuf newHeapBuffer(int initialCapacity, int maxCapacity) {
            return keep(Unpooled.buffer(initialCapacity, maxCapacity));
        }

        @Override
        protected ByteBuf newDirectBuffer(int initialCapacity, int maxCapacity) {
            return keep(Unpooled.directBuffer(initialCapacity, maxCapacity));
        }

        int taken() {
            return taken.size();
        }

        private ByteBuf keep(ByteBuf b) {
            taken.add(b);
            return b;
        }

        @Override
        public boolean isDirectBufferPooled() {
            return true;
        }

        boolean allGivenBack() {
            return taken.stream().allMatch(b -> b.refCnt() == 0);
        }
    }

    /** A value whose property cannot be read. */
    public static final class Broken {
        public String getBoom() {
            throw new IllegalStateException("boom");
        }
    }

    private final Recording allocator = new Recording();

    /** Several chunks: the same bytes as ObjectJson writes, owned by the buffer, so that sending it gives them back. */
    @Test
    void shouldAnswerInPooledChunksThatTheResponseGivesBack() {
        List<Pod> pods = pods(300);
        byte[] whole = ObjectJson.bytes(Map.of("items", pods));
        assertThat(whole.length).isGreaterThan(3 * JsonAnswer.CHUNK);

        Buffer answer = JsonAnswer.pooled(Map.of("items", pods), whole.length, allocator);

        assertThat(answer.getBytes()).isEqualTo(whole);
        assertThat(allocator.taken).hasSizeGreaterThan(3).noneMatch(b -> b.refCnt() == 0);
        ByteBuf sent = answer.getByteBuf(); // what a response writes, and releases once written
        assertThat(sent.readableBytes()).isEqualTo(whole.length);
        sent.release();
        assertThat(allocator.allGivenBack()).isTrue();
    }

    /** For the event loop, which must not write long: the whole answer within the limit, or nothing, and nothing held. */
    @Test
    void shouldAnswerWithinTheLimitOrNotAtAllAndHoldNothing() {
        List<Pod> pods = pods(50);
        byte[] whole = ObjectJson.bytes(pods);

        assertThat(JsonAnswer.pooled(pods, whole.length - 1, allocator)).isNull();
        assertThat(JsonAnswer.pooled(pods, 100, allocator)).isNull();
        assertThat(allocator.taken).isNotEmpty();
        assertThat(allocator.allGivenBack()).isTrue();

        Buffer exact = JsonAnswer.pooled(pods, whole.length, allocator);
        assertThat(exact.getBytes()).isEqualTo(whole);
        exact.getByteBuf().release();
        assertThat(allocator.allGivenBack()).isTrue();
    }

    /** A value that cannot be written: an error that says so, and the chunks written so far given back. */
    @Test
    void shouldGiveChunksBackWhenAValueCannotBeWritten() {
        List<Object> broken = new ArrayList<>(pods(30));
        broken.add(new Broken()); // after the pods were written

        assertThatThrownBy(() -> JsonAnswer.pooled(broken, Integer.MAX_VALUE, allocator)).hasMessageContaining("as JSON");
        assertThat(allocator.taken).isNotEmpty();
        assertThat(allocator.allGivenBack()).isTrue();
    }

    @Test
    void shouldAnswerOnTheHeapWithTheSameBytes() {
        List<Pod> pods = pods(20);
        assertThat(JsonAnswer.heap(pods).getBytes()).isEqualTo(ObjectJson.bytes(pods));
    }

    private static List<Pod> pods(int n) {
        List<Pod> pods = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            Pod p = RealisticPods.pod("ns", i);
            p.setStatus(RealisticPods.status(i));
            pods.add(Compactor.SHARED.compact(p));
        }
        return pods;
    }
}
