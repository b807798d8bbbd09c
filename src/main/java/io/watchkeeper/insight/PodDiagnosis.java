package io.watchkeeper.insight;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import io.fabric8.kubernetes.api.model.ContainerStateTerminated;
import io.fabric8.kubernetes.api.model.ContainerStateWaiting;
import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodCondition;
import io.fabric8.kubernetes.api.model.PodStatus;

/**
 * Reads a pod's status and says what, if anything, is wrong with it. When several things are, the most telling one
 * wins, in this order: Evicted, OOMKilled, CrashLoopBackOff, ImagePullBackOff, Unschedulable, PendingTooLong,
 * TooManyRestarts (restarts within the {@link RestartHistory}'s window). Pure but for that history: the time comes from
 * the clock given.
 * <p>
 * A crash is an episode, not a moment. Between the kubelet's restarts a crashing container is briefly
 * {@code running} or {@code terminated}, not {@code waiting: CrashLoopBackOff}; a container killed for memory runs
 * again until the next kill. So a container that last ended abnormally (OOMKilled, or a non-zero exit after a restart)
 * is still in its episode while it is not running, and for {@code recoveryGrace} after it started again; only a
 * container that has run that long since is recovered, and the diagnosis asks to be run again when the grace ends.
 * A run that just ended counts as much as {@code lastState}: the kubelet keeps one dead container per container, and
 * when its container GC removes the run before, the status of a container that just crashed has no {@code lastState}.
 * Likewise a container that has just started again may show none: then the run before is the one the
 * {@link RestartHistory} saw end, if it saw it.
 */
public final class PodDiagnosis {

    /** The finding, and when to look again if time alone can change it (a pod becoming Pending for too long). */
    public record Result(Optional<PodProblem> problem, Optional<Duration> recheckAfter) {
    }

    private final Clock clock;
    private final Duration pendingThreshold;
    private final int restartThreshold;
    private final Duration recoveryGrace;
    private final RestartHistory restarts;

    public PodDiagnosis(Clock clock, Duration pendingThreshold, int restartThreshold, Duration recoveryGrace, RestartHistory restarts) {
        this.clock = clock;
        this.pendingThreshold = pendingThreshold;
        this.restartThreshold = restartThreshold;
        this.recoveryGrace = recoveryGrace;
        this.restarts = restarts;
    }

    /** Diagnoses the pod as it is now; its restarts go into the history whatever the finding. */
    public Result diagnose(Pod pod) {
        PodStatus status = pod.getStatus() == null ? new PodStatus() : pod.getStatus();
        List<ContainerStatus> containers = new ArrayList<>(status.getInitContainerStatuses());
        containers.addAll(status.getContainerStatuses());
        RestartHistory.Recent recent = restarts.observe(pod, containers);

        if ("Failed".equals(status.getPhase()) && PodProblem.EVICTED.equals(status.getReason())) {
            return found(PodProblem.EVICTED, "Evicted by the kubelet: " + orElse(status.getMessage(), "no message"));
        }
        boolean restarted = !"Never".equals(pod.getSpec() == null ? null : pod.getSpec().getRestartPolicy());
        for (ContainerStatus c : containers) {
            ContainerStateTerminated now = c.getState() == null ? null : c.getState().getTerminated();
            ContainerStateTerminated last = runBefore(pod, c);
            boolean oomBefore = last != null && PodProblem.OOM_KILLED.equals(last.getReason());
            Optional<Duration> episode = !oomBefore ? Optional.empty()
                    : !Boolean.TRUE.equals(c.getReady()) ? Optional.of(Duration.ZERO) : restarted ? inEpisode(c, now) : Optional.empty();
            if (now != null && PodProblem.OOM_KILLED.equals(now.getReason()) || episode.isPresent()) {
                return found(PodProblem.OOM_KILLED, "Container " + c.getName() + " was killed for using more memory than its limit ("
                        + c.getRestartCount() + " restarts). Raise its memory limit or find the leak.", episode);
            }
        }
        for (ContainerStatus c : containers) {
            ContainerStateWaiting w = c.getState() == null ? null : c.getState().getWaiting();
            if (w != null && PodProblem.CRASH_LOOP_BACK_OFF.equals(w.getReason())) {
                return found(PodProblem.CRASH_LOOP_BACK_OFF, "Container " + c.getName() + " keeps crashing (" + c.getRestartCount()
                        + " restarts): " + orElse(w.getMessage(), "back-off restarting failed container")
                        + ". Its previous logs say why (kubectl logs --previous).");
            }
        }
        for (ContainerStatus c : containers) {
            ContainerStateTerminated now = c.getState() == null ? null : c.getState().getTerminated();
            ContainerStateTerminated last = runBefore(pod, c);
            // the run that just ended, or the one before (the kubelet's container GC may have removed that one already);
            // not the run that ended because the pod is being deleted (SIGTERM: 143)
            boolean deleting = pod.getMetadata() != null && pod.getMetadata().getDeletionTimestamp() != null;
            ContainerStateTerminated crash = abnormal(now) && !deleting ? now : abnormal(last) ? last : null;
            boolean crashedBefore = crash != null && c.getRestartCount() != null && c.getRestartCount() > 0;
            Optional<Duration> episode = restarted && crashedBefore ? inEpisode(c, now) : Optional.empty();
            if (episode.isPresent()) {
                return found(PodProblem.CRASH_LOOP_BACK_OFF, "Container " + c.getName() + " keeps crashing (" + c.getRestartCount()
                        + " restarts; last exit code " + crash.getExitCode() + (crash.getReason() == null ? "" : ", " + crash.getReason())
                        + "). Its previous logs say why (kubectl logs --previous).", episode);
            }
        }
        for (ContainerStatus c : containers) {
            ContainerStateWaiting w = c.getState() == null ? null : c.getState().getWaiting();
            if (w != null && ("ImagePullBackOff".equals(w.getReason()) || "ErrImagePull".equals(w.getReason()))) {
                return found(PodProblem.IMAGE_PULL_BACK_OFF, "Container " + c.getName() + " cannot pull image " + c.getImage() + " ("
                        + w.getReason() + "): " + orElse(w.getMessage(), "check the image name, tag and pull secret") + ".");
            }
        }
        if ("Pending".equals(status.getPhase()) || status.getPhase() == null) {
            for (PodCondition c : status.getConditions()) {
                if ("PodScheduled".equals(c.getType()) && "False".equals(c.getStatus()) && PodProblem.UNSCHEDULABLE.equals(c.getReason())) {
                    return found(PodProblem.UNSCHEDULABLE, "No node can run this pod: " + orElse(c.getMessage(), "no message") + ".");
                }
            }
            Optional<Instant> created = created(pod);
            if (created.isPresent()) {
                Duration pending = Duration.between(created.get(), clock.instant());
                if (pending.compareTo(pendingThreshold) >= 0) {
                    return found(PodProblem.PENDING_TOO_LONG, "Pending for " + pending.toSeconds() + "s, longer than "
                            + pendingThreshold.toSeconds() + "s. kubectl describe pod shows what it waits for.");
                }
                return new Result(Optional.empty(), Optional.of(pendingThreshold.minus(pending)));
            }
        }
        if (recent.count() > restartThreshold) {
            Duration w = restarts.window();
            String window = w.toSecondsPart() == 0 && w.toMinutes() > 0 ? w.toMinutes() + " min" : w.toSeconds() + " s";
            return found(PodProblem.TOO_MANY_RESTARTS, "Containers restarted " + recent.count() + " times in the last "
                    + window + ", more than " + restartThreshold + ".", recent.untilFewer());
        }
        return new Result(Optional.empty(), Optional.empty());
    }

    /** A deleted pod's restarts are forgotten. */
    public void forget(Pod pod) {
        restarts.forget(pod);
    }

    private static Optional<Instant> created(Pod pod) {
        return instant(pod.getMetadata().getCreationTimestamp());
    }

    private static Result found(String reason, String message) {
        return new Result(Optional.of(new PodProblem(reason, message)), Optional.empty());
    }

    /** With when to look again: the episode's grace may end while nothing else changes. */
    private static Result found(String reason, String message, Optional<Duration> recheckAfter) {
        return new Result(Optional.of(new PodProblem(reason, message)), recheckAfter.filter(d -> !d.isZero()));
    }

    /**
     * Whether a container whose last run ended abnormally is still in that episode: not running (terminated, or waiting
     * for its next start), or running for less than the recovery grace. Present: when to look again (zero: only when
     * it changes).
     */
    private Optional<Duration> inEpisode(ContainerStatus c, ContainerStateTerminated now) {
        var running = c.getState() == null ? null : c.getState().getRunning();
        if (running == null || now != null) {
            return Optional.of(Duration.ZERO);
        }
        Optional<Instant> started = instant(running.getStartedAt());
        if (started.isEmpty()) {
            return Optional.empty();
        }
        Duration up = Duration.between(started.get(), clock.instant());
        return up.compareTo(recoveryGrace) < 0 ? Optional.of(recoveryGrace.minus(up)) : Optional.empty();
    }

    /**
     * How the run before the container's current one ended: its {@code lastState}, or, for a running container whose
     * status no longer has one (the kubelet's container GC removed that run as it started again), what the history saw.
     */
    private ContainerStateTerminated runBefore(Pod pod, ContainerStatus c) {
        ContainerStateTerminated last = c.getLastState() == null ? null : c.getLastState().getTerminated();
        if (last != null || c.getState() == null || c.getState().getRunning() == null) {
            return last;
        }
        return restarts.runBefore(pod, c).orElse(null);
    }

    /** A run that ended with a non-zero exit code. */
    private static boolean abnormal(ContainerStateTerminated t) {
        return t != null && t.getExitCode() != null && t.getExitCode() != 0;
    }

    /** A Kubernetes timestamp, when it is one. */
    static Optional<Instant> instant(String timestamp) {
        try {
            return timestamp == null ? Optional.empty() : Optional.of(OffsetDateTime.parse(timestamp).toInstant());
        } catch (java.time.format.DateTimeParseException e) {
            return Optional.empty();
        }
    }

    private static String orElse(String s, String fallback) {
        return s == null || s.isBlank() ? fallback : s;
    }
}
