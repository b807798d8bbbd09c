package io.watchkeeper.insight;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

import io.fabric8.kubernetes.api.model.ContainerStateTerminated;
import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.Pod;

/**
 * How many times each pod's containers restarted within the last {@code window}, from the kubelet's restart counts as
 * the pod is seen, so that {@code TooManyRestarts} means restarts that are still happening, like an alert on
 * {@code increase(kube_pod_container_status_restarts_total[1h])}: a pod that has run without a restart for the window
 * leaves the problem.
 * <p>
 * A restart is dated by the kubelet's last termination time ({@code lastState.terminated.finishedAt}, the latest over
 * the pod's containers), or by when it is seen. Restarts from before the pod was first seen (a pod that was already
 * running when the operator started) are dated at that last termination: at most the window too late, never too
 * early. Only pods that have restarted take memory here, one entry per observed increase within the window, and the
 * last abnormal end seen of each of their containers ({@link #runBefore}).
 */
public final class RestartHistory {

    /** Restarts within the window, and when the oldest of them leaves it. */
    public record Recent(int count, Optional<Duration> untilFewer) {
        static final Recent NONE = new Recent(0, Optional.empty());
    }

    private record Restarts(Instant at, int count) {
    }

    /** A run of a container that ended abnormally, and which run it was (0: the first; n: after n restarts). */
    private record End(ContainerStateTerminated run, int index) {
    }

    private static final class Entry {
        int total;
        final ArrayDeque<Restarts> recent = new ArrayDeque<>();
        /** Per container name, the last run seen to end abnormally. */
        final Map<String, End> ends = new HashMap<>();
    }

    private final Clock clock;
    private final Duration window;
    private final Map<String, Entry> pods = new ConcurrentHashMap<>();

    public RestartHistory(Clock clock, Duration window) {
        this.clock = clock;
        this.window = window;
    }

    public Duration window() {
        return window;
    }

    /** Takes in the restart counts of the pod's {@code containers} (init ones too) and answers how many fall within the window. */
    public Recent observe(Pod pod, List<ContainerStatus> containers) {
        int total = containers.stream().mapToInt(c -> c.getRestartCount() == null ? 0 : c.getRestartCount()).sum();
        String key = key(pod);
        Entry e = total > 0 ? pods.computeIfAbsent(key, k -> new Entry()) : pods.get(key);
        if (e == null) {
            return Recent.NONE;
        }
        Instant now = clock.instant();
        synchronized (e) {
            if (total < e.total) { // a count cannot go down for one pod; start over rather than count wrongly
                e.recent.clear();
                e.total = 0;
            }
            if (total > e.total) {
                Instant at = lastTermination(containers).filter(t -> !t.isAfter(now)).orElse(now);
                if (!e.recent.isEmpty() && at.isBefore(e.recent.peekLast().at())) {
                    at = e.recent.peekLast().at(); // keep the entries in order
                }
                e.recent.addLast(new Restarts(at, total - e.total));
                e.total = total;
            }
            for (ContainerStatus c : containers) {
                ContainerStateTerminated current = c.getState() == null ? null : c.getState().getTerminated();
                ContainerStateTerminated last = c.getLastState() == null ? null : c.getLastState().getTerminated();
                if (abnormal(current)) {
                    e.ends.put(c.getName(), new End(current, restarts(c)));
                } else if (abnormal(last)) {
                    e.ends.put(c.getName(), new End(last, restarts(c) - 1));
                }
            }
            Instant cutoff = now.minus(window);
            while (!e.recent.isEmpty() && !e.recent.peekFirst().at().isAfter(cutoff)) {
                e.recent.removeFirst();
            }
            int count = e.recent.stream().mapToInt(Restarts::count).sum();
            return new Recent(count, e.recent.isEmpty() ? Optional.empty()
                    : Optional.of(Duration.between(now, e.recent.peekFirst().at().plus(window))));
        }
    }

    /**
     * How the run before {@code c}'s current one ended, if it was seen to end abnormally: for when the kubelet's status
     * no longer says (its container GC keeps one dead container per container, so a container that has just started
     * again may show no {@code lastState}). Empty if that run was not seen to end so, or a run in between was not seen.
     */
    public Optional<ContainerStateTerminated> runBefore(Pod pod, ContainerStatus c) {
        Entry e = pods.get(key(pod));
        if (e == null) {
            return Optional.empty();
        }
        synchronized (e) {
            End end = e.ends.get(c.getName());
            return end != null && end.index() == restarts(c) - 1 ? Optional.of(end.run()) : Optional.empty();
        }
    }

    /** A run that ended with a non-zero exit code, or was killed for memory. */
    private static boolean abnormal(ContainerStateTerminated t) {
        return t != null && (t.getExitCode() != null && t.getExitCode() != 0 || PodProblem.OOM_KILLED.equals(t.getReason()));
    }

    private static int restarts(ContainerStatus c) {
        return c.getRestartCount() == null ? 0 : c.getRestartCount();
    }

    public void forget(Pod pod) {
        pods.remove(key(pod));
    }

    private static String key(Pod pod) {
        String uid = pod.getMetadata().getUid();
        return uid != null ? uid : pod.getMetadata().getNamespace() + "/" + pod.getMetadata().getName();
    }

    private static Optional<Instant> lastTermination(List<ContainerStatus> containers) {
        return containers.stream().map(c -> c.getLastState() == null ? null : c.getLastState().getTerminated())
                .filter(java.util.Objects::nonNull).map(t -> PodDiagnosis.instant(t.getFinishedAt())).flatMap(Optional::stream)
                .max(Instant::compareTo);
    }
}
