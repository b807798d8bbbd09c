package io.watchkeeper.informer;

import java.time.Duration;
import java.util.function.BiConsumer;
import java.util.function.Consumer;

import org.jboss.logging.Logger;

import io.fabric8.kubernetes.client.KubernetesClientException;

/**
 * Failure and restart supervision of the hub's informers. An error retrying cannot fix (403 before the first sync, 404,
 * 400, 401) stops the informer and schedules a restart with exponential backoff; anything else is left to fabric8's own
 * retries and remembered, so that the watch's status can say why its cache may be stale.
 */
final class InformerSupervisor {

    private static final Logger LOG = Logger.getLogger(InformerSupervisor.class);

    private final InformerMetrics metrics;
    private final Duration retryInitial;
    private final Duration retryMax;
    /** Runs a task after a delay (the hub's scheduler; a manual one in tests). */
    private final BiConsumer<Duration, Runnable> later;
    /** Starts a new backend for an informer whose backend failed, if it is still wanted. */
    private final Consumer<SharedInformer> restart;

    InformerSupervisor(InformerMetrics metrics, Duration retryInitial, Duration retryMax, BiConsumer<Duration, Runnable> later,
            Consumer<SharedInformer> restart) {
        this.metrics = metrics;
        this.retryInitial = retryInitial;
        this.retryMax = retryMax;
        this.later = later;
        this.restart = restart;
    }

    /**
     * A list or watch error of {@code backend}, from fabric8's reflector.
     *
     * @return whether fabric8 should keep retrying by itself
     */
    boolean onException(SharedInformer si, InformerBackend backend, boolean afterStart, Throwable t) {
        if (si.backend() != backend) {
            return false; // a replaced informer: let it die quietly
        }
        InformerFailure f = InformerFailure.classify(si.key(), t, afterStart);
        // Refused requests are counted by the request interceptor; count only what it cannot see (connections).
        if (!(t instanceof KubernetesClientException e && e.getCode() > 0)) {
            metrics.failure(si.key(), f.reason());
        }
        if (InformerFailure.isPermanent(t, afterStart)) {
            int attempts = si.failed(backend, f);
            backend.stop();
            if (attempts == 0) {
                return false; // replaced meanwhile
            }
            Duration delay = backoff(attempts);
            LOG.warnf("Informer %s failed: %s Retrying in %ds.", si.key(), f.message(), delay.toSeconds());
            later.accept(delay, () -> restart.accept(si));
            return false;
        }
        si.watchFailed(f, afterStart);
        LOG.debugf("Informer %s: %s (fabric8 retries)", si.key(), f.message());
        return true;
    }

    /** A list or watch the API server refused (seen by the request interceptor): the informer's last error. */
    void refused(SharedInformer si, boolean watch, int code) {
        InformerFailure f = InformerFailure.classify(si.key(), new KubernetesClientException(
                "the API server refused the " + (watch ? "watch" : "list"), code, null), si.synced());
        metrics.failure(si.key(), f.reason());
        if (si.synced()) {
            si.watchFailed(f, false); // whether the watch is down is the sampler's to say
        }
    }

    Duration backoff(int attempts) {
        long factor = 1L << Math.min(attempts - 1, 20);
        Duration d = retryInitial.multipliedBy(factor);
        return d.compareTo(retryMax) > 0 ? retryMax : d;
    }
}
