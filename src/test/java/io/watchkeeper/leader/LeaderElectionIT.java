package io.watchkeeper.leader;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.PodStatus;
import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.watchkeeper.insight.PodStatuses;
import io.watchkeeper.stream.StreamConnection;
import io.watchkeeper.testing.AuditLog;
import io.watchkeeper.testing.OperatorJar;
import io.watchkeeper.testing.TestCluster;
import io.watchkeeper.testing.Watches;

/**
 * Two operator processes (the packaged jar) against the real API server, electing their leader through the Lease as two
 * replicas in a cluster do: one writes, both serve, and Events stay exact through a crash, a graceful stop and a restart
 * of both. Failover times are measured and printed; the assertions hold them to bounds derived from the lease settings
 * (the product's defaults), so that a busy machine does not fail them.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class LeaderElectionIT {

    /** The product's defaults (watchkeeper.leader-election.*). */
    private static final Duration LEASE = Duration.ofSeconds(15);
    private static final Duration RETRY = Duration.ofMillis(500);
    /** Starting, stopping, a reconcile, an informer event: slack for a busy 2-core machine. */
    private static final Duration MARGIN = Duration.ofSeconds(20);
    private static final Duration WAIT = LEASE.plus(MARGIN);
    private static final String LEASE_NAME = "watchkeeper-leader";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    private static Path dir;
    private static String ns;
    private static Replica a;
    private static Replica b;

    /** One operator process. */
    private static final class Replica {
        final String name;
        final int port;
        Process process;

        Replica(String name) throws IOException {
            this.name = name;
            this.port = OperatorJar.freePort();
        }

        Replica start() throws IOException {
            process = OperatorJar.start(dir.resolve("operator-" + name + ".log"), port, Map.of());
            return this;
        }

        boolean leads() {
            return metric("watchkeeper_leader").orElse(-1) == 1.0;
        }

        /** Up, and following: its gauge reads 0 (absent while it starts). */
        boolean follows() {
            return metric("watchkeeper_leader").orElse(-1) == 0.0;
        }

        java.util.OptionalDouble metric(String series) {
            try {
                String body = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/q/metrics")).build(),
                        HttpResponse.BodyHandlers.ofString()).body();
                Matcher m = Pattern.compile("(?m)^" + Pattern.quote(series) + " (\\S+)$").matcher(body);
                return m.find() ? java.util.OptionalDouble.of(Double.parseDouble(m.group(1))) : java.util.OptionalDouble.empty();
            } catch (IOException e) {
                return java.util.OptionalDouble.empty();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        }

        JsonNode get(String path) throws Exception {
            HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                    .header("Authorization", "Bearer " + TestCluster.ADMIN_TOKEN).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(r.statusCode()).as("%s on %s: %s", path, name, r.body()).isEqualTo(200);
            return JSON.readTree(r.body());
        }

        List<String> items() throws Exception {
            return get("/api/v1alpha1/namespaces/" + ns + "/resourcewatches/config/items").path("items").findValuesAsText("name");
        }

        String problemOf(String pod) throws Exception {
            for (JsonNode p : get("/api/v1alpha1/problems?namespace=" + ns).path("pods")) {
                if (pod.equals(p.path("name").asText())) {
                    return p.path("reason").asText();
                }
            }
            return null;
        }

        /** SIGTERM, and wait for the process to end. */
        void stop() throws InterruptedException {
            process.destroy();
            assertThat(process.waitFor(60, TimeUnit.SECONDS)).as("%s stops on SIGTERM", name).isTrue();
        }

        String log() {
            return OperatorJar.tail(dir.resolve("operator-" + name + ".log"), 40);
        }
    }

    @BeforeAll
    static void startTwoReplicas() throws Exception {
        dir = Files.createTempDirectory("leader-election-it-");
        ns = TestCluster.namespace("leader-election");
        // a Lease left by an earlier test class's operator would only delay the first election
        TestCluster.admin().leases().inNamespace(TestCluster.LEASE_NAMESPACE).withName(LEASE_NAME).delete();
        a = new Replica("a").start();
        b = new Replica("b").start();
    }

    @AfterAll
    static void stopBoth() throws Exception {
        for (Replica r : new Replica[] { a, b }) {
            if (r != null && r.process != null && r.process.isAlive()) {
                r.stop();
            }
        }
        TestCluster.admin().namespaces().withName(ns).delete();
    }

    @Test
    @Order(1)
    void shouldLetOneReplicaWriteWhileBothServe() throws Exception {
        Replica leader = awaitOneLeader();
        Replica follower = other(leader);
        Lease lease = TestCluster.admin().leases().inNamespace(TestCluster.LEASE_NAMESPACE).withName(LEASE_NAME).get();
        assertThat(lease.getSpec().getHolderIdentity()).isNotBlank();

        // both serve a watch's items, though only the leader reconciles it
        Watches.createReady(Watches.resourceWatch(ns, "config", "configmaps", null));
        TestCluster.admin().resource(new ConfigMapBuilder().withNewMetadata().withNamespace(ns).withName("one").endMetadata().build())
                .create();
        await().atMost(WAIT).ignoreExceptions().untilAsserted(() -> {
            assertThat(a.items()).contains("one");
            assertThat(b.items()).containsExactlyInAnyOrderElementsOf(a.items());
        });

        // a pod's problem: both judge it, one Event is written, once
        crasher(PodStatuses.waiting("CrashLoopBackOff", 1, "Error"));
        await().atMost(WAIT).ignoreExceptions().untilAsserted(() -> {
            assertThat(follower.problemOf("crasher")).isEqualTo("CrashLoopBackOff");
            assertThat(leader.problemOf("crasher")).isEqualTo("CrashLoopBackOff");
            assertThat(counts("CrashLoopBackOff")).containsExactly(1);
        });
        assertThat(follower.leads()).as("the follower still follows").isFalse();
        assertThat(eventWrites()).as("Event writes at the API server").isEqualTo(1);
    }

    @Test
    @Order(2)
    void shouldTakeOverWithinTheLeaseDurationWhenTheLeaderIsKilled() throws Exception {
        Replica leader = awaitOneLeader();
        Replica follower = other(leader);
        try (StreamConnection stream = new StreamConnection(URI.create("http://127.0.0.1:" + follower.port + "/api/v1alpha1/stream"))) {
            assertThat(stream.auth(TestCluster.ADMIN_TOKEN).next(WAIT).path("type").asText()).isEqualTo("READY");
            stream.send("{\"type\":\"SUBSCRIBE\",\"id\":\"c\",\"watch\":{\"kind\":\"ResourceWatch\",\"namespace\":\"" + ns
                    + "\",\"name\":\"config\"}}");
            assertThat(stream.next(WAIT).path("type").asText()).isEqualTo("SNAPSHOT");

            long killed = System.nanoTime();
            leader.process.destroyForcibly();
            // while no replica leads: the pod recovers, and a change reaches the follower's stream client
            crasher(PodStatuses.running(true, 1));
            TestCluster.admin().resource(new ConfigMapBuilder().withNewMetadata().withNamespace(ns).withName("two").endMetadata().build())
                    .create();
            JsonNode added = stream.nextChange(WAIT);
            assertThat(added.path("type").asText()).isEqualTo("ADDED");
            assertThat(added.path("object").path("metadata").path("name").asText()).isEqualTo("two");

            await().atMost(LEASE.plus(RETRY.multipliedBy(3)).plus(MARGIN)).pollInterval(Duration.ofMillis(100))
                    .untilAsserted(() -> assertThat(follower.leads()).as(follower::log).isTrue());
            double seconds = (System.nanoTime() - killed) / 1e9;
            System.out.printf("[leader-election] SIGKILL of the leader -> the follower leads after %.1f s (lease %s)%n", seconds, LEASE);
            assertThat(seconds).as("not before the killed leader's Lease expired").isGreaterThan(LEASE.toSeconds() - 2 * RETRY.toMillis() / 1000.0 - 1);

            // the recovery that happened while nobody led is recorded once, by the new leader
            await().atMost(WAIT).untilAsserted(() -> assertThat(counts("Recovered")).containsExactly(1));
            assertThat(counts("CrashLoopBackOff")).containsExactly(1);
            // the stream on the new leader goes on as before: the next message is the next change, not an error
            TestCluster.admin().resource(new ConfigMapBuilder().withNewMetadata().withNamespace(ns).withName("three").endMetadata()
                    .build()).create();
            JsonNode next = stream.nextChange(WAIT);
            assertThat(next.path("type").asText()).as(next::toString).isEqualTo("ADDED");
            assertThat(next.path("object").path("metadata").path("name").asText()).isEqualTo("three");
        }
        // restarted, it follows, and serves what existed before it started, as the leader does
        leader.start();
        await().atMost(WAIT).untilAsserted(() -> assertThat(leader.follows()).isTrue());
        await().atMost(WAIT).ignoreExceptions().untilAsserted(() -> {
            assertThat(leader.items()).contains("one", "two", "three");
            assertThat(leader.items()).containsExactlyInAnyOrderElementsOf(follower.items());
        });
        crasher(PodStatuses.waiting("CrashLoopBackOff", 1, "Error")); // both judge it, the leader records it
        await().atMost(WAIT).ignoreExceptions().untilAsserted(() -> {
            assertThat(leader.problemOf("crasher")).isEqualTo("CrashLoopBackOff");
            assertThat(follower.problemOf("crasher")).isEqualTo("CrashLoopBackOff");
        });
        crasher(PodStatuses.running(true, 1));
        await().atMost(WAIT).ignoreExceptions().untilAsserted(() -> {
            assertThat(leader.problemOf("crasher")).isNull();
            assertThat(follower.problemOf("crasher")).isNull();
            assertThat(counts("CrashLoopBackOff")).containsExactly(2);
            assertThat(counts("Recovered")).containsExactly(2);
        });
        assertThat(eventWrites()).isEqualTo(4);
    }

    @Test
    @Order(3)
    void shouldHandOverAtOnceWhenTheLeaderStopsGracefully() throws Exception {
        Replica leader = awaitOneLeader();
        Replica follower = other(leader);
        await().atMost(WAIT).untilAsserted(() -> assertThat(follower.follows()).isTrue());
        long stopping = System.nanoTime();
        leader.process.destroy();
        await().atMost(LEASE.plus(MARGIN)).pollInterval(Duration.ofMillis(50))
                .untilAsserted(() -> assertThat(follower.leads()).as(follower::log).isTrue());
        double seconds = (System.nanoTime() - stopping) / 1e9;
        System.out.printf("[leader-election] SIGTERM of the leader -> the follower leads after %.2f s%n", seconds);
        // Without the release the follower would wait for the Lease to expire: the lease duration less one retry period.
        assertThat(seconds).as("handed over, not expired").isLessThan(LEASE.toSeconds() / 2.0);
        assertThat(leader.process.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(leader.log()).contains("Released the Lease");
        leader.start();
        await().atMost(WAIT).untilAsserted(() -> assertThat(leader.follows()).isTrue());
    }

    @Test
    @Order(4)
    void shouldContinueEventCountsWhenBothRestart() throws Exception {
        a.stop();
        b.stop();
        a.start();
        b.start();
        awaitOneLeader();
        crasher(PodStatuses.waiting("CrashLoopBackOff", 2, "Error"));
        await().atMost(WAIT).untilAsserted(() -> assertThat(counts("CrashLoopBackOff")).containsExactly(3));
        // nothing rewritten on start: the recoveries are still counted twice
        assertThat(counts("Recovered")).containsExactly(2);
        assertThat(eventWrites()).isEqualTo(5);
    }

    private static Replica awaitOneLeader() {
        await("one leader").atMost(LEASE.plus(MARGIN)).untilAsserted(() -> {
            boolean aLeads = a.leads();
            boolean bLeads = b.leads();
            assertThat(aLeads ^ bLeads).as(() -> "exactly one leads: a=" + aLeads + " b=" + bLeads + "\n" + a.log() + "\n" + b.log()).isTrue();
        });
        return a.leads() ? a : b;
    }

    private static Replica other(Replica r) {
        return r == a ? b : a;
    }

    private static void crasher(PodStatus status) {
        var pods = TestCluster.admin().pods().inNamespace(ns);
        if (pods.withName("crasher").get() == null) {
            TestCluster.admin().resource(new PodBuilder().withNewMetadata().withNamespace(ns).withName("crasher").endMetadata()
                    .withNewSpec().addNewContainer().withName("main").withImage("busybox").endContainer().endSpec().build()).create();
        }
        pods.withName("crasher").editStatus(p -> {
            p.setStatus(status);
            return p;
        });
    }

    /** The counts of Watchkeeper's Events about the crasher with this reason. */
    private static List<Integer> counts(String reason) {
        return TestCluster.admin().v1().events().inNamespace(ns).list().getItems().stream()
                .filter(e -> "crasher".equals(e.getInvolvedObject().getName()) && reason.equals(e.getReason()))
                .filter(e -> e.getSource() != null && "watchkeeper".equals(e.getSource().getComponent())).map(Event::getCount).toList();
    }

    /** Event creates, updates and patches the operator made in the test namespace, as the API server's audit log has them. */
    private static long eventWrites() {
        return AuditLog.entries(e -> "events".equals(e.path("objectRef").path("resource").asText())
                && ns.equals(e.path("objectRef").path("namespace").asText())
                && List.of("create", "update", "patch").contains(e.path("verb").asText())
                && "ResponseComplete".equals(e.path("stage").asText()) && e.path("responseStatus").path("code").asInt() < 300).size();
    }
}
