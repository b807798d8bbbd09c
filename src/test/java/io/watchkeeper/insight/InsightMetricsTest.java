package io.watchkeeper.insight;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.Collection;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.Test;

import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.watchkeeper.metrics.MetricNames;

/** The insight gauges cost nothing per second while no finding changes, however many there are. */
class InsightMetricsTest {

    @Test
    void shouldReadTheStoreOnlyWhenAFindingMayHaveChanged() {
        AtomicInteger reads = new AtomicInteger();
        InsightStore store = new InsightStore() {
            @Override
            public Collection<PodFinding> podProblems() {
                reads.incrementAndGet();
                return super.podProblems();
            }
        };
        for (int i = 0; i < 1000; i++) {
            store.recordPod(new ResourceID("p" + i, "shop"), Optional.of(new PodProblem("CrashLoopBackOff", "crashing")), Instant.now());
        }
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        InsightMetrics metrics = new InsightMetrics(registry, store);
        try {
            metrics.refresh();
            int afterFirst = reads.get();
            assertThat(afterFirst).isPositive();
            assertThat(registry.get(MetricNames.POD_PROBLEMS).tag(MetricNames.TAG_REASON, "CrashLoopBackOff").gauge().value()).isEqualTo(1000);

            for (int i = 0; i < 10; i++) {
                metrics.refresh();
            }
            assertThat(reads.get()).as("no pass over the findings while nothing changed").isEqualTo(afterFirst);

            store.forgetPod(new ResourceID("p0", "shop"));
            metrics.refresh();
            assertThat(reads.get()).isGreaterThan(afterFirst);
            assertThat(registry.get(MetricNames.POD_PROBLEMS).tag(MetricNames.TAG_REASON, "CrashLoopBackOff").gauge().value()).isEqualTo(999);
        } finally {
            metrics.shutdown();
        }
    }
}
