package io.watchkeeper.testing;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import io.fabric8.kubernetes.api.model.ContainerBuilder;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.PodStatus;
import io.fabric8.kubernetes.api.model.PodStatusBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.watchkeeper.demo.ControlPlane;

/**
 * Pods as a production cluster holds them, for the scale benchmark and the cache memory guard: ReplicaSets of 100 pods
 * spread over namespaces, two containers with probes, env, resources and volumes, an owner, and a Running status
 * written through the status subresource by a "kubelet" field manager, so that {@code managedFields} look like
 * production (spec by the controller manager, status by the kubelet). No node name: the controller manager's pod GC
 * deletes pods bound to nodes that do not exist. The owner is a ConfigMap named like the ReplicaSet (its garbage
 * collector deletes pods whose owner does not exist, and a real ReplicaSet would manage the pods itself); the owner
 * reference is as large as a ReplicaSet's.
 */
public final class RealisticPods {

    public static final int PODS_PER_REPLICASET = 100;
    private static final PatchContext KUBELET = new PatchContext.Builder().withPatchType(PatchType.SERVER_SIDE_APPLY)
            .withFieldManager("kubelet").withForce(true).build();

    private RealisticPods() {
    }

    /**
     * Creates pods {@code 0..count-1} in namespaces {@code prefix-0..prefix-(namespaces-1)} with 8 threads, the pods of
     * one ReplicaSet in one namespace ({@link #namespaceOf}).
     *
     * @return the namespaces
     */
    public static List<String> create(KubernetesClient client, String prefix, int namespaces, int count) throws Exception {
        List<String> names = new ArrayList<>();
        for (int ns = 0; ns < namespaces; ns++) {
            String name = prefix + "-" + ns;
            client.resource(new NamespaceBuilder().withNewMetadata().withName(name).endMetadata().build()).serverSideApply();
            ControlPlane.awaitDefaultServiceAccount(client, name);
            names.add(name);
        }
        Map<Integer, String> owners = new java.util.HashMap<>();
        for (int rs = 0; rs * PODS_PER_REPLICASET < count; rs++) {
            String ns = names.get(rs % namespaces);
            owners.put(rs, client.resource(new io.fabric8.kubernetes.api.model.ConfigMapBuilder().withNewMetadata().withNamespace(ns)
                    .withName(replicaSet(rs)).endMetadata().build()).serverSideApply().getMetadata().getUid());
        }
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<Future<?>> done = new ArrayList<>();
            for (int i = 0; i < count; i++) {
                Pod p = pod(names.get(i / PODS_PER_REPLICASET % namespaces), i);
                p.getMetadata().getOwnerReferences().get(0).setUid(owners.get(i / PODS_PER_REPLICASET));
                PodStatus status = status(i);
                done.add(pool.submit(() -> {
                    client.resource(p).fieldManager("kube-controller-manager").forceConflicts().serverSideApply();
                    Pod s = new PodBuilder().withNewMetadata().withNamespace(p.getMetadata().getNamespace())
                            .withName(p.getMetadata().getName()).endMetadata().withStatus(status).build();
                    client.pods().resource(s).subresource("status").patch(KUBELET);
                    return null;
                }));
            }
            for (Future<?> f : done) {
                f.get();
            }
        } finally {
            pool.shutdownNow();
        }
        return names;
    }

    /** The namespace of pod {@code i} among {@code namespaces} made by {@link #create}. */
    public static String namespaceOf(String prefix, int namespaces, int i) {
        return prefix + "-" + (i / PODS_PER_REPLICASET % namespaces);
    }

    private static String replicaSet(int rs) {
        return "app-" + rs + "-" + Integer.toHexString(0x5d8f7c6b + rs);
    }

    /** Pod {@code i}: of ReplicaSet {@code app-<i/100>-<hash>}, labelled {@code app=app-<i/100>}. */
    public static Pod pod(String namespace, int i) {
        int rs = i / PODS_PER_REPLICASET;
        String app = "app-" + rs;
        String hash = Integer.toHexString(0x5d8f7c6b + rs);
        return new PodBuilder().withNewMetadata().withNamespace(namespace).withName("pod-" + i)
                .withLabels(Map.of("app", app, "tier", "backend", "release", "stable", "pod-template-hash", hash))
                .withAnnotations(Map.of("prometheus.io/scrape", "true", "prometheus.io/port", "9102",
                        "kubectl.kubernetes.io/restartedAt", "2026-11-27T10:00:00Z"))
                .addNewOwnerReference().withApiVersion("v1").withKind("ConfigMap").withName(replicaSet(rs))
                .withUid("00000000-0000-0000-0000-" + String.format("%012d", rs)).withController(true).withBlockOwnerDeletion(true)
                .endOwnerReference()
                .endMetadata()
                .withNewSpec().withServiceAccountName("default").withRestartPolicy("Always")
                .withTerminationGracePeriodSeconds(30L).withDnsPolicy("ClusterFirst").withSchedulerName("default-scheduler")
                .addToContainers(new ContainerBuilder().withName("app").withImage("registry.example/" + app + ":1.4.2")
                        .addNewPort().withContainerPort(8080).withName("http").withProtocol("TCP").endPort()
                        .addNewEnv().withName("JAVA_OPTS").withValue("-Xmx256m -XX:+UseG1GC").endEnv()
                        .addNewEnv().withName("APP_MODE").withValue("production").endEnv()
                        .addNewEnv().withName("LOG_LEVEL").withValue("info").endEnv()
                        .addNewEnv().withName("POD_NAME").withNewValueFrom().withNewFieldRef().withFieldPath("metadata.name").endFieldRef()
                        .endValueFrom().endEnv()
                        .withNewResources().addToRequests("cpu", new Quantity("100m")).addToRequests("memory", new Quantity("256Mi"))
                        .addToLimits("memory", new Quantity("512Mi")).endResources()
                        .withNewReadinessProbe().withNewHttpGet().withPath("/ready").withNewPort(8080).endHttpGet().withPeriodSeconds(5)
                        .endReadinessProbe()
                        .withNewLivenessProbe().withNewHttpGet().withPath("/live").withNewPort(8080).endHttpGet().withInitialDelaySeconds(10)
                        .endLivenessProbe()
                        .addNewVolumeMount().withName("config").withMountPath("/etc/app").withReadOnly(true).endVolumeMount()
                        .addNewVolumeMount().withName("token").withMountPath("/var/run/secrets/kubernetes.io/serviceaccount")
                        .withReadOnly(true).endVolumeMount()
                        .build())
                .addToContainers(new ContainerBuilder().withName("proxy").withImage("registry.example/proxy:2.1")
                        .withArgs("--port", "15001", "--admin", "15000").addNewPort().withContainerPort(15001).withProtocol("TCP").endPort()
                        .withNewResources().addToRequests("cpu", new Quantity("50m")).addToRequests("memory", new Quantity("64Mi")).endResources()
                        .addNewVolumeMount().withName("token").withMountPath("/var/run/secrets/kubernetes.io/serviceaccount")
                        .withReadOnly(true).endVolumeMount()
                        .build())
                .addNewVolume().withName("config").withNewConfigMap().withName(app + "-config").endConfigMap().endVolume()
                .addNewVolume().withName("token").withNewProjected().addNewSource().withNewServiceAccountToken().withPath("token")
                .withExpirationSeconds(3607L).endServiceAccountToken().endSource().endProjected().endVolume()
                .addNewToleration().withKey("node.kubernetes.io/not-ready").withOperator("Exists").withEffect("NoExecute")
                .withTolerationSeconds(300L).endToleration()
                .endSpec().build();
    }

    /**
     * A kubelet's status of pod {@code i}: Running and Ready, its own IP and container IDs, and its own start time (a
     * second apart: as unique as in a cluster, so that its conditions and container states share nothing by chance).
     */
    public static PodStatus status(int i) {
        String started = java.time.Instant.parse("2026-11-27T10:00:00Z").plusSeconds(i).toString();
        String ip = "10.244." + (i / 250) % 256 + "." + i % 250;
        return new PodStatusBuilder().withPhase("Running").withHostIP("192.168.0." + (i % 20)).withPodIP(ip).addNewPodIP().withIp(ip)
                .endPodIP().withStartTime(started).withQosClass("Burstable")
                .addNewCondition().withType("Initialized").withStatus("True").withLastTransitionTime(started).endCondition()
                .addNewCondition().withType("Ready").withStatus("True").withLastTransitionTime(started).endCondition()
                .addNewCondition().withType("ContainersReady").withStatus("True").withLastTransitionTime(started).endCondition()
                .addNewCondition().withType("PodScheduled").withStatus("True").withLastTransitionTime(started).endCondition()
                .addNewContainerStatus().withName("app").withReady(true).withStarted(true).withRestartCount(i % 3)
                .withImage("registry.example/app-" + i / PODS_PER_REPLICASET + ":1.4.2")
                .withImageID("registry.example/app@sha256:" + String.format("%064x", i / PODS_PER_REPLICASET))
                .withContainerID("containerd://" + String.format("%064x", (long) i * 7919)).withNewState().withNewRunning()
                .withStartedAt(started).endRunning().endState().endContainerStatus()
                .addNewContainerStatus().withName("proxy").withReady(true).withStarted(true).withRestartCount(0)
                .withImage("registry.example/proxy:2.1").withImageID("registry.example/proxy@sha256:" + String.format("%064x", 21))
                .withContainerID("containerd://" + String.format("%064x", (long) i * 7919 + 1)).withNewState().withNewRunning()
                .withStartedAt(started).endRunning().endState().endContainerStatus()
                .build();
    }
}
