package io.watchkeeper.watch;

import io.watchkeeper.testing.MutableClock;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.junit.jupiter.api.Test;

import io.fabric8.kubernetes.api.model.Condition;
import io.watchkeeper.api.v1alpha1.InformerStatus;
import io.watchkeeper.api.v1alpha1.WatchStatus;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.watchkeeper.discovery.ApiResource;
import io.watchkeeper.informer.FakeInformers;
import io.watchkeeper.informer.SharedInformer;
import io.watchkeeper.informer.Timeline;
import io.watchkeeper.watch.Subscription.Problem;

class WatchStatusFactoryTest {

    private static final Instant T0 = Instant.parse("2026-11-27T10:00:00Z");
    private static final ApiResource PODS = new ApiResource("", "v1", "pods", "Pod", true, "pod", List.of("po"), List.of("list", "watch"));

    private final MutableClock clock = new MutableClock(T0);
    private final WatchStatusFactory factory = new WatchStatusFactory(clock, Duration.ofSeconds(30));

    @Test
    void shouldReportAResolutionProblemInBothConditions() {
        WatchStatus s = factory.build(null, 3L, Subscription.failed(Optional.empty(), new Problem(true, "ResourceNotFound", "no widgets")));

        assertThat(s.getObservedGeneration()).isEqualTo(3L);
        assertThat(s.getResolved()).isNull();
        assertThat(s.getInformer()).isNull();
        assertThat(s.getConditions()).extracting(Condition::getType, Condition::getStatus, Condition::getReason)
                .containsExactly(org.assertj.core.groups.Tuple.tuple("Resolved", "False", "ResourceNotFound"),
                        org.assertj.core.groups.Tuple.tuple("Ready", "False", "ResourceNotFound"));
        assertThat(s.getConditions()).allSatisfy(c -> assertThat(c.getLastTransitionTime()).isEqualTo("2026-11-27T10:00:00Z"));
    }

    @Test
    void shouldReportASelectorProblemAsResolvedButNotReady() {
        WatchStatus s = factory.build(null, 1L, Subscription.failed(Optional.of(PODS), new Problem(false, "InvalidLabelSelector", "bad")));

        assertThat(s.getResolved().getKind()).isEqualTo("Pod");
        assertThat(s.getConditions()).extracting(Condition::getType, Condition::getStatus, Condition::getReason)
                .containsExactly(org.assertj.core.groups.Tuple.tuple("Resolved", "True", "Resolved"),
                        org.assertj.core.groups.Tuple.tuple("Ready", "False", "InvalidLabelSelector"));
    }

    @Test
    void shouldMoveLastTransitionTimeOnlyOnARealTransition() {
        WatchStatus first = factory.build(null, 1L, Subscription.failed(Optional.empty(), new Problem(true, "ResourceNotFound", "a")));
        clock.advance(Duration.ofMinutes(5));
        WatchStatus sameStatus = factory.build(first, 2L, Subscription.failed(Optional.empty(), new Problem(true, "AmbiguousResource", "b")));
        WatchStatus transition = factory.build(sameStatus, 2L, Subscription.failed(Optional.of(PODS), new Problem(false, "InvalidFieldSelector", "c")));

        assertThat(sameStatus.getConditions()).allSatisfy(c -> assertThat(c.getLastTransitionTime()).isEqualTo("2026-11-27T10:00:00Z"));
        assertThat(transition.getConditions().get(0).getLastTransitionTime()).isEqualTo("2026-11-27T10:05:00Z");
        assertThat(transition.getConditions().get(1).getLastTransitionTime()).isEqualTo("2026-11-27T10:00:00Z");
    }

    @Test
    void shouldPatchCountsOnlyWhenTheLastCountsAreOldEnough() {
        WatchStatus current = withCounts(5, 2);
        WatchStatus sameCounts = withCounts(5, 2);
        WatchStatus newCounts = withCounts(6, 3);

        assertThat(factory.needsPatch(null, current, null)).isTrue();
        assertThat(factory.needsPatch(current, sameCounts, T0)).isFalse();
        assertThat(factory.needsPatch(current, newCounts, T0)).isFalse();
        clock.advance(Duration.ofSeconds(30));
        assertThat(factory.needsPatch(current, newCounts, T0)).isTrue();
    }

    @Test
    void shouldPatchAMeaningfulChangeAtOnce() {
        WatchStatus current = withCounts(5, 2);
        WatchStatus synced = withCounts(5, 2);
        synced.getInformer().setSynced(false);
        assertThat(factory.needsPatch(current, synced, T0)).isTrue();
    }

    /**
     * Ready and {@code informer.synced} say the same thing even while the informer changes under the build: both come
     * from one reading of each informer (they were read apart, and a status could say Ready with an unsynced cache).
     */
    @Test
    void shouldNeverSayReadyWithAnUnsyncedInformerWhileItSyncs() throws Exception {
        SharedInformer si = FakeInformers.informer("a", 10);
        Subscription sub = new Subscription(Optional.of(FakeInformers.CONFIGMAPS), Map.of(si.key(), si), Optional.empty());
        java.util.concurrent.atomic.AtomicBoolean stop = new java.util.concurrent.atomic.AtomicBoolean();
        Thread relister = new Thread(() -> { // a new backend (not synced), then its list (synced), over and over
            while (!stop.get()) {
                Timeline.Source<HasMetadata> source = FakeInformers.newBackend(si);
                source.beginList();
                source.listed("1");
            }
        });
        relister.start();
        int ready = 0;
        int syncing = 0;
        try {
            for (int i = 0; i < 200_000 && (ready < 1_000 || syncing < 1_000); i++) {
                WatchStatus s = factory.build(null, 1L, sub);
                boolean isReady = s.getConditions().stream().anyMatch(c -> c.getType().equals("Ready") && c.getStatus().equals("True"));
                assertThat(s.getInformer().getSynced()).as("build %d: informer.synced beside Ready=%s", i, isReady).isEqualTo(isReady);
                if (isReady) {
                    ready++;
                } else {
                    syncing++;
                }
            }
        } finally {
            stop.set(true);
            relister.join();
        }
        assertThat(ready).as("builds that saw the informer synced").isPositive();
        assertThat(syncing).as("builds that saw it syncing").isPositive();
    }

    private WatchStatus withCounts(int items, int consumers) {
        WatchStatus s = factory.build(null, 1L, Subscription.failed(Optional.of(PODS), new Problem(false, "X", "y")));
        s.setInformer(new InformerStatus("v1/pods ns=a", consumers, true, items));
        return s;
    }

}
