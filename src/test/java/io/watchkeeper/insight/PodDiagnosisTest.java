package io.watchkeeper.insight;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;

import org.junit.jupiter.api.Test;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.PodStatus;

class PodDiagnosisTest {

    private static final Instant NOW = Instant.parse("2026-11-27T12:00:00Z");
    private final PodDiagnosis diagnosis = new PodDiagnosis(Clock.fixed(NOW, ZoneOffset.UTC), Duration.ofMinutes(5), 5);

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

    private String reason(PodStatus status) {
        return diagnosis.diagnose(pod(status, NOW)).problem().orElseThrow().reason();
    }

    private static Pod pod(PodStatus status, Instant created) {
        return new PodBuilder().withNewMetadata().withNamespace("ns").withName("p").withCreationTimestamp(created.toString()).endMetadata()
                .withStatus(status).build();
    }
}
