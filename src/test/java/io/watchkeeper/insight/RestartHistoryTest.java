package io.watchkeeper.insight;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

import org.junit.jupiter.api.Test;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.watchkeeper.testing.MutableClock;

class RestartHistoryTest {

    private static final Instant T0 = Instant.parse("2026-12-01T10:00:00Z");
    private final MutableClock clock = new MutableClock(T0);
    private final RestartHistory history = new RestartHistory(clock, Duration.ofHours(1));

    @Test
    void shouldCountRestartsWithinTheWindowAndLetThemAgeOut() {
        assertThat(observe(pod("a", 0, null))).isEqualTo(new RestartHistory.Recent(0, Optional.empty()));
        // first seen with 3 restarts, the last 10 s ago: all three dated then (the kubelet says no more)
        assertThat(observe(pod("a", 3, T0.minusSeconds(10))))
                .isEqualTo(new RestartHistory.Recent(3, Optional.of(Duration.ofMinutes(60).minusSeconds(10))));
        clock.advance(Duration.ofMinutes(30));
        assertThat(observe(pod("a", 5, clock.instant())).count()).isEqualTo(5);
        assertThat(observe(pod("a", 5, clock.instant())).count()).as("seen again, nothing new").isEqualTo(5);
        clock.advance(Duration.ofMinutes(31));
        assertThat(observe(pod("a", 5, T0.plus(Duration.ofMinutes(30)))))
                .isEqualTo(new RestartHistory.Recent(2, Optional.of(Duration.ofMinutes(29))));
        clock.advance(Duration.ofMinutes(30));
        assertThat(observe(pod("a", 5, T0.plus(Duration.ofMinutes(30)))).count()).isZero();
    }

    @Test
    void shouldNotCountRestartsThatEndedBeforeTheWindowWhenFirstSeen() {
        assertThat(observe(pod("b", 40, T0.minus(Duration.ofHours(3)))).count()).isZero();
    }

    @Test
    void shouldDateARestartWithoutATerminationTimeWhenSeenAndForgetDeletedPods() {
        assertThat(observe(pod("c", 2, null))).isEqualTo(new RestartHistory.Recent(2, Optional.of(Duration.ofHours(1))));
        history.forget(pod("c", 2, null));
        clock.advance(Duration.ofMinutes(10));
        assertThat(observe(pod("c", 2, null)).untilFewer()).as("starts over").contains(Duration.ofHours(1));
    }

    private RestartHistory.Recent observe(Pod pod) {
        return history.observe(pod, pod.getStatus().getContainerStatuses());
    }

    private static Pod pod(String uid, int restarts, Instant lastFinished) {
        return new PodBuilder().withNewMetadata().withNamespace("ns").withName(uid).withUid(uid).endMetadata().withNewStatus()
                .addNewContainerStatus().withName("app").withRestartCount(restarts).withNewLastState().withNewTerminated().withExitCode(1)
                .withFinishedAt(lastFinished == null ? null : lastFinished.toString()).endTerminated().endLastState().endContainerStatus()
                .endStatus().build();
    }
}
