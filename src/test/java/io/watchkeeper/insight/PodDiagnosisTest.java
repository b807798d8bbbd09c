package io.watchkeeper.insight;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;

import org.junit.jupiter.api.Test;

import io.fabric8.kubernetes.api.model.ContainerStateBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.PodStatus;

class PodDiagnosisTest {

    private static final Instant NOW = Instant.parse("2026-11-27T12:00:00Z");
    private static final Duration GRACE = Duration.ofSeconds(60);
    private final PodDiagnosis diagnosis = new PodDiagnosis(Clock.fixed(NOW, ZoneOffset.UTC), Duration.ofMinutes(5), 5, GRACE,
            new RestartHistory(Clock.fixed(NOW, ZoneOffset.UTC), Duration.ofHours(1)));

    @Test
    void shouldFindNothingWrongWithARunningReadyPod() {
        PodDiagnosis.Result r = diagnosis.diagnose(pod(PodStatuses.running(true, 2), NOW.minusSeconds(3600)));
        assertThat(r.problem()).isEmpty();
        assertThat(r.recheckAfter()).isEmpty();
    }

    @Test
    void shouldNameCrashLoopBackOffWithTheRestartCount() {
        assertThat(reason(PodStatuses.waiting("CrashLoopBackOff", 3, "Error"))).isEqualTo("CrashLoopBackOff");
        assertThat(diagnosis.diagnose(pod(PodStatuses.waiting("CrashLoopBackOff", 3, "Error"), NOW)).problem().orElseThrow().message())
                .contains("Container app keeps crashing (3 restarts)");
    }

    @Test
    void shouldPreferOomKilledToTheCrashLoopItCauses() {
        assertThat(reason(PodStatuses.waiting("CrashLoopBackOff", 4, "OOMKilled"))).isEqualTo("OOMKilled");
    }

    @Test
    void shouldNotHoldAnOldOomKillAgainstAContainerThatRunsReady() {
        PodStatus status = PodStatuses.running(true, 1);
        status.getContainerStatuses().get(0).setLastState(PodStatuses.waiting("x", 1, "OOMKilled").getContainerStatuses().get(0).getLastState());
        assertThat(diagnosis.diagnose(pod(status, NOW.minusSeconds(3600))).problem()).isEmpty();
    }

    /** What a real kubelet shows between restarts: the container briefly running again, or terminated. */
    @Test
    void shouldKeepACrashEpisodeWhileTheContainerRunsBrieflyBetweenRestarts() {
        PodDiagnosis.Result justRestarted = diagnosis.diagnose(pod(restarted(2, 1, null, NOW.minusSeconds(10)), NOW.minusSeconds(3600)));
        assertThat(justRestarted.problem().orElseThrow().reason()).isEqualTo("CrashLoopBackOff");
        assertThat(justRestarted.recheckAfter()).as("look again when the grace ends").contains(GRACE.minusSeconds(10));

        PodStatus terminated = restarted(2, 1, null, NOW.minusSeconds(10));
        terminated.getContainerStatuses().get(0).setState(new ContainerStateBuilder().withNewTerminated().withExitCode(1).withReason("Error")
                .endTerminated().build());
        assertThat(reason(terminated)).isEqualTo("CrashLoopBackOff");

        assertThat(diagnosis.diagnose(pod(restarted(2, 1, null, NOW.minus(GRACE).minusSeconds(1)), NOW.minusSeconds(3600))).problem())
                .as("running longer than the grace: recovered").isEmpty();
        assertThat(diagnosis.diagnose(pod(restarted(1, 0, null, NOW.minusSeconds(10)), NOW.minusSeconds(3600))).problem())
                .as("it exited cleanly before: no crash").isEmpty();
    }

    /**
     * The kubelet keeps one dead container per container (its container GC runs every minute): right after a crash,
     * before the back-off shows, the GC may remove the run before, and the status then has no {@code lastState}. The
     * container that just ended is a crash by itself.
     */
    @Test
    void shouldKeepACrashEpisodeWhenTheKubeletForgotTheRunBefore() {
        PodStatus s = PodStatuses.running(false, 3);
        s.getContainerStatuses().get(0).setState(new ContainerStateBuilder().withNewTerminated().withExitCode(3).withReason("Error")
                .endTerminated().build());
        assertThat(reason(s)).isEqualTo("CrashLoopBackOff");
        assertThat(diagnosis.diagnose(pod(s, NOW.minusSeconds(3600))).problem().orElseThrow().message()).contains("last exit code 3");

        Pod deleted = pod(s, NOW.minusSeconds(3600));
        deleted.getMetadata().setDeletionTimestamp(NOW.toString());
        deleted.getStatus().getContainerStatuses().get(0).getState().getTerminated().setExitCode(143);
        assertThat(diagnosis.diagnose(deleted).problem()).as("stopped because the pod is being deleted: no crash").isEmpty();

        s.getContainerStatuses().get(0).setRestartCount(0);
        assertThat(diagnosis.diagnose(pod(s, NOW.minusSeconds(3600))).problem()).as("its first crash: the kubelet restarts it at once")
                .isEmpty();
    }

    @Test
    void shouldKeepAnOomEpisodeWhileTheContainerRunsAgainUntilTheNextKill() {
        PodDiagnosis.Result r = diagnosis.diagnose(pod(restarted(3, 137, "OOMKilled", NOW.minusSeconds(5)), NOW.minusSeconds(3600)));
        assertThat(r.problem().orElseThrow().reason()).isEqualTo("OOMKilled");
        assertThat(r.recheckAfter()).contains(GRACE.minusSeconds(5));
    }

    /**
     * Seen on a real kubelet: a container killed for memory waits out its back-off, starts again, and its status shows
     * no {@code lastState} (the container GC removed that run). It is still in the episode the insight saw, not
     * recovered; once it has run for the grace, it is.
     */
    @Test
    void shouldKeepAnEpisodeWhenTheKubeletForgetsTheRunBeforeAsTheContainerStartsAgain() {
        for (String ended : new String[] { "OOMKilled", "Error" }) {
            Pod waiting = pod(PodStatuses.waiting("CrashLoopBackOff", 3, ended), NOW.minusSeconds(3600));
            waiting.getMetadata().setUid("uid-" + ended);
            String problem = ended.equals("OOMKilled") ? "OOMKilled" : "CrashLoopBackOff";
            assertThat(diagnosis.diagnose(waiting).problem().orElseThrow().reason()).isEqualTo(problem);

            java.util.function.BiFunction<Integer, Instant, Pod> startedAgain = (restarts, started) -> {
                PodStatus s = PodStatuses.running(true, restarts); // no lastState
                s.getContainerStatuses().get(0).getState().getRunning().setStartedAt(started.toString());
                Pod p = pod(s, NOW.minusSeconds(3600));
                p.getMetadata().setUid("uid-" + ended);
                return p;
            };
            PodDiagnosis.Result r = diagnosis.diagnose(startedAgain.apply(3, NOW.minusSeconds(1)));
            assertThat(r.problem()).as(ended + ", started again with no lastState").map(PodProblem::reason).contains(problem);
            assertThat(r.recheckAfter()).contains(GRACE.minusSeconds(1));

            assertThat(diagnosis.diagnose(startedAgain.apply(3, NOW.minus(GRACE).minusSeconds(1))).problem())
                    .as(ended + ", running for longer than the grace").isEmpty();
            assertThat(diagnosis.diagnose(startedAgain.apply(4, NOW.minusSeconds(1))).problem())
                    .as(ended + ": a run in between was not seen, its end is unknown").isEmpty();
        }
    }

    @Test
    void shouldNotCallACrashOfAPodThatNeverRestartsALoop() {
        Pod once = pod(restarted(1, 1, null, NOW.minusSeconds(10)), NOW.minusSeconds(3600));
        once.getSpec().setRestartPolicy("Never");
        assertThat(diagnosis.diagnose(once).problem()).isEmpty();
    }

    /** Running (ready) since {@code started}, after {@code restarts} restarts; the last run ended with {@code exitCode}. */
    private static PodStatus restarted(int restarts, int exitCode, String reason, Instant started) {
        PodStatus s = PodStatuses.running(true, restarts);
        var c = s.getContainerStatuses().get(0);
        c.getState().getRunning().setStartedAt(started.toString());
        c.setLastState(new ContainerStateBuilder().withNewTerminated().withExitCode(exitCode).withReason(reason).endTerminated().build());
        return s;
    }

    @Test
    void shouldTreatErrImagePullAndImagePullBackOffAsOneProblem() {
        assertThat(reason(PodStatuses.waiting("ErrImagePull", 0, null))).isEqualTo("ImagePullBackOff");
        assertThat(reason(PodStatuses.waiting("ImagePullBackOff", 0, null))).isEqualTo("ImagePullBackOff");
    }

    @Test
    void shouldNameEvictedAndUnschedulablePods() {
        assertThat(reason(PodStatuses.evicted())).isEqualTo("Evicted");
        assertThat(reason(PodStatuses.unschedulable())).isEqualTo("Unschedulable");
    }

    @Test
    void shouldWaitForThePendingThresholdAndSayWhenToLookAgain() {
        PodDiagnosis.Result young = diagnosis.diagnose(pod(null, NOW.minusSeconds(60)));
        assertThat(young.problem()).isEmpty();
        assertThat(young.recheckAfter()).contains(Duration.ofMinutes(4));

        PodDiagnosis.Result old = diagnosis.diagnose(pod(null, NOW.minusSeconds(300)));
        assertThat(old.problem().orElseThrow().reason()).isEqualTo("PendingTooLong");
    }

    @Test
    void shouldFlagRestartsAboveTheThresholdOnly() {
        assertThat(diagnosis.diagnose(pod(PodStatuses.running(true, 5), NOW)).problem()).isEmpty();
        assertThat(reason(PodStatuses.running(true, 6))).isEqualTo("TooManyRestarts");
    }

    /** TooManyRestarts is about recent restarts: a pod whose last restart is older than the window has none. */
    @Test
    void shouldNotHoldOldRestartsAgainstAPodAndSayWhenRecentOnesAge() {
        PodStatus old = PodStatuses.running(true, 9);
        old.getContainerStatuses().get(0).setLastState(new io.fabric8.kubernetes.api.model.ContainerStateBuilder().withNewTerminated()
                .withExitCode(1).withFinishedAt(NOW.minus(Duration.ofHours(2)).toString()).endTerminated().build());
        assertThat(diagnosis.diagnose(pod(old, NOW.minus(Duration.ofDays(1)))).problem()).isEmpty();

        PodStatus recent = PodStatuses.running(true, 9);
        recent.getContainerStatuses().get(0).setLastState(new io.fabric8.kubernetes.api.model.ContainerStateBuilder().withNewTerminated()
                .withExitCode(1).withFinishedAt(NOW.minus(Duration.ofMinutes(20)).toString()).endTerminated().build());
        Pod p = pod(recent, NOW.minus(Duration.ofDays(1)));
        p.getMetadata().setUid("other");
        PodDiagnosis.Result r = diagnosis.diagnose(p);
        assertThat(r.problem().orElseThrow().message()).contains("restarted 9 times in the last 60 min");
        assertThat(r.recheckAfter()).as("look again when they leave the window").contains(Duration.ofMinutes(40));
    }

    private String reason(PodStatus status) {
        return diagnosis.diagnose(pod(status, NOW)).problem().orElseThrow().reason();
    }

    private static Pod pod(PodStatus status, Instant created) {
        return new PodBuilder().withNewMetadata().withNamespace("ns").withName("p").withCreationTimestamp(created.toString()).endMetadata()
                .withNewSpec().endSpec().withStatus(status).build();
    }
}
