package io.watchkeeper.insight;

import static io.watchkeeper.insight.Insight.events;
import static io.watchkeeper.insight.Insight.problemOf;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import org.jboss.logging.Logger;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.VolumeBuilder;
import io.fabric8.kubernetes.api.model.VolumeMountBuilder;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.watchkeeper.testing.ControlPlaneResource;
import io.watchkeeper.testing.TestCluster;

/**
 * Pod insight on real pods: a real kubelet (the test bed's node) starts busybox containers that crash, run out of
 * memory, or name an image nobody serves, and insight must name each problem, with one Warning Event, from what the
 * kubelet itself writes, and count it in {@code watchkeeper_pod_problems}; a pod that crashes twice and then runs gets
 * one Warning and one Recovered. Each case prints how long it took from the pod's creation.
 */
@QuarkusTest
@QuarkusTestResource(ControlPlaneResource.class)
class RealPodInsightTest {

    private static final Logger LOG = Logger.getLogger(RealPodInsightTest.class);
    /** The kubelet's first back-off is 10 s; an image pull fails within seconds (src/testbed/NODE.md, setting 11); margin for a busy machine. */
    private static final Duration WAIT = Duration.ofSeconds(90);

    @BeforeAll
    static void startTheNode() {
        TestCluster.node();
    }

    @Test
    void shouldNameTheProblemsARealKubeletReports() {
        String ns = TestCluster.namespace("real-pods");
        Map<String, String> expected = Map.of("crasher", "CrashLoopBackOff", "hog", "OOMKilled", "missing", "ImagePullBackOff");
        long start = System.nanoTime();
        create(pod(ns, "crasher", "busybox:1.35", List.of("sh", "-c", "echo bye; exit 3"), null));
        // fills 20Mi within a fraction of a second, each run: a run longer than the recovery grace would rightly count
        // as a recovery (`tail /dev/zero` took more than 15 s on a busy machine once)
        create(pod(ns, "hog", "busybox:1.35", List.of("sh", "-c", "x=$(head -c 256m /dev/zero | tr '\\0' a)"), "20Mi"));
        create(pod(ns, "missing", "example.invalid/nobody/nothing:1", List.of("sh"), null));
        // crashes twice, then runs: counts its starts in a volume that outlives the container
        Pod flaky = pod(ns, "flaky", "busybox:1.35", List.of("sh", "-c",
                "n=$(( $(cat /data/n 2>/dev/null || echo 0) + 1 )); echo $n > /data/n; [ $n -ge 3 ] && exec sleep 3600; exit 1"), null);
        flaky.getSpec().getContainers().get(0).getVolumeMounts().add(new VolumeMountBuilder().withName("data").withMountPath("/data").build());
        flaky.getSpec().getVolumes().add(new VolumeBuilder().withName("data").withNewEmptyDir().endEmptyDir().build());
        create(flaky);

        expected.forEach((name, problem) -> {
            await().atMost(WAIT).untilAsserted(() -> assertThat(problemOf(ns, name)).as(name).isIn(alsoAccepted(problem)));
            LOG.infof("%s: %s after %d ms", name, problemOf(ns, name), (System.nanoTime() - start) / 1_000_000);
        });
        // and counted: the gauge is sampled every second
        for (String reason : List.of("CrashLoopBackOff", "OOMKilled")) {
            await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(problems(ns, reason)).as(reason).isGreaterThanOrEqualTo(1));
        }
        // the missing image is the only pod with that problem here; ErrImagePull and ImagePullBackOff, which the kubelet
        // alternates between, are one problem and one series
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(problems(ns, "ImagePullBackOff")).isEqualTo(1));
        assertThat(io.watchkeeper.testing.OperatorMetrics.value("watchkeeper_pod_problems{namespace=\"" + ns + "\",reason=\"ErrImagePull\"}"))
                .as("a series for ErrImagePull").isEmpty();
        // The kubelet restarts the two crashing containers with back-off (10 s, 20 s, …); between restarts a container
        // is briefly running or terminated. That is not a recovery: one Warning per problem episode, and no Recovered.
        for (String name : List.of("crasher", "hog")) {
            await().atMost(WAIT.multipliedBy(2)).until(() -> restarts(ns, name) >= 3);
        }
        // the flaky one crashed, and once it has run for the recovery grace (15 s in the test profile) it has recovered:
        // one Warning, then one Recovered
        await().atMost(WAIT.multipliedBy(2)).untilAsserted(() -> {
            assertThat(events(ns, "flaky", "CrashLoopBackOff")).singleElement().satisfies(e -> assertThat(e.getCount()).isIn(null, 1));
            assertThat(events(ns, "flaky", "Recovered")).singleElement().satisfies(e -> assertThat(e.getCount()).isIn(null, 1));
            assertThat(problemOf(ns, "flaky")).isNull();
        });
        LOG.infof("flaky: recovered after %d ms", (System.nanoTime() - start) / 1_000_000);
        expected.forEach((name, problem) -> {
            // on failure, say what the kubelet showed: its reasons and their order are what insight reads
            assertThat(problemOf(ns, name)).as(() -> name + ": " + TestCluster.admin().pods().inNamespace(ns).withName(name).get()
                    .getStatus().getContainerStatuses()).isIn(alsoAccepted(problem));
            assertThat(events(ns, name, "Recovered")).as("%s: Recovered Events while it kept failing", name).isEmpty();
            assertThat(events(ns, name, problemOf(ns, name))).as(name).singleElement().satisfies(e -> {
                assertThat(e.getType()).isEqualTo("Warning");
                assertThat(e.getCount()).as("%s: Warnings for one episode", name).isIn(null, 1);
            });
        });
    }

    /**
     * A readiness probe run by a real kubelet: the pod is ready while a file exists, then stops being ready. The
     * Service follows it from Ready to NoReadyPods (insight), and the endpoints controller moves the pod's address from
     * the Endpoints' {@code addresses} to {@code notReadyAddresses}.
     */
    @Test
    void shouldFollowAServiceWhosePodFailsItsRealReadinessProbe() {
        String ns = TestCluster.namespace("real-probes");
        Insight.service(ns, "web", Map.of("app", "web"));
        Pod web = pod(ns, "web", "busybox:1.35", List.of("sh", "-c", "echo serving; touch /tmp/ready; sleep 20; rm /tmp/ready; exec sleep 3600"),
                null);
        web.getSpec().getContainers().get(0).setReadinessProbe(new io.fabric8.kubernetes.api.model.ProbeBuilder().withNewExec()
                .withCommand("cat", "/tmp/ready").endExec().withPeriodSeconds(1).withFailureThreshold(1).build());
        long start = System.nanoTime();
        create(web);

        await().atMost(WAIT).untilAsserted(() -> {
            assertThat(Insight.serviceInsight(ns, "web").getString("state")).isEqualTo("Ready");
            assertThat(addresses(ns, "web", false)).isEqualTo(1);
            // counted too (sampled every second; the pod stays ready for about 20 s)
            assertServiceMetrics(ns, "web", "Ready", 1, 1);
        });
        LOG.infof("web: Service Ready after %d ms", (System.nanoTime() - start) / 1_000_000);
        // kubectl logs: the API server reaches the kubelet at the node's address
        assertThat(TestCluster.admin().pods().inNamespace(ns).withName("web").getLog()).contains("serving");
        await().atMost(WAIT).untilAsserted(() -> {
            assertThat(Insight.serviceInsight(ns, "web").getString("state")).isEqualTo("NoReadyPods");
            assertThat(addresses(ns, "web", true)).isEqualTo(1);
            assertThat(addresses(ns, "web", false)).isZero();
            assertThat(events(ns, "web", "NoReadyPods")).singleElement().satisfies(e -> assertThat(e.getType()).isEqualTo("Warning"));
        });
        LOG.infof("web: Service NoReadyPods after %d ms (the probe starts failing 20 s in)", (System.nanoTime() - start) / 1_000_000);
        // and counted: the gauges are sampled every second
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertServiceMetrics(ns, "web", "NoReadyPods", 1, 0));
    }

    /**
     * What the node itself refuses: a pod that asks for more CPU than the node has stays Pending with the scheduler's
     * Unschedulable; a pod that fills its emptyDir past its size limit is evicted by the kubelet's eviction manager.
     */
    @Test
    void shouldNameAnUnschedulableAndAnEvictedPod() {
        String ns = TestCluster.namespace("real-limits");
        long start = System.nanoTime();
        Pod greedy = pod(ns, "greedy", "busybox:1.35", List.of("sleep", "3600"), null);
        greedy.getSpec().getContainers().get(0).setResources(new io.fabric8.kubernetes.api.model.ResourceRequirementsBuilder()
                .addToRequests("cpu", new Quantity("1000")).build());
        create(greedy);
        Pod filler = pod(ns, "filler", "busybox:1.35", List.of("sh", "-c", "dd if=/dev/zero of=/data/fill bs=1M count=8; exec sleep 3600"), null);
        filler.getSpec().getContainers().get(0).getVolumeMounts().add(new VolumeMountBuilder().withName("data").withMountPath("/data").build());
        filler.getSpec().getVolumes().add(new VolumeBuilder().withName("data").withNewEmptyDir().withSizeLimit(new Quantity("1Mi"))
                .endEmptyDir().build());
        create(filler);

        await().atMost(WAIT).untilAsserted(() -> assertThat(problemOf(ns, "greedy")).isEqualTo("Unschedulable"));
        LOG.infof("greedy: Unschedulable after %d ms", (System.nanoTime() - start) / 1_000_000);
        // the kubelet measures volumes every volumeStatsAggPeriod (10 s on the test node) and evicts on its next pass
        await().atMost(WAIT).untilAsserted(() -> assertThat(problemOf(ns, "filler")).isEqualTo("Evicted"));
        LOG.infof("filler: Evicted after %d ms", (System.nanoTime() - start) / 1_000_000);
        for (String name : List.of("greedy", "filler")) {
            await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(events(ns, name, problemOf(ns, name))).as(name)
                    .singleElement().satisfies(e -> assertThat(e.getType()).isEqualTo("Warning")));
        }
        for (String reason : List.of("Unschedulable", "Evicted")) {
            await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(problems(ns, reason)).as(reason).isEqualTo(1));
        }
    }

    /** {@code watchkeeper_pod_problems} for the namespace and reason, as the operator exports it. */
    private static double problems(String ns, String reason) {
        return io.watchkeeper.testing.OperatorMetrics.value("watchkeeper_pod_problems{namespace=\"" + ns + "\",reason=\"" + reason + "\"}")
                .orElse(0);
    }

    /**
     * The Service insight gauges for one Service alone in its namespace: {@code watchkeeper_services} is 1 for its
     * state and 0 for every other, and its selected and ready pods are as given.
     */
    private static void assertServiceMetrics(String ns, String service, String state, int selected, int ready) {
        for (ServiceState s : ServiceState.values()) {
            assertThat(io.watchkeeper.testing.OperatorMetrics.value("watchkeeper_services{namespace=\"" + ns + "\",state=\"" + s + "\"}"))
                    .as("watchkeeper_services %s", s).hasValue(s.name().equals(state) ? 1.0 : 0.0);
        }
        String where = "{namespace=\"" + ns + "\",service=\"" + service + "\"}";
        assertThat(io.watchkeeper.testing.OperatorMetrics.value("watchkeeper_service_selected_pods" + where)).as("selected pods")
                .hasValue(selected);
        assertThat(io.watchkeeper.testing.OperatorMetrics.value("watchkeeper_service_ready_pods" + where)).as("ready pods")
                .hasValue(ready);
    }

    /** Addresses in the Service's Endpoints, ready ones or not ready ones. */
    private static int addresses(String ns, String service, boolean notReady) {
        var endpoints = TestCluster.admin().endpoints().inNamespace(ns).withName(service).get();
        return endpoints == null ? 0 : endpoints.getSubsets().stream()
                .mapToInt(s -> (notReady ? s.getNotReadyAddresses() : s.getAddresses()).size()).sum();
    }

    private static int restarts(String ns, String name) {
        Pod p = TestCluster.admin().pods().inNamespace(ns).withName(name).get();
        return p.getStatus().getContainerStatuses().stream().mapToInt(c -> c.getRestartCount() == null ? 0 : c.getRestartCount()).sum();
    }

    /** A real kubelet shows a problem in more than one form along the way: ErrImagePull before ImagePullBackOff. */
    private static List<String> alsoAccepted(String problem) {
        return switch (problem) {
            case "ImagePullBackOff" -> List.of("ImagePullBackOff", "ErrImagePull");
            case "OOMKilled" -> List.of("OOMKilled");
            default -> List.of(problem);
        };
    }

    private static Pod pod(String ns, String name, String image, List<String> command, String memoryLimit) {
        PodBuilder b = new PodBuilder().withNewMetadata().withNamespace(ns).withName(name).addToLabels("app", name).endMetadata()
                .withNewSpec().withTerminationGracePeriodSeconds(0L).withAutomountServiceAccountToken(false)
                .addNewContainer().withName("main").withImage(image).withImagePullPolicy("IfNotPresent").withCommand(command)
                .endContainer().endSpec();
        if (memoryLimit != null) {
            b.editSpec().editFirstContainer().withNewResources().addToLimits("memory", new Quantity(memoryLimit)).endResources()
                    .endContainer().endSpec();
        }
        return b.build();
    }

    private static void create(Pod pod) {
        TestCluster.admin().resource(io.watchkeeper.demo.Node.place(pod)).create();
    }
}
