package io.watchkeeper.web;

/**
 * Thrown on an event loop thread where a read would have to wait (ask the API server) or would take long (write a
 * long answer): the read starts again on a worker thread. Never answered to a caller; carries no stack trace.
 */
final class WorkerNeeded extends RuntimeException {

    private static final long serialVersionUID = 1L;

    static final WorkerNeeded INSTANCE = new WorkerNeeded();

    private WorkerNeeded() {
        super("work for a worker thread", null, false, false);
    }
}
