package io.watchkeeper.web;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.CompositeByteBuf;
import io.netty.buffer.Unpooled;
import io.quarkus.vertx.utils.NoBoundChecksBuffer;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.buffer.impl.VertxByteBufAllocator;
import io.watchkeeper.informer.ObjectJson;

/**
 * A read's answer, written by {@link ObjectJson} into the buffer the response sends. On the event loop it is written
 * into pooled memory outside the heap (the pool Vert.x's server and Quarkus REST send from), in chunks, which the
 * response's write gives back to the pool once sent, as it does with the copy Quarkus REST makes of a byte array: no
 * copy of the answer is made between the writer and the socket. Such a buffer must be sent: it is only for a GET
 * answered at once (a HEAD's answer is never written, so its buffer would never be given back), and only while nothing
 * stands between the answer and Quarkus REST's writer (a writer interceptor would have it copied out and never given
 * back, as would a response filter that fails: the project has neither, and {@code WatchApiTest} counts every chunk
 * taken and given back). Otherwise the answer is a byte array on the heap, which nothing has to give back however the
 * request ends.
 */
final class JsonAnswer {

    /**
     * Pooled memory is taken in chunks of this size, so that an answer holds at most one chunk more than it needs. At
     * most 32 KiB: Netty's threads keep freed buffers that large for their next use, and Quarkus makes the pool's own
     * chunks 64 KiB (a buffer that large would be allocated and freed outside the pool each time).
     */
    static final int CHUNK = 32 * 1024;

    private JsonAnswer() {
    }

    /**
     * {@code value}'s JSON in pooled chunks, or null when it is longer than {@code maxBytes} (then nothing is held). The
     * buffer must be sent (a response's write releases it); only for a thread that sends it at once: the event loop.
     */
    static Buffer pooled(Object value, int maxBytes) {
        return pooled(value, maxBytes, allocator);
    }

    /** Where pooled answers take their chunks: Vert.x's pool, or a test's that counts what is taken and given back. */
    private static volatile ByteBufAllocator allocator = VertxByteBufAllocator.POOLED_ALLOCATOR;

    /** For tests: answers take their chunks from {@code chunks} from now on; returns where they took them before. */
    static ByteBufAllocator takeChunksFrom(ByteBufAllocator chunks) {
        ByteBufAllocator before = allocator;
        allocator = chunks;
        return before;
    }

    /** The same, from {@code allocator}. */
    static Buffer pooled(Object value, int maxBytes, ByteBufAllocator allocator) {
        Chunks out = new Chunks(allocator, maxBytes);
        try {
            ObjectJson.write(value, out);
            return new NoBoundChecksBuffer(out.buffer());
        } catch (IOException e) {
            out.release();
            if (full(e)) {
                return null;
            }
            throw new UncheckedIOException("Cannot write " + value.getClass().getName() + " as JSON", e);
        } catch (RuntimeException e) {
            out.release();
            if (full(e)) {
                return null;
            }
            throw e;
        } catch (Error e) {
            out.release();
            throw e;
        }
    }

    private static boolean full(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof Chunks.Full) {
                return true;
            }
        }
        return false;
    }

    /** {@code value}'s JSON on the heap. */
    static Buffer heap(Object value) {
        return Buffer.buffer(Unpooled.wrappedBuffer(ObjectJson.bytes(value)));
    }

    /** An output stream into pooled chunks, refusing to grow past a limit. */
    private static final class Chunks extends OutputStream {
        /** An I/O error to Jackson, which passes it on (perhaps as a cause) and releases its own buffers. */
        static final class Full extends IOException {
            private static final long serialVersionUID = 1L;

            Full() {
                super("past the limit");
            }

            @Override
            public synchronized Throwable fillInStackTrace() {
                return this; // expected, and caught right away: no stack trace
            }
        }

        private final ByteBufAllocator allocator;
        private final int limit;
        private final List<ByteBuf> chunks = new ArrayList<>();
        private ByteBuf current;
        private int size;

        Chunks(ByteBufAllocator allocator, int limit) {
            this.allocator = allocator;
            this.limit = limit;
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            if (size + len > limit) {
                throw new Full();
            }
            size += len;
            while (len > 0) {
                if (current == null || !current.isWritable()) {
                    current = allocator.directBuffer(CHUNK, CHUNK);
                    chunks.add(current);
                }
                int n = Math.min(len, current.writableBytes());
                current.writeBytes(b, off, n);
                off += n;
                len -= n;
            }
        }

        @Override
        public void write(int b) throws IOException {
            write(new byte[] { (byte) b }, 0, 1);
        }

        /** The chunks as one buffer, which now owns them. */
        ByteBuf buffer() {
            CompositeByteBuf all = allocator.compositeDirectBuffer(Math.max(2, chunks.size()));
            all.addComponents(true, chunks);
            chunks.clear();
            return all;
        }

        void release() {
            chunks.forEach(ByteBuf::release);
            chunks.clear();
        }
    }
}
