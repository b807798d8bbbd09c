package io.watchkeeper.deploy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.GZIPInputStream;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import com.marcnuri.helm.Helm;
import com.marcnuri.helm.UpgradeCommand;

import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.ServiceAccountBuilder;
import io.fabric8.kubernetes.api.model.authentication.TokenRequestBuilder;
import io.fabric8.kubernetes.api.model.rbac.RoleBindingBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.watchkeeper.api.v1alpha1.ClusterResourceWatch;
import io.watchkeeper.api.v1alpha1.ResourceWatch;
import io.watchkeeper.demo.ControlPlane;
import io.watchkeeper.testing.Kubectl;
import io.watchkeeper.demo.Node;
import io.watchkeeper.testing.PodTargets;
import io.watchkeeper.testing.Prometheus;
import io.watchkeeper.testing.TestCluster;
import io.watchkeeper.insight.PodStatuses;
import io.watchkeeper.stream.StreamConnection;
import io.watchkeeper.testing.Watches;

/**
 * The operator as users run it: its image (made here, offline: {@code src/testbed/make-operator-image.sh}) in a pod on
 * the test bed's real node, installed by real Helm from {@code helm/watchkeeper} exactly as the README's install section
 * says, using its mounted ServiceAccount token and in-cluster configuration; read by a caller with a ServiceAccount
 * token through its Service's ClusterIP (kube-proxy), over HTTP and the stream; writing an Event for a real crash loop;
 * scraped at its pod IP by a real Prometheus with the README's scrape job, every panel of the chart's Grafana dashboard
 * answered; upgraded; uninstalled; and applied from the plain manifests. Besides the dashboard (switched on to check
 * it), only two values differ from the README's commands, both for the test bed: the image is the one just made (pull
 * policy {@code Never}: nothing can be pulled here), and the pod names the node's scheduler.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class InClusterIT {

    private static final String RELEASE = Artefacts.RELEASE;
    private static final String NS = Artefacts.NAMESPACE;
    private static final String IMAGE = "watchkeeper/watchkeeper";
    private static final String TAG = "it";
    private static final String DATA = "incluster-data";
    /** Pod start-up: pull nothing, start a JVM, list and sync; generous for a busy 2-core machine. */
    private static final Duration POD_READY = Duration.ofSeconds(180);
    /** The chart's defaults: replicas, and the Lease's duration. */
    private static final int REPLICAS = 2;
    private static final Duration LEASE = Duration.ofSeconds(15);
    /** A stream message: the operator sends it on an event, well within a bookmark interval. */
    private static final Duration STREAM_WAIT = Duration.ofSeconds(30);
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private static final ObjectMapper JSON = new ObjectMapper();

    private static KubernetesClient admin;
    private static Path dir;
    private static Path kubeconfig;
    private static boolean installed;
    private static boolean plainApplied;

    @BeforeAll
    static void installTheChartOntoTheNode() throws Exception {
        admin = TestCluster.admin();
        Node node = TestCluster.node();
        dir = Files.createTempDirectory("in-cluster-it-");
        long t0 = System.nanoTime();
        Path image = dir.resolve("operator-image.tar");
        run(List.of("src/testbed/make-operator-image.sh", "target/quarkus-app", "docker.io/" + IMAGE + ":" + TAG, image.toString()));
        node.importImage(image);
        System.out.printf("[in-cluster] operator image: %d MiB, made and imported in %.1f s%n", Files.size(image) >> 20,
                (System.nanoTime() - t0) / 1e9);
        Files.delete(image);
        kubeconfig = TestCluster.controlPlane().writeKubeconfig(ControlPlane.ADMIN, dir.resolve("admin.kubeconfig"));

        long t1 = System.nanoTime();
        installed = true; // from here on, even a failed install is uninstalled after the class
        var install = new Helm(Artefacts.CHART).install().withName(RELEASE).withNamespace(NS).createNamespace().withKubeConfig(kubeconfig);
        TEST_BED_VALUES.forEach(install::set);
        install.call();
        List<Pod> ready = awaitReadyPods(Set.of());
        Pod pod = ready.get(0);
        System.out.printf("[in-cluster] helm install -> %d operator pods Ready in %.1f s%n", ready.size(), (System.nanoTime() - t1) / 1e9);
        String log = admin.pods().inNamespace(NS).withName(pod.getMetadata().getName()).getLog();
        log.lines().filter(l -> l.contains("started in")).findFirst()
                .ifPresent(l -> System.out.println("[in-cluster] the pod's own start: " + l.substring(l.indexOf("watchkeeper"))));
    }

    /**
     * After a failure: nothing of this class may go on reconciling, or hold a finalizer, while the next test class runs.
     */
    @AfterAll
    static void uninstallIfStillThere() {
        if (installed) {
            try {
                deleteWatchesWhileTheOperatorRuns();
            } catch (AssertionError e) { // an operator that never ran leaves its watches' finalizers: uninstall all the same
                System.out.println("[in-cluster] watches not deleted before uninstalling: " + e.getMessage());
            }
            Helm.uninstall(RELEASE).withNamespace(NS).withKubeConfig(kubeconfig).ignoreNotFound().call();
        }
        if (plainApplied) {
            removePlainManifests();
        }
        admin.namespaces().withName(DATA).delete();
    }

    /** What differs from the README's commands, for the test bed; and the dashboard, switched on to check it. */
    private static final Map<String, Object> TEST_BED_VALUES = Map.of("image.tag", TAG, "image.pullPolicy", "Never",
            "schedulerName", Node.SCHEDULER, "metrics.grafanaDashboard.enabled", true);

    /** README: delete the watches while the operator still runs; it removes their finalizers. */
    private static void deleteWatchesWhileTheOperatorRuns() {
        admin.resources(ResourceWatch.class).inAnyNamespace().delete();
        admin.resources(ClusterResourceWatch.class).delete();
        await("watches gone").atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
            assertThat(admin.resources(ResourceWatch.class).inAnyNamespace().list().getItems()).isEmpty();
            assertThat(admin.resources(ClusterResourceWatch.class).list().getItems()).isEmpty();
        });
    }

    @Test
    @Order(1)
    void shouldRunInAPodWithItsServiceAccountAndMakeAWatchReady() {
        Pod pod = operatorPods().get(0);
        assertThat(pod.getSpec().getServiceAccountName()).isEqualTo(RELEASE);
        assertThat(pod.getSpec().getNodeName()).isEqualTo(Node.NAME);
        // the token comes from the kubelet (a projected, bound ServiceAccount token), not from anything the test gave
        assertThat(pod.getSpec().getContainers().get(0).getVolumeMounts())
                .anyMatch(m -> m.getMountPath().equals("/var/run/secrets/kubernetes.io/serviceaccount"));

        TestCluster.namespace(DATA);
        // insight in the pod: a real crash loop on the node, recorded as an Event with the operator's own rights
        long crash = System.nanoTime();
        admin.resource(Node.place(new PodBuilder().withNewMetadata().withNamespace(DATA).withName("crasher").endMetadata().withNewSpec()
                .withTerminationGracePeriodSeconds(0L).withAutomountServiceAccountToken(false).addNewContainer().withName("main")
                .withImage("busybox:1.35").withCommand("sh", "-c", "exit 3").endContainer().endSpec().build())).create();
        await("the CrashLoopBackOff Event").atMost(POD_READY).until(() -> admin.v1().events().inNamespace(DATA).list().getItems().stream()
                .anyMatch(e -> e.getInvolvedObject().getName().equals("crasher") && "CrashLoopBackOff".equals(e.getReason())
                        && e.getSource() != null && "watchkeeper".equals(e.getSource().getComponent())));
        System.out.printf("[in-cluster] a real crash loop -> its Warning Event in %.1f s from the pod's creation%n",
                (System.nanoTime() - crash) / 1e9);

        admin.resource(new ConfigMapBuilder().withNewMetadata().withNamespace(DATA).withName("hello").endMetadata()
                .addToData("greeting", "from the API server").build()).serverSideApply();
        // Ready=True means the operator in the pod reached the API server (the kubernetes Service, kube-proxy, the
        // mounted token and CA), resolved the resource and synced an informer
        ResourceWatch w = Watches.createReady(Watches.resourceWatch(DATA, "config", "configmaps", null));
        assertThat(w.getStatus().getInformer().getSynced()).isTrue();
    }

    @Test
    @Order(2)
    void shouldServeACallerWithAServiceAccountTokenThroughItsService() throws Exception {
        String token = readerToken();
        String items = "/api/v1alpha1/namespaces/" + DATA + "/resourcewatches/config/items";
        HttpResponse<String> r = viaService(items, token);
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        assertThat(JSON.readTree(r.body()).path("items")).anyMatch(it -> it.path("metadata").path("name").asText().equals("hello"));
        // kube-proxy picks either replica: each serves, the follower from the informer it started for the watch itself
        assertEachPodServes(items, token, "hello");

        assertThat(viaService(items, null).statusCode()).isEqualTo(401);

        // the stream, as the page uses it: a snapshot, then a change made at the API server
        String ip = admin.services().inNamespace(NS).withName(RELEASE).get().getSpec().getClusterIP();
        try (StreamConnection stream = new StreamConnection(URI.create("http://" + ip + ":8080/api/v1alpha1/stream"))) {
            assertThat(stream.auth(token).next(STREAM_WAIT).path("type").asText()).isEqualTo("READY");
            stream.send("{\"type\":\"SUBSCRIBE\",\"id\":\"c\",\"watch\":{\"kind\":\"ResourceWatch\",\"namespace\":\"" + DATA
                    + "\",\"name\":\"config\"}}");
            JsonNode snapshot = stream.next(STREAM_WAIT);
            assertThat(snapshot.path("type").asText()).isEqualTo("SNAPSHOT");
            assertThat(snapshot.path("items").findValuesAsText("name")).contains("hello");
            admin.resource(new ConfigMapBuilder().withNewMetadata().withNamespace(DATA).withName("second").endMetadata().build()).create();
            JsonNode added = stream.nextChange(STREAM_WAIT);
            assertThat(added.path("type").asText()).isEqualTo("ADDED");
            assertThat(added.path("object").path("metadata").path("name").asText()).isEqualTo("second");
        }
        assertThat(viaService("/api/v1alpha1/namespaces/" + NS + "/services/" + RELEASE + "/insight", token).statusCode())
                .as("the reader may list nothing in the operator's namespace").isEqualTo(403);
    }

    /**
     * The leader pod is deleted (as a node drain or a rolling update does): the other replica takes over at once, a
     * transition that happens meanwhile is recorded once, and a stream client connected to the other replica notices
     * nothing.
     */
    @Test
    @Order(3)
    void shouldFailOverWhenTheLeaderPodIsDeleted() throws Exception {
        String leader = leaderPod();
        Pod leaderPod = admin.pods().inNamespace(NS).withName(leader).get();
        Pod follower = operatorPods().stream().filter(p -> !p.getMetadata().getName().equals(leader)).findFirst().orElseThrow();
        // a pod no scheduler serves, whose status the test writes as a kubelet would
        admin.resource(new PodBuilder().withNewMetadata().withNamespace(DATA).withName("flapper").endMetadata().withNewSpec()
                .withSchedulerName("nobody").addNewContainer().withName("main").withImage("busybox:1.35").endContainer().endSpec().build())
                .create();
        flapper(PodStatuses.waiting("CrashLoopBackOff", 1, "Error"));
        await().atMost(STREAM_WAIT).untilAsserted(() -> assertThat(eventCounts("flapper", "CrashLoopBackOff")).containsExactly(1));

        String token = readerToken();
        String followerIp = follower.getStatus().getPodIP();
        try (StreamConnection stream = new StreamConnection(URI.create("http://" + followerIp + ":8080/api/v1alpha1/stream"))) {
            assertThat(stream.auth(token).next(STREAM_WAIT).path("type").asText()).isEqualTo("READY");
            stream.send("{\"type\":\"SUBSCRIBE\",\"id\":\"c\",\"watch\":{\"kind\":\"ResourceWatch\",\"namespace\":\"" + DATA
                    + "\",\"name\":\"config\"}}");
            assertThat(stream.next(STREAM_WAIT).path("type").asText()).isEqualTo("SNAPSHOT");

            long deleted = System.nanoTime();
            admin.pods().inNamespace(NS).withName(leader).delete(); // graceful: SIGTERM, and the leader releases the Lease
            flapper(PodStatuses.running(true, 1));
            await("the other replica leads").atMost(LEASE.plus(POD_READY)).pollInterval(Duration.ofMillis(100))
                    .until(() -> leaderPod().equals(follower.getMetadata().getName()));
            System.out.printf("[in-cluster] leader pod deleted -> the other replica leads after %.1f s%n", (System.nanoTime() - deleted) / 1e9);

            admin.resource(new ConfigMapBuilder().withNewMetadata().withNamespace(DATA).withName("during-failover").endMetadata().build())
                    .create();
            JsonNode added = stream.nextChange(STREAM_WAIT);
            assertThat(added.path("type").asText()).as(added::toString).isEqualTo("ADDED");
            assertThat(added.path("object").path("metadata").path("name").asText()).isEqualTo("during-failover");
        }
        await().atMost(STREAM_WAIT).untilAsserted(() -> assertThat(eventCounts("flapper", "Recovered")).containsExactly(1));
        assertThat(eventCounts("flapper", "CrashLoopBackOff")).containsExactly(1);
        // the Deployment replaces the deleted pod, which follows
        awaitReadyPods(Set.of(leaderPod.getMetadata().getUid()));
        assertThat(leaderPod()).isEqualTo(follower.getMetadata().getName());
    }

    private static void flapper(io.fabric8.kubernetes.api.model.PodStatus status) {
        admin.pods().inNamespace(DATA).withName("flapper").editStatus(p -> {
            p.setStatus(status);
            return p;
        });
    }

    private static List<Integer> eventCounts(String pod, String reason) {
        return admin.v1().events().inNamespace(DATA).list().getItems().stream()
                .filter(e -> pod.equals(e.getInvolvedObject().getName()) && reason.equals(e.getReason()))
                .filter(e -> e.getSource() != null && "watchkeeper".equals(e.getSource().getComponent()))
                .map(io.fabric8.kubernetes.api.model.Event::getCount).toList();
    }

    @Test
    @Order(4)
    void shouldBeScrapedAtItsPodIpByPrometheusWithTheReadmesJob() throws Exception {
        ObjectNode job = readmeScrapeJob();
        List<String> namespaces = new ArrayList<>();
        job.path("kubernetes_sd_configs").get(0).path("namespaces").path("names").forEach(n -> namespaces.add(n.asText()));
        assertThat(namespaces).as("the README's job looks where the README installs").containsExactly(NS);
        Path targets = dir.resolve("pods.json");
        List<Pod> pods = new ArrayList<>();
        namespaces.forEach(ns -> pods.addAll(admin.pods().inNamespace(ns).list().getItems()));
        // every pod of the namespace, as Kubernetes discovery would give them: the job's relabelling picks the operator
        Files.writeString(targets, JSON.writeValueAsString(PodTargets.of(pods)));
        job.remove("kubernetes_sd_configs");
        job.putArray("file_sd_configs").addObject().putArray("files").add(targets.toString());
        ObjectNode config = JSON.createObjectNode();
        config.putObject("global").put("scrape_interval", "1s");
        config.putArray("scrape_configs").add(job);

        // the leader reconciles; both replicas serve and are scraped
        String pod = leaderPod();
        try (Prometheus prometheus = Prometheus.start(dir, new YAMLMapper().writeValueAsString(config))) {
            String where = "kubernetes_namespace=\"" + NS + "\",kubernetes_pod_name=\"" + pod + "\"";
            await().atMost(Duration.ofSeconds(60)).ignoreExceptions().untilAsserted(() -> {
                JsonNode synced = prometheus.query("watchkeeper_informer_synced{resource=\"configmaps\",namespace=\"" + DATA + "\"," + where + "}");
                assertThat(synced).as("targets: %s", prometheus.targets()).hasSize(1);
                assertThat(synced.get(0).path("value").get(1).asDouble()).isEqualTo(1.0);
                JsonNode started = prometheus.query("reconciliations_started_total{controller_name=\"resourcewatch\"," + where + "}");
                assertThat(started).hasSize(1);
                assertThat(started.get(0).path("value").get(1).asDouble()).isPositive();
            });
            // the chart's Grafana dashboard, as installed: every panel's query has data
            JsonNode dashboard = JSON.readTree(admin.configMaps().inNamespace(NS).withName(RELEASE + "-dashboard").get().getData()
                    .get("watchkeeper.json"));
            assertThat(dashboard.path("panels")).isNotEmpty();
            await().atMost(Duration.ofSeconds(60)).ignoreExceptions().untilAsserted(() -> {
                for (JsonNode panel : dashboard.path("panels")) {
                    for (JsonNode target : panel.path("targets")) {
                        assertThat(prometheus.query(target.path("expr").asText())).as("panel '%s': %s", panel.path("title").asText(),
                                target.path("expr").asText()).isNotEmpty();
                    }
                }
            });
            // The heap follows the container's memory limit: the JVM's max heap (summed over the heap pools; G1 reports
            // -1 for its young pools) is the limit times JAVA_TOOL_OPTIONS' MaxRAMPercentage, both as the chart put them
            // in the pod. Tolerance: up to 5% below (the Serial GC, which the JVM picks under 1792 MiB of memory, reports
            // the heap without one survivor space, 1/30 of it) and 1% above (the heap size is aligned up to a region).
            // (a few of the 1 s scrapes, for both replicas to be in)
            await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
                JsonNode heap = prometheus.query("sum by (kubernetes_pod_name) (jvm_memory_max_bytes{area=\"heap\",kubernetes_namespace=\""
                        + NS + "\"} > 0)");
                assertThat(heap).as("targets: %s", prometheus.targets()).hasSize(REPLICAS);
                for (JsonNode h : heap) {
                    String name = h.path("metric").path("kubernetes_pod_name").asText();
                    double expected = expectedMaxHeap(admin.pods().inNamespace(NS).withName(name).get());
                    assertThat(h.path("value").get(1).asDouble()).as("%s: max heap, expected about %.0f bytes", name, expected)
                            .isBetween(expected * 0.95, expected * 1.01);
                }
            });
            // one target per replica: the operator's http port; nothing else in the namespace was kept
            JsonNode up = prometheus.query("up{job=\"watchkeeper\"}");
            assertThat(up).hasSize(REPLICAS);
            up.forEach(u -> assertThat(u.path("metric").path("instance").asText()).endsWith(":8080"));
            JsonNode leaders = prometheus.query("watchkeeper_leader == 1");
            assertThat(leaders).singleElement().satisfies(l -> assertThat(l.path("metric").path("kubernetes_pod_name").asText()).isEqualTo(pod));
        }
    }

    /** The container's memory limit times the MaxRAMPercentage in its JAVA_TOOL_OPTIONS; fails if either is missing. */
    private static double expectedMaxHeap(Pod pod) {
        var container = pod.getSpec().getContainers().get(0);
        Quantity limit = container.getResources().getLimits().get("memory");
        assertThat(limit).as("%s: a memory limit", pod.getMetadata().getName()).isNotNull();
        String options = container.getEnv().stream().filter(e -> e.getName().equals("JAVA_TOOL_OPTIONS")).map(EnvVar::getValue)
                .findFirst().orElse("");
        Matcher percentage = Pattern.compile("-XX:MaxRAMPercentage=([0-9.]+)").matcher(options);
        assertThat(percentage.find()).as("%s: JAVA_TOOL_OPTIONS '%s' sets MaxRAMPercentage", pod.getMetadata().getName(), options)
                .isTrue();
        return Quantity.getAmountInBytes(limit).doubleValue() * Double.parseDouble(percentage.group(1)) / 100;
    }

    @Test
    @Order(5)
    void shouldRollThePodWhenAnUpgradeChangesAValue() throws Exception {
        Set<String> before = uids(operatorPods());
        UpgradeCommand upgrade = new Helm(Artefacts.CHART).upgrade().withName(RELEASE).withNamespace(NS).withKubeConfig(kubeconfig);
        TEST_BED_VALUES.forEach(upgrade::set);
        upgrade.set("insight.pods.restartThreshold", 7).call();
        // the rolling update replaces both; the PodDisruptionBudget and the surge keep one serving throughout
        for (Pod after : awaitReadyPods(before)) {
            assertThat(after.getSpec().getContainers().get(0).getEnv()).extracting(EnvVar::getName, EnvVar::getValue)
                    .contains(org.assertj.core.groups.Tuple.tuple("WATCHKEEPER_INSIGHT_PODS_RESTART_THRESHOLD", "7"));
        }
        // the new pods, leader and follower, both started after the watch existed, serve it
        assertEachPodServes("/api/v1alpha1/namespaces/" + DATA + "/resourcewatches/config/items", readerToken(), "hello");
    }

    @Test
    @Order(6)
    void shouldLeaveNoOperatorObjectBehindWhenUninstalledAsTheReadmeSays() throws IOException {
        // README: delete the watches while the operator still runs (it removes their finalizers), then uninstall
        deleteWatchesWhileTheOperatorRuns();
        // what the release made, as Helm recorded it, each there now
        List<HasMetadata> made = releaseObjects();
        assertThat(made).extracting(HasMetadata::getKind).contains("Deployment", "Service", "ServiceAccount", "ClusterRole",
                "ClusterRoleBinding", "Role", "RoleBinding", "PodDisruptionBudget", "ConfigMap");
        made.forEach(o -> assertThat(admin.resource(o).get()).as("%s before uninstalling", describe(o)).isNotNull());
        Helm.uninstall(RELEASE).withNamespace(NS).withKubeConfig(kubeconfig).call();
        installed = false;

        String instance = "app.kubernetes.io/instance=" + RELEASE;
        await().atMost(Duration.ofSeconds(90)).untilAsserted(() -> {
            assertThat(admin.pods().inNamespace(NS).withLabel("app.kubernetes.io/instance", RELEASE).list().getItems()).as("pods").isEmpty();
            assertThat(admin.apps().replicaSets().inNamespace(NS).withLabel("app.kubernetes.io/instance", RELEASE).list().getItems())
                    .as("replicasets").isEmpty();
        });
        assertThat(admin.apps().deployments().inNamespace(NS).list().getItems()).isEmpty();
        assertThat(admin.services().inNamespace(NS).list().getItems()).isEmpty();
        assertThat(admin.serviceAccounts().inNamespace(NS).list().getItems()).extracting(s -> s.getMetadata().getName())
                .containsExactly("default");
        assertThat(admin.rbac().clusterRoles().withLabel("app.kubernetes.io/instance", RELEASE).list().getItems()).as(instance).isEmpty();
        assertThat(admin.rbac().clusterRoleBindings().withLabel("app.kubernetes.io/instance", RELEASE).list().getItems()).isEmpty();
        assertThat(admin.rbac().roles().inAnyNamespace().withLabel("app.kubernetes.io/instance", RELEASE).list().getItems()).isEmpty();
        assertThat(admin.rbac().roleBindings().inAnyNamespace().withLabel("app.kubernetes.io/instance", RELEASE).list().getItems()).isEmpty();
        // every object of the release's manifest is gone (the PodDisruptionBudget and the dashboard ConfigMap too), and
        // Helm's own records of the release with them
        made.forEach(o -> assertThat(admin.resource(o).get()).as("%s after uninstalling", describe(o)).isNull());
        assertThat(admin.secrets().inNamespace(NS).withLabel("owner", "helm").withLabel("name", RELEASE).list().getItems())
                .as("Helm's release records").isEmpty();

        // What stays: the Lease, which the operator made at run time, not Helm; no replica holds it any more. A leader
        // that stops while it may still write releases it (Leadership.release: holder cleared); Helm usually deletes the
        // operator's RoleBindings right after its Deployment, before the pods' SIGTERM, and then the release is refused
        // and the Lease, unrenewed, expires after its duration. Either way, within the lease duration nobody holds it.
        List<Lease> leases = admin.leases().inNamespace(NS).list().getItems();
        assertThat(leases).extracting(l -> l.getMetadata().getName()).containsExactly(RELEASE + "-leader");
        await("no replica holds the Lease").atMost(LEASE.plus(Duration.ofSeconds(5))).untilAsserted(() -> {
            Lease now = admin.leases().inNamespace(NS).withName(RELEASE + "-leader").get();
            String holder = now.getSpec().getHolderIdentity();
            if (holder != null && !holder.isEmpty()) {
                assertThat(now.getSpec().getRenewTime().plusSeconds(now.getSpec().getLeaseDurationSeconds()))
                        .as("%s renewed at + duration", holder).isBefore(java.time.ZonedDateTime.now());
                String pod = holder.contains("_") ? holder.substring(0, holder.indexOf('_')) : holder;
                assertThat(admin.pods().inNamespace(NS).withName(pod).get()).as("the holder's pod %s", pod).isNull();
            }
        });

        // the CRDs stay (Helm never deletes what it installed from crds/), and with them nothing that blocks a namespace
        assertThat(admin.apiextensions().v1().customResourceDefinitions().withName("resourcewatches.watchkeeper.io").get()).isNotNull();
        admin.namespaces().withName(DATA).delete();
        await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> assertThat(admin.namespaces().withName(DATA).get()).isNull());
    }

    @Test
    @Order(7)
    void shouldRunFromThePlainManifests() throws Exception {
        // README: kubectl apply -f kubernetes/; then, for the test bed only, the image made here and the node's scheduler
        Kubectl.run("apply", "-f", Artefacts.manifestsForTheTestBed().toString());
        plainApplied = true;
        Kubectl.run("-n", NS, "patch", "deployment", RELEASE, "--type", "strategic", "-p", JSON.writeValueAsString(Map.of("spec",
                Map.of("template", Map.of("spec", Map.of("schedulerName", Node.SCHEDULER, "containers", List.of(Map.of("name", "operator",
                        "image", IMAGE + ":" + TAG, "imagePullPolicy", "Never"))))))));
        awaitReadyPods(Set.of());

        String ns = TestCluster.namespace("incluster-plain");
        Watches.createReady(Watches.resourceWatch(ns, "config", "configmaps", null));
        await().atMost(Duration.ofSeconds(30)).ignoreExceptions().untilAsserted(() -> assertThat(viaService(
                "/api/v1alpha1/namespaces/" + ns + "/resourcewatches/config/items", null).statusCode()).isEqualTo(401));

        removePlainManifests();
        await().atMost(Duration.ofSeconds(90)).untilAsserted(() -> assertThat(operatorPods()).isEmpty());
        admin.namespaces().withName(ns).delete();
    }

    /** Deletes the watches, then what kubernetes/ made besides its namespace and the CRDs (later tests use those). */
    private static void removePlainManifests() {
        deleteWatchesWhileTheOperatorRuns();
        for (String file : List.of("02-serviceaccount.yaml", "03-rbac.yaml", "04-deployment.yaml", "05-service.yaml")) {
            Kubectl.run("delete", "--ignore-not-found", "-f", Artefacts.MANIFESTS.resolve(file).toString());
        }
        Kubectl.run("-n", NS, "delete", "--ignore-not-found", "poddisruptionbudget", RELEASE);
        plainApplied = false;
    }

    /**
     * The objects of the deployed release's manifest, from Helm's record of it: the Secret {@code sh.helm.release.v1.<release>.v<n>},
     * whose {@code release} is the release as gzipped JSON, base64-encoded by Helm (and again by the API).
     */
    private static List<HasMetadata> releaseObjects() throws IOException {
        List<Secret> records = admin.secrets().inNamespace(NS).withLabel("owner", "helm").withLabel("name", RELEASE)
                .withLabel("status", "deployed").list().getItems();
        assertThat(records).as("Helm's record of the deployed release").hasSize(1);
        byte[] gzipped = Base64.getDecoder().decode(Base64.getDecoder().decode(records.get(0).getData().get("release")));
        try (var in = new GZIPInputStream(new ByteArrayInputStream(gzipped))) {
            String manifest = JSON.readTree(in).path("manifest").asText();
            return admin.load(new ByteArrayInputStream(manifest.getBytes(StandardCharsets.UTF_8))).items();
        }
    }

    private static String describe(HasMetadata o) {
        return o.getKind() + " " + (o.getMetadata().getNamespace() == null ? "" : o.getMetadata().getNamespace() + "/")
                + o.getMetadata().getName();
    }

    /** The scrape job in the README's "Scraping with Prometheus" section, parsed. */
    private static ObjectNode readmeScrapeJob() throws IOException {
        String readme = Files.readString(Path.of("README.md"));
        Matcher m = Pattern.compile("<!-- InClusterIT scrapes[^>]*-->\\s*```yaml\\n(.*?)```", Pattern.DOTALL).matcher(readme);
        assertThat(m.find()).as("README's scrape job").isTrue();
        JsonNode config = new YAMLMapper().readTree(m.group(1));
        return (ObjectNode) ((ArrayNode) config.path("scrape_configs")).get(0);
    }

    /** A ServiceAccount that may view {@link #DATA}, and a token for it from the TokenRequest API. */
    private static String readerToken() {
        admin.resource(new ServiceAccountBuilder().withNewMetadata().withNamespace(DATA).withName("reader").endMetadata().build())
                .serverSideApply();
        admin.resource(new RoleBindingBuilder().withNewMetadata().withNamespace(DATA).withName("reader-view").endMetadata()
                .withNewRoleRef("rbac.authorization.k8s.io", "ClusterRole", "view")
                .addNewSubject().withKind("ServiceAccount").withName("reader").withNamespace(DATA).endSubject().build()).serverSideApply();
        return admin.serviceAccounts().inNamespace(DATA).withName("reader")
                .tokenRequest(new TokenRequestBuilder().withNewSpec().withExpirationSeconds(3600L).endSpec().build()).getStatus().getToken();
    }

    /** Every operator pod, asked at its own IP, answers {@code path} with an item named {@code item}. */
    private static void assertEachPodServes(String path, String token, String item) {
        for (Pod pod : operatorPods()) {
            await(pod.getMetadata().getName() + " serves " + path).atMost(STREAM_WAIT).ignoreExceptions().untilAsserted(() -> {
                HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create("http://" + pod.getStatus().getPodIP() + ":8080" + path))
                        .header("Authorization", "Bearer " + token).timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
                assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
                assertThat(JSON.readTree(r.body()).path("items")).anyMatch(it -> it.path("metadata").path("name").asText().equals(item));
            });
        }
    }

    /** GET through the operator's Service: its ClusterIP, routed by kube-proxy to the pod. */
    private static HttpResponse<String> viaService(String path, String token) throws IOException, InterruptedException {
        String ip = admin.services().inNamespace(NS).withName(RELEASE).get().getSpec().getClusterIP();
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://" + ip + ":8080" + path)).timeout(Duration.ofSeconds(10));
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static List<Pod> operatorPods() {
        return admin.pods().inNamespace(NS).withLabel("app.kubernetes.io/instance", RELEASE).list().getItems();
    }

    /** Waits until the release has {@link #REPLICAS} pods, all Ready, none of them one of {@code notUids}; returns them. */
    private static List<Pod> awaitReadyPods(Set<String> notUids) {
        await(REPLICAS + " Ready operator pods").atMost(POD_READY).untilAsserted(() -> {
            List<Pod> pods = operatorPods();
            assertThat(pods).as(() -> "operator pods: " + describe(pods)).hasSize(REPLICAS);
            for (Pod p : pods) {
                assertThat(p.getMetadata().getUid()).isNotIn(notUids);
                assertThat(p.getStatus().getConditions()).as(() -> describe(pods))
                        .anyMatch(c -> c.getType().equals("Ready") && c.getStatus().equals("True"));
            }
        });
        return operatorPods();
    }

    private static Set<String> uids(List<Pod> pods) {
        return pods.stream().map(p -> p.getMetadata().getUid()).collect(java.util.stream.Collectors.toSet());
    }

    /** The operator pod holding the Lease: its identity is the pod's name (its hostname), an underscore and a suffix. */
    private static String leaderPod() {
        // one read: during a hand-over the leader releases the Lease, and a second read may find no holder
        Lease lease = await("a leader").atMost(LEASE.plus(POD_READY)).until(
                () -> admin.leases().inNamespace(NS).withName(RELEASE + "-leader").get(),
                l -> l != null && l.getSpec().getHolderIdentity() != null && !l.getSpec().getHolderIdentity().isBlank());
        String holder = lease.getSpec().getHolderIdentity();
        return holder.substring(0, holder.lastIndexOf('_'));
    }

    private static String describe(List<Pod> pods) {
        StringBuilder b = new StringBuilder();
        for (Pod p : pods) {
            b.append(p.getMetadata().getName()).append(' ').append(p.getStatus().getPhase()).append(' ')
                    .append(p.getStatus().getContainerStatuses()).append('\n');
            try {
                String log = admin.pods().inNamespace(NS).withName(p.getMetadata().getName()).tailingLines(20).getLog();
                b.append(log);
            } catch (RuntimeException e) {
                b.append("(no log: ").append(e.getMessage()).append(")\n");
            }
        }
        return b.toString();
    }

    private static void run(List<String> command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(dir.resolve("image.log").toFile()).start();
        try {
            assertThat(p.waitFor(10, TimeUnit.MINUTES)).as("%s finishes", command).isTrue();
        } finally {
            p.destroyForcibly();
        }
        assertThat(p.exitValue()).as(Files.readString(dir.resolve("image.log"))).isZero();
    }
}
