package io.watchkeeper.demo;

import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;

import org.jboss.logging.Logger;

import io.fabric8.kubernetes.api.model.ContainerStatusBuilder;
import io.fabric8.kubernetes.api.model.LabelSelectorBuilder;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.PodConditionBuilder;
import io.fabric8.kubernetes.api.model.ProbeBuilder;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.watchkeeper.api.v1alpha1.ClusterResourceWatch;
import io.watchkeeper.api.v1alpha1.ClusterResourceWatchSpec;
import io.watchkeeper.api.v1alpha1.ResourceWatch;
import io.watchkeeper.api.v1alpha1.ResourceWatchSpec;

/**
 * Sample life for the demo cluster: namespaces {@code shop} and {@code payments} with pods and services, sample
 * watches, and changes, so a newcomer sees the caches, statuses and metrics move. With the demo's real node the pods
 * really run (a web Deployment, a crash-looping worker, a pod that runs out of memory, one whose image nobody serves,
 * a Service whose pod's readiness probe flaps); without one, the workload writes their status as a kubelet would,
 * every few seconds (a pod starts, becomes ready, crash-loops, is replaced, is relabelled). Runs only against the
 * embedded demo cluster.
 */
@ApplicationScoped
public class DemoWorkload {

    private static final Logger LOG = Logger.getLogger(DemoWorkload.class);
    private static final List<String> APPS = List.of("web", "api", "worker");

    private final KubernetesClient client;
    /**
     * The workload's own client: its reads must not pass the operator client's request interceptor, which takes a LIST
     * of a built-in controller's question for that controller's informer relisting.
     */
    private KubernetesClient workload;
    private final Random random = new Random();
    private ScheduledExecutorService scheduler;
    private int generation;

    @Inject
    public DemoWorkload(KubernetesClient client) {
        this.client = client;
    }

    void start(@Observes StartupEvent event) {
        client.getMasterUrl(); // the client is created lazily; creating it is what decides on demo mode
        if (!DemoCluster.active()) {
            return;
        }
        workload = new io.fabric8.kubernetes.client.KubernetesClientBuilder().withConfig(client.getConfiguration()).build();
        scheduler = Executors.newSingleThreadScheduledExecutor(r -> new Thread(r, "watchkeeper-demo-workload"));
        scheduler.schedule(this::seedThenChange, 1, TimeUnit.SECONDS);
    }

    /** Seeds once the CRDs are in place (the operator applies them at start-up in dev mode), then keeps changing things. */
    private void seedThenChange() {
        try {
            seed();
        } catch (RuntimeException e) {
            LOG.infof("Demo: sample workload not created yet (%s); trying again", e.toString());
            scheduler.schedule(this::seedThenChange, 2, TimeUnit.SECONDS);
            return;
        }
        if (DemoCluster.realPods()) {
            scheduler.scheduleWithFixedDelay(this::changeReal, 20, 20, TimeUnit.SECONDS);
            LOG.info("Demo: sample namespaces shop and payments created with real pods on the node: a web Deployment, a worker that "
                    + "crash-loops, a report job that runs out of memory, a pod whose image nobody serves, and an api Service whose "
                    + "pod's readiness probe flaps. Try: kubectl get pods -A; curl localhost:8080/api/v1alpha1/problems");
        } else {
            scheduler.scheduleWithFixedDelay(this::change, 4, 4, TimeUnit.SECONDS);
            LOG.info("Demo: sample namespaces shop and payments, pods, services and watches created; they change every few seconds. "
                    + "Try: kubectl get rw -A; curl localhost:8080/api/v1alpha1/watches");
        }
    }

    void stop(@Observes ShutdownEvent event) {
        if (scheduler != null) {
            scheduler.shutdownNow();
        }
        if (workload != null) {
            workload.close();
        }
    }

    private void seed() {
        for (String ns : List.of("shop", "payments")) {
            workload.resource(new NamespaceBuilder().withNewMetadata().withName(ns).endMetadata().build()).serverSideApply();
            ControlPlane.awaitDefaultServiceAccount(workload, ns);
        }
        if (DemoCluster.realPods()) {
            seedRealPods();
        } else {
            seedSimulatedPods();
        }
        watches();
    }

    /** Pods the node really runs, each showing what insight names (busybox, the only workload image there is). */
    private void seedRealPods() {
        webServer("shop", "web", 2);
        // ready for 30 s, then not for 15 s, and again: the Service goes between Ready and NoReadyPods
        service("shop", "api", 8080);
        deployment("shop", "api", 1, List.of("sh", "-c", "while true; do touch /tmp/ready; sleep 30; rm -f /tmp/ready; sleep 15; done"),
                new ProbeBuilder().withNewExec().withCommand("cat", "/tmp/ready").endExec().withPeriodSeconds(2).build(), null);
        deployment("shop", "worker", 1, List.of("sh", "-c", "echo working; sleep 8; echo 'lost the queue' >&2; exit 1"), null, null);
        deployment("shop", "report", 1, List.of("sh", "-c", "echo building the report in memory; tail /dev/zero"), null, "20Mi");
        workload.resource(new PodBuilder().withNewMetadata().withNamespace("shop").withName("legacy").addToLabels("app", "legacy").endMetadata()
                .withNewSpec().withTerminationGracePeriodSeconds(0L).withAutomountServiceAccountToken(false)
                .addNewContainer().withName("legacy").withImage("registry.example/legacy:1.0").endContainer().endSpec().build()).serverSideApply();
        webServer("payments", "ledger", 1);
    }

    /** busybox's httpd behind a Service, ready when it answers. */
    private void webServer(String ns, String app, int replicas) {
        service(ns, app, 8080);
        deployment(ns, app, replicas, List.of("sh", "-c", "echo ok > /tmp/index.html; exec httpd -f -p 8080 -h /tmp"),
                new ProbeBuilder().withNewHttpGet().withPath("/index.html").withNewPort(8080).endHttpGet().withPeriodSeconds(5).build(), null);
    }

    private void service(String ns, String app, int targetPort) {
        workload.resource(new ServiceBuilder().withNewMetadata().withNamespace(ns).withName(app).endMetadata().withNewSpec()
                .withSelector(Map.of("app", app)).addNewPort().withProtocol("TCP").withPort(80).withNewTargetPort(targetPort).endPort()
                .endSpec().build()).serverSideApply();
    }

    private void deployment(String ns, String app, int replicas, List<String> command, io.fabric8.kubernetes.api.model.Probe readiness,
            String memoryLimit) {
        var container = new io.fabric8.kubernetes.api.model.ContainerBuilder().withName(app).withImage("busybox:1.35")
                .withImagePullPolicy("IfNotPresent").withCommand(command).withReadinessProbe(readiness);
        if (memoryLimit != null) {
            container.withNewResources().addToLimits("memory", new io.fabric8.kubernetes.api.model.Quantity(memoryLimit)).endResources();
        }
        workload.resource(new io.fabric8.kubernetes.api.model.apps.DeploymentBuilder().withNewMetadata().withNamespace(ns).withName(app)
                .endMetadata().withNewSpec().withReplicas(replicas).withNewSelector().addToMatchLabels("app", app).endSelector()
                .withNewTemplate().withNewMetadata().addToLabels("app", app).endMetadata().withNewSpec()
                .withTerminationGracePeriodSeconds(0L).withAutomountServiceAccountToken(false).withContainers(container.build())
                .endSpec().endTemplate().endSpec().build()).serverSideApply();
    }

    /** Real pods change by themselves; on top, the web Deployment scales between 2 and 3 and a pod gets a new label. */
    private void changeReal() {
        try {
            int replicas = 2 + random.nextInt(2);
            workload.apps().deployments().inNamespace("shop").withName("web").scale(replicas);
            List<Pod> pods = workload.pods().inNamespace("shop").withLabel("app", "web").list().getItems();
            if (!pods.isEmpty()) {
                Pod pod = pods.get(random.nextInt(pods.size()));
                workload.pods().inNamespace("shop").withName(pod.getMetadata().getName())
                        .edit(p -> new PodBuilder(p).editMetadata().addToLabels("release", "r" + random.nextInt(3)).endMetadata().build());
            }
        } catch (RuntimeException e) {
            LOG.debugf("Demo change failed: %s", e.toString());
        }
    }

    /** No node: pods whose status the workload writes as a kubelet would. */
    private void seedSimulatedPods() {
        for (String app : APPS) {
            workload.resource(new ServiceBuilder().withNewMetadata().withNamespace("shop").withName(app).endMetadata()
                    .withNewSpec().withSelector(Map.of("app", app)).addNewPort().withProtocol("TCP").withPort(80).endPort().endSpec().build()).serverSideApply();
            for (int i = 0; i < 2; i++) {
                createPod("shop", app);
            }
        }
        workload.resource(new ServiceBuilder().withNewMetadata().withNamespace("payments").withName("ledger").endMetadata()
                .withNewSpec().withSelector(Map.of("app", "ledger")).addNewPort().withProtocol("TCP").withPort(80).endPort().endSpec().build()).serverSideApply();
        createPod("payments", "ledger");
    }

    private void watches() {
        workload.resource(watch("shop", "web-pods", "pods", Map.of("app", "web"))).serverSideApply();
        workload.resource(watch("shop", "services", "svc", null)).serverSideApply();
        ClusterResourceWatch all = new ClusterResourceWatch();
        all.setMetadata(new ObjectMetaBuilder().withName("all-pods").build());
        ClusterResourceWatchSpec spec = new ClusterResourceWatchSpec();
        spec.setResource("Pod");
        all.setSpec(spec);
        workload.resource(all).serverSideApply();
    }

    private void change() {
        try {
            List<Pod> pods = workload.pods().inNamespace("shop").list().getItems();
            Pod pod = pods.isEmpty() ? null : pods.get(random.nextInt(pods.size()));
            switch (random.nextInt(5)) {
                case 0 -> markRunning(pod, true);
                case 1 -> markRunning(pod, false);
                case 3 -> crashLoop(pod);
                case 2 -> {
                    if (pod != null && pods.size() > 4) {
                        workload.resource(pod).delete();
                    }
                    createPod("shop", APPS.get(random.nextInt(APPS.size())));
                }
                default -> {
                    if (pod != null) {
                        workload.pods().inNamespace("shop").withName(pod.getMetadata().getName())
                                .edit(p -> new PodBuilder(p).editMetadata().addToLabels("release", "r" + random.nextInt(3)).endMetadata().build());
                    }
                }
            }
        } catch (RuntimeException e) {
            LOG.debugf("Demo change failed: %s", e.toString());
        }
    }

    /** No kubelet in the demo cluster: pod status is written the way a kubelet would, through the status subresource. */
    private void markRunning(Pod pod, boolean ready) {
        if (pod == null) {
            return;
        }
        String app = pod.getSpec().getContainers().get(0).getName();
        Pod updated = new PodBuilder(pod).editOrNewStatus().withPhase("Running")
                .withConditions(new PodConditionBuilder().withType("Ready").withStatus(ready ? "True" : "False").build())
                .withContainerStatuses(new ContainerStatusBuilder().withName(app).withImage("registry.example/" + app + ":1.0").withReady(ready)
                        .withRestartCount(0).withNewState().withNewRunning().endRunning().endState().build())
                .endStatus().build();
        workload.pods().inNamespace(pod.getMetadata().getNamespace()).resource(updated).updateStatus();
    }

    /** A container that keeps crashing, for the Pod insight (and, when it was the last ready one, the Service insight). */
    private void crashLoop(Pod pod) {
        if (pod == null) {
            return;
        }
        String app = pod.getSpec().getContainers().get(0).getName();
        Pod updated = new PodBuilder(pod).editOrNewStatus().withPhase("Running")
                .withConditions(new PodConditionBuilder().withType("Ready").withStatus("False").build())
                .withContainerStatuses(new ContainerStatusBuilder().withName(app).withImage("registry.example/" + app + ":1.0").withReady(false)
                        .withRestartCount(1 + random.nextInt(4)).withNewState().withNewWaiting().withReason("CrashLoopBackOff")
                        .withMessage("back-off 40s restarting failed container").endWaiting().endState()
                        .withNewLastState().withNewTerminated().withReason("Error").withExitCode(1).endTerminated().endLastState().build())
                .endStatus().build();
        workload.pods().inNamespace(pod.getMetadata().getNamespace()).resource(updated).updateStatus();
    }

    private void createPod(String ns, String app) {
        workload.resource(new PodBuilder().withNewMetadata().withNamespace(ns).withName(app + "-" + (++generation) + "-" + Integer.toHexString(random.nextInt(0xfff)))
                .withLabels(Map.of("app", app)).endMetadata()
                .withNewSpec().addNewContainer().withName(app).withImage("registry.example/" + app + ":1.0").endContainer().endSpec().build())
                .create();
    }

    private static ResourceWatch watch(String ns, String name, String resource, Map<String, String> labels) {
        ResourceWatch w = new ResourceWatch();
        w.setMetadata(new ObjectMetaBuilder().withNamespace(ns).withName(name).build());
        ResourceWatchSpec spec = new ResourceWatchSpec();
        spec.setResource(resource);
        if (labels != null) {
            spec.setSelector(new LabelSelectorBuilder().withMatchLabels(labels).build());
        }
        w.setSpec(spec);
        return w;
    }
}
