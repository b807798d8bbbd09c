package io.watchkeeper.insight;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.EventBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;

class EventLedgerTest {

    private static final Instant NOW = Instant.parse("2026-12-02T10:00:00.700Z");
    private final Pod pod = new PodBuilder().withNewMetadata().withNamespace("shop").withName("web-1").withUid("uid-1")
            .withResourceVersion("42").endMetadata().build();

    @Test
    void shouldStartAnObjectsFirstEventAtCountOneAndSequenceOne() {
        EventLedger ledger = new EventLedger(pod, List.of());

        Event e = ledger.next("Warning", "CrashLoopBackOff", "crashing", NOW);

        assertThat(ledger.latestReason()).isEmpty();
        assertThat(EventLedger.exists(e)).isFalse();
        assertThat(e.getCount()).isEqualTo(1);
        assertThat(e.getMetadata().getAnnotations()).containsEntry(EventLedger.SEQUENCE, "1");
        assertThat(e.getMetadata().getName()).isEqualTo(EventLedger.eventName(pod, "CrashLoopBackOff")).startsWith("web-1.");
        assertThat(e.getInvolvedObject().getUid()).isEqualTo("uid-1");
        assertThat(e.getFirstTimestamp()).isEqualTo("2026-12-02T10:00:00Z").isEqualTo(e.getLastTimestamp());
        assertThat(e.getSource().getComponent()).isEqualTo("watchkeeper");
    }

    @Test
    void shouldCountATransitionThatHappensAgainOnItsEventWithoutTouchingTheCachedCopy() {
        Event crash = written("CrashLoopBackOff", 3, 1, "2026-12-02T09:00:00Z");
        Event recovered = written("Recovered", 2, 2, "2026-12-02T09:30:00Z");
        EventLedger ledger = new EventLedger(pod, List.of(crash, recovered));
        assertThat(ledger.latestReason()).contains("Recovered");

        Event again = ledger.next("Warning", "CrashLoopBackOff", "crashing again", NOW);

        assertThat(EventLedger.exists(again)).as("updated, with the version read").isTrue();
        assertThat(again.getMetadata().getResourceVersion()).isEqualTo("rv-CrashLoopBackOff");
        assertThat(again.getCount()).isEqualTo(4);
        assertThat(again.getMetadata().getAnnotations()).containsEntry(EventLedger.SEQUENCE, "3");
        assertThat(again.getMessage()).isEqualTo("crashing again");
        assertThat(again.getFirstTimestamp()).isEqualTo("2026-12-02T09:00:00Z");
        assertThat(again.getLastTimestamp()).isEqualTo("2026-12-02T10:00:00Z");
        assertThat(crash.getCount()).as("the informer's copy").isEqualTo(3);
        assertThat(crash.getMetadata().getAnnotations()).containsEntry(EventLedger.SEQUENCE, "1");
    }

    @Test
    void shouldOrderBySequenceWhenTwoTransitionsShareASecond() {
        Event crash = written("CrashLoopBackOff", 1, 2, "2026-12-02T09:00:00Z");
        Event recovered = written("Recovered", 1, 1, "2026-12-02T09:00:00Z");

        assertThat(new EventLedger(pod, List.of(crash, recovered)).latestReason()).contains("CrashLoopBackOff");
        assertThat(new EventLedger(pod, List.of(recovered, crash)).latestReason()).contains("CrashLoopBackOff");
    }

    @Test
    void shouldPutEventsWithoutASequenceFirstAndOrderThemByTime() {
        Event oldCrash = written("CrashLoopBackOff", 2, 0, "2026-12-02T09:10:00Z");
        Event oldRecovered = written("Recovered", 1, 0, "2026-12-02T09:20:00Z");
        EventLedger ledger = new EventLedger(pod, List.of(oldRecovered, oldCrash));

        assertThat(ledger.latestReason()).contains("Recovered");
        Event next = ledger.next("Warning", "OOMKilled", "out of memory", NOW);
        assertThat(next.getMetadata().getAnnotations()).containsEntry(EventLedger.SEQUENCE, "1");
    }

    @Test
    void shouldIgnoreEventsAboutAnEarlierPodOfTheSameName() {
        Event earlier = written("CrashLoopBackOff", 5, 7, "2026-12-02T09:00:00Z");
        earlier.getInvolvedObject().setUid("uid-0");

        EventLedger ledger = new EventLedger(pod, List.of(earlier));

        assertThat(ledger.latestReason()).isEmpty();
        assertThat(ledger.next("Warning", "CrashLoopBackOff", "crashing", NOW).getCount()).isEqualTo(1);
    }

    /** An Event as the API server has it after Watchkeeper wrote it; {@code sequence} 0: written before sequences. */
    private Event written(String reason, int count, long sequence, String last) {
        Map<String, String> annotations = sequence == 0 ? Map.of() : Map.of(EventLedger.SEQUENCE, Long.toString(sequence));
        return new EventBuilder().withNewMetadata().withNamespace("shop").withName(EventLedger.eventName(pod, reason))
                .withResourceVersion("rv-" + reason).withAnnotations(new java.util.HashMap<>(annotations)).endMetadata()
                .withNewInvolvedObject().withKind("Pod").withName("web-1").withNamespace("shop").withUid("uid-1").endInvolvedObject()
                .withType("Recovered".equals(reason) ? "Normal" : "Warning").withReason(reason).withCount(count)
                .withFirstTimestamp("2026-12-02T09:00:00Z").withLastTimestamp(last).withNewSource().withComponent("watchkeeper").endSource()
                .build();
    }
}
