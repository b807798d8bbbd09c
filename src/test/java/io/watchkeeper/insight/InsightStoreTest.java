package io.watchkeeper.insight;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.junit.jupiter.api.Test;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.watchkeeper.insight.InsightStore.PodTransition;
import io.watchkeeper.insight.InsightStore.ServiceTransition;

class InsightStoreTest {

    private static final Instant T0 = Instant.parse("2026-11-27T12:00:00Z");
    private static final ResourceID POD = new ResourceID("p", "ns");
    private static final ResourceID SVC = new ResourceID("s", "ns");
    private final InsightStore store = new InsightStore();

    @Test
    void shouldReportAPodProblemOnceUntilItsReasonChanges() {
        PodProblem crash = new PodProblem("CrashLoopBackOff", "3 restarts");
        assertThat(store.recordPod(POD, Optional.of(crash), T0)).contains(new PodTransition(null, crash));
        PodProblem stillCrashing = new PodProblem("CrashLoopBackOff", "4 restarts");
        assertThat(store.recordPod(POD, Optional.of(stillCrashing), T0.plusSeconds(60))).isEmpty();
        assertThat(store.podProblems()).singleElement().satisfies(f -> {
            assertThat(f.problem().message()).isEqualTo("4 restarts");
            assertThat(f.since()).isEqualTo(T0);
        });

        PodProblem oom = new PodProblem("OOMKilled", "killed");
        assertThat(store.recordPod(POD, Optional.of(oom), T0.plusSeconds(90))).contains(new PodTransition(stillCrashing, oom));
        assertThat(store.recordPod(POD, Optional.empty(), T0.plusSeconds(120))).contains(new PodTransition(oom, null));
        assertThat(store.recordPod(POD, Optional.empty(), T0.plusSeconds(130))).isEmpty();
        assertThat(store.podProblems()).isEmpty();
    }

    @Test
    void shouldKeepAServiceStateSinceItsTransition() {
        assertThat(store.recordService(SVC, health(0, 0), T0)).contains(new ServiceTransition(null, ServiceState.NoMatchingPods));
        assertThat(store.recordService(SVC, health(2, 1), T0.plusSeconds(5)))
                .contains(new ServiceTransition(ServiceState.NoMatchingPods, ServiceState.PartiallyReady));
        assertThat(store.recordService(SVC, health(3, 1), T0.plusSeconds(9))).isEmpty();
        assertThat(store.service(SVC).orElseThrow().since()).isEqualTo(T0.plusSeconds(5));
        assertThat(store.service(SVC).orElseThrow().health().selectedPods()).hasSize(3);

        store.forgetService(SVC);
        assertThat(store.services()).isEmpty();
    }

    @Test
    void shouldJudgeServicesAsTheEndpointsControllerWould() {
        Map<String, String> selector = Map.of("app", "web");
        Pod ready = pod("a", Map.of("app", "web", "x", "y"), PodStatuses.running(true, 0));
        Pod notReady = pod("b", Map.of("app", "web"), PodStatuses.running(false, 0));
        Pod finished = pod("c", Map.of("app", "web"), PodStatuses.evicted());
        Pod other = pod("d", Map.of("app", "db"), PodStatuses.running(true, 0));

        assertThat(ServiceHealth.of(Map.of(), List.of(ready)).state()).isEqualTo(ServiceState.NoSelector);
        assertThat(ServiceHealth.of(selector, List.of(other, finished)).state()).isEqualTo(ServiceState.NoMatchingPods);
        assertThat(ServiceHealth.of(selector, List.of(notReady)).state()).isEqualTo(ServiceState.NoReadyPods);
        assertThat(ServiceHealth.of(selector, List.of(notReady)).message("web")).startsWith("The one pod selected by Service web is not ready");
        assertThat(ServiceHealth.of(selector, List.of(notReady, pod("e", Map.of("app", "web"), null))).message("web"))
                .startsWith("None of the 2 pods selected by Service web is ready");
        ServiceHealth partial = ServiceHealth.of(selector, List.of(ready, notReady, finished, other));
        assertThat(partial.state()).isEqualTo(ServiceState.PartiallyReady);
        assertThat(partial.selectedPods()).containsExactly("a", "b");
        assertThat(partial.readyPods()).containsExactly("a");
        assertThat(ServiceHealth.of(selector, List.of(ready)).state()).isEqualTo(ServiceState.Ready);
    }

    private static ServiceHealth health(int selected, int ready) {
        List<String> names = java.util.stream.IntStream.range(0, selected).mapToObj(i -> "p" + i).toList();
        ServiceState state = selected == 0 ? ServiceState.NoMatchingPods
                : ready == 0 ? ServiceState.NoReadyPods : ready < selected ? ServiceState.PartiallyReady : ServiceState.Ready;
        return new ServiceHealth(state, names, names.subList(0, ready));
    }

    private static Pod pod(String name, Map<String, String> labels, io.fabric8.kubernetes.api.model.PodStatus status) {
        return new PodBuilder().withNewMetadata().withNamespace("ns").withName(name).withLabels(labels).endMetadata().withStatus(status).build();
    }
}
