package io.watchkeeper.insight;

import static io.watchkeeper.insight.Insight.events;
import static io.watchkeeper.insight.Insight.metric;
import static io.watchkeeper.insight.Insight.problemOf;
import static io.watchkeeper.insight.Insight.problems;
import static io.watchkeeper.insight.Insight.status;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.PodStatus;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.watchkeeper.testing.ControlPlaneResource;
import io.watchkeeper.testing.TestCluster;

/**
 * Pod insight against a real API server. There is no kubelet: the tests write pod status through the status
 * subresource, as a kubelet would, to play crash loops, OOM kills, image pull failures, evictions and scheduling trouble.
 */
@QuarkusTest
@QuarkusTestResource(ControlPlaneResource.class)
class PodInsightTest {

    private static final Duration WAIT = Duration.ofSeconds(30);

    @Test
    void shouldReportACrashLoopWithOneEventAndItsRecoveryWithAnother() {
        String ns = TestCluster.namespace("insight-crash");
        Insight.pod(ns, "crasher", Map.of("app", "crasher"));

        status(ns, "crasher", PodStatuses.waiting("CrashLoopBackOff", 1, "Error"));
        await().atMost(WAIT).untilAsserted(() -> {
            assertThat(problemOf(ns, "crasher")).isEqualTo("CrashLoopBackOff");
            assertThat(events(ns, "crasher", "CrashLoopBackOff")).singleElement().satisfies(e -> {
                assertThat(e.getType()).isEqualTo("Warning");
                assertThat(e.getInvolvedObject().getKind()).isEqualTo("Pod");
            });
            assertThat(metric("watchkeeper_pod_problems{namespace=\"" + ns + "\",reason=\"CrashLoopBackOff\"}")).hasValue(1.0);
        });

        // it keeps crash-looping: the finding follows, no further Event
        status(ns, "crasher", PodStatuses.waiting("CrashLoopBackOff", 2, "Error"));
        status(ns, "crasher", PodStatuses.waiting("CrashLoopBackOff", 3, "Error"));
        await().atMost(WAIT).untilAsserted(() -> assertThat(problems(ns).getString("pods[0].message")).contains("(3 restarts)"));
        assertThat(events(ns, "crasher", "CrashLoopBackOff")).singleElement().extracting(Event::getCount).isEqualTo(1);
        assertThat(metric("watchkeeper_pod_problem_transitions_total{namespace=\"" + ns + "\",reason=\"CrashLoopBackOff\"}"))
                .hasValue(1.0);

        status(ns, "crasher", PodStatuses.running(true, 3));
        await().atMost(WAIT).untilAsserted(() -> {
            assertThat(problemOf(ns, "crasher")).isNull();
            assertThat(events(ns, "crasher", "Recovered")).singleElement().satisfies(e -> {
                assertThat(e.getType()).isEqualTo("Normal");
                assertThat(e.getMessage()).isEqualTo("No longer CrashLoopBackOff.");
            });
            assertThat(metric("watchkeeper_pod_problems{namespace=\"" + ns + "\",reason=\"CrashLoopBackOff\"}")).hasValue(0.0);
            assertThat(metric("watchkeeper_pod_problem_transitions_total{namespace=\"" + ns + "\",reason=\"Recovered\"}")).hasValue(1.0);
        });
    }

    /**
     * The Events an earlier run (or another replica) wrote are where counting continues: an Event's count is the number
     * of times its transition happened, never a per-process count.
     */
    @Test
    void shouldContinueTheCountsOfEventsAnEarlierRunWrote() throws Exception {
        String ns = TestCluster.namespace("insight-counts");
        var pod = Insight.pod(ns, "flapper", Map.of("app", "flapper"));
        status(ns, "flapper", PodStatuses.running(true, 0));
        // given: an earlier run saw it crash-loop three times and recover twice, the last time a minute ago (the recovery
        // first: the operator watches its Events, and a crash loop recorded last would rightly be followed by a recovery)
        earlierEvent(pod, "Normal", "Recovered", 2, java.time.Instant.now().minusSeconds(60));
        earlierEvent(pod, "Warning", "CrashLoopBackOff", 3, java.time.Instant.now().minusSeconds(120));

        // when: it crash-loops again, and recovers again
        status(ns, "flapper", PodStatuses.waiting("CrashLoopBackOff", 1, "Error"));
        // then: the counts go on from the API server's
        await().atMost(WAIT).untilAsserted(() -> assertThat(events(ns, "flapper", "CrashLoopBackOff")).singleElement()
                .extracting(Event::getCount).isEqualTo(4));
        status(ns, "flapper", PodStatuses.running(true, 1));
        await().atMost(WAIT).untilAsserted(() -> assertThat(events(ns, "flapper", "Recovered")).singleElement()
                .extracting(Event::getCount).isEqualTo(3));
        assertThat(events(ns, "flapper", "CrashLoopBackOff")).singleElement().extracting(Event::getCount).isEqualTo(4);
    }

    /** An Event as Watchkeeper names and writes them: {@code <pod>.<16 hex digits of sha-256(uid/reason)>}. */
    private static void earlierEvent(io.fabric8.kubernetes.api.model.Pod pod, String type, String reason, int count, java.time.Instant at)
            throws Exception {
        byte[] digest = java.security.MessageDigest.getInstance("SHA-256")
                .digest((pod.getMetadata().getUid() + "/" + reason).getBytes(java.nio.charset.StandardCharsets.UTF_8));
        String time = at.truncatedTo(java.time.temporal.ChronoUnit.SECONDS).toString();
        TestCluster.admin().v1().events().inNamespace(pod.getMetadata().getNamespace()).resource(new io.fabric8.kubernetes.api.model.EventBuilder()
                .withNewMetadata().withName(pod.getMetadata().getName() + "." + java.util.HexFormat.of().formatHex(digest, 0, 8))
                .addToLabels("app.kubernetes.io/managed-by", "watchkeeper").endMetadata()
                .withNewInvolvedObject().withApiVersion("v1").withKind("Pod").withName(pod.getMetadata().getName())
                .withNamespace(pod.getMetadata().getNamespace()).withUid(pod.getMetadata().getUid()).endInvolvedObject()
                .withType(type).withReason(reason).withMessage("written by an earlier run").withFirstTimestamp(time).withLastTimestamp(time)
                .withCount(count).withNewSource().withComponent("watchkeeper").endSource().withReportingComponent("watchkeeper").build())
                .create();
    }

    @Test
    void shouldNameEveryKindOfProblem() {
        String ns = TestCluster.namespace("insight-pods");
        Map<String, PodStatus> statuses = Map.of(
                "oom", PodStatuses.waiting("CrashLoopBackOff", 2, "OOMKilled"),
                "pull", PodStatuses.waiting("ErrImagePull", 0, null),
                "evicted", PodStatuses.evicted(),
                "unschedulable", PodStatuses.unschedulable(),
                "restarts", PodStatuses.running(true, 9));
        statuses.forEach((name, status) -> {
            Insight.pod(ns, name, Map.of("app", name));
            status(ns, name, status);
        });
        Insight.pod(ns, "stuck", Map.of("app", "stuck")); // no status at all: Pending past the test threshold (6 s)

        Map<String, String> expected = Map.of("oom", "OOMKilled", "pull", "ImagePullBackOff", "evicted", "Evicted",
                "unschedulable", "Unschedulable", "restarts", "TooManyRestarts", "stuck", "PendingTooLong");
        await().atMost(WAIT).untilAsserted(() -> expected.forEach((pod, reason) -> {
            assertThat(problemOf(ns, pod)).as(pod).isEqualTo(reason);
            assertThat(events(ns, pod, reason)).as(pod).singleElement().extracting(Event::getType).isEqualTo("Warning");
            assertThat(metric("watchkeeper_pod_problems{namespace=\"" + ns + "\",reason=\"" + reason + "\"}")).as(pod).hasValue(1.0);
        }));

        // the kubelet alternates ErrImagePull and ImagePullBackOff: one problem, one Event
        status(ns, "pull", PodStatuses.waiting("ImagePullBackOff", 0, null));
        await().atMost(WAIT).untilAsserted(() -> assertThat(problems(ns).getList("pods.message", String.class))
                .anyMatch(m -> m.contains("(ImagePullBackOff)")));
        assertThat(events(ns, "pull", "ImagePullBackOff")).singleElement().extracting(Event::getCount).isEqualTo(1);
    }

    @Test
    void shouldForgetADeletedPodWithoutAnEvent() {
        String ns = TestCluster.namespace("insight-gone");
        Insight.pod(ns, "doomed", Map.of("app", "doomed"));
        status(ns, "doomed", PodStatuses.waiting("CrashLoopBackOff", 4, "Error"));
        await().atMost(WAIT).untilAsserted(() -> assertThat(problemOf(ns, "doomed")).isEqualTo("CrashLoopBackOff"));

        TestCluster.admin().pods().inNamespace(ns).withName("doomed").withGracePeriod(0).delete();

        await().atMost(WAIT).untilAsserted(() -> {
            assertThat(problems(ns).getList("pods")).isEmpty();
            assertThat(metric("watchkeeper_pod_problems{namespace=\"" + ns + "\",reason=\"CrashLoopBackOff\"}")).hasValue(0.0);
        });
        assertThat(events(ns, "doomed", "Recovered")).isEmpty();
        assertThat(List.of(events(ns, "doomed", "CrashLoopBackOff").size())).containsExactly(1);
    }
}
