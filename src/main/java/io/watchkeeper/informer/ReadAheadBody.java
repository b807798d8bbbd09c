package io.watchkeeper.informer;

import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.List;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

import io.fabric8.kubernetes.client.http.AsyncBody;

/**
 * A response body read as a stream, whose next chunks are asked for as soon as one arrives, while fewer than
 * {@code limit} bytes wait to be read. fabric8's own {@code InputStream} body asks for one chunk when its reader has
 * used up the last one: for a list of 10,000 pods (70 MB in chunks of about 8 KB) that is two thread hand-offs per
 * chunk, and reading the bytes alone took 0.71 s where the JDK's client took 0.51 s; read ahead, 0.43 s, and the
 * streamed first list 0.64 s instead of 1.12 s (BENCHMARKS.md, fifth run).
 * <p>
 * Chunks arrive on the HTTP client's thread ({@link #consume}) and are read on another; when the reader falls behind
 * by {@code limit} bytes, asking stops until it has caught up half of that. Closing the stream before the body is
 * done cancels the response.
 */
final class ReadAheadBody extends InputStream implements AsyncBody.Consumer<List<ByteBuffer>> {

    private final long limit;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition arrived = lock.newCondition();
    private final ArrayDeque<ByteBuffer> chunks = new ArrayDeque<>();
    private long waiting; // bytes in chunks
    private boolean asking; // a chunk has been asked for and has not arrived yet
    private boolean done;
    private boolean closed;
    private Throwable failure;
    private AsyncBody body;
    private ByteBuffer current = ByteBuffer.allocate(0); // read by the reader only

    /** @param limit how many bytes may wait to be read before no more are asked for */
    ReadAheadBody(long limit) {
        if (limit < 2) {
            throw new IllegalArgumentException("A read-ahead limit of at least 2 bytes, not " + limit);
        }
        this.limit = limit;
    }

    /** Starts reading {@code body}, whose chunks come to this stream's {@link #consume}. */
    void start(AsyncBody body) {
        lock.lock();
        try {
            this.body = body;
            asking = true;
        } finally {
            lock.unlock();
        }
        body.done().whenComplete((nothing, t) -> {
            lock.lock();
            try {
                done = true;
                failure = t;
                arrived.signalAll();
            } finally {
                lock.unlock();
            }
        });
        body.consume();
    }

    @Override
    public void consume(List<ByteBuffer> buffers, AsyncBody asyncBody) {
        boolean more;
        lock.lock();
        try {
            if (closed) {
                return;
            }
            for (ByteBuffer b : buffers) {
                if (b.hasRemaining()) {
                    chunks.add(b);
                    waiting += b.remaining();
                }
            }
            more = waiting < limit;
            asking = more;
            arrived.signal();
        } finally {
            lock.unlock();
        }
        if (more) {
            asyncBody.consume();
        }
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        if (len == 0) {
            return 0;
        }
        while (!current.hasRemaining()) {
            if (!next()) {
                return -1;
            }
        }
        int n = Math.min(len, current.remaining());
        current.get(b, off, n);
        return n;
    }

    @Override
    public int read() throws IOException {
        while (!current.hasRemaining()) {
            if (!next()) {
                return -1;
            }
        }
        return current.get() & 0xff;
    }

    /** Takes the next chunk, waiting for it; false at the end of the body. An interrupted reader stops waiting. */
    private boolean next() throws IOException {
        boolean ask = false;
        lock.lock();
        try {
            while (chunks.isEmpty()) {
                if (closed) {
                    throw new IOException("Stream closed");
                }
                if (done) {
                    if (failure != null) {
                        throw failure instanceof IOException io ? io : new IOException(failure.getMessage(), failure);
                    }
                    return false;
                }
                try {
                    arrived.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new InterruptedIOException("Interrupted while waiting for the response");
                }
            }
            current = chunks.poll();
            waiting -= current.remaining();
            if (!asking && !done && waiting < limit / 2) {
                asking = ask = true;
            }
        } finally {
            lock.unlock();
        }
        if (ask) {
            body.consume();
        }
        return true;
    }

    /** Stops reading: what has not arrived is not asked for, and an unfinished response is cancelled. */
    @Override
    public void close() {
        AsyncBody cancel;
        lock.lock();
        try {
            if (closed) {
                return;
            }
            closed = true;
            chunks.clear();
            waiting = 0;
            cancel = done ? null : body;
            arrived.signalAll();
        } finally {
            lock.unlock();
        }
        if (cancel != null) {
            cancel.cancel();
        }
    }
}
