package io.watchkeeper.demo;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.jboss.logging.Logger;

import io.fabric8.kubernetes.client.KubernetesClient;

/**
 * A real node for a {@link ControlPlane}: containerd with runc and the CNI bridge plugin (Debian's), and kubelet,
 * kube-scheduler and kube-proxy built from the same source as the API server, all as child processes with their state
 * in one folder, so that pods really run, crash, get OOM-killed and fail probes, and Service ClusterIPs route. Its images are made locally (pause, busybox:
 * {@code src/testbed/make-images.sh}); nothing is pulled. {@code src/testbed/install-testbed.sh --node} installs it.
 * The tests run real pods on it, and the demo its sample workload.
 * <p>
 * The kubelet and kube-proxy set a few host sysctls; they are restored on {@link #close}. Paths the binaries hard-code
 * ({@code /var/log/pods}, {@code /var/log/containers}, {@code /run/containerd}) are used as they are.
 */
public final class Node implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(Node.class);
    public static final String NAME = "node-1";
    /**
     * In the tests, the node's scheduler answers only to pods that name it ({@link #place}). The other tests' pods, whose
     * status they write by hand, are left alone as before there was a node: the default scheduler would mark them
     * Unschedulable (a status write, and a MODIFIED event those tests do not expect), the kubelet would run them. The
     * demo's node takes every pod ({@link #DEFAULT_SCHEDULER}).
     */
    public static final String SCHEDULER = "watchkeeper-test-node";
    public static final String DEFAULT_SCHEDULER = "default-scheduler";
    /** The pods' bridge (CNI bridge plugin), 10.88.0.0/16 with {@link ControlPlane#POD_GATEWAY}. */
    static final String BRIDGE = "wk0";
    /** The sysctls the kubelet and kube-proxy change (src/testbed/NODE.md, settings 6 and 10). */
    private static final List<String> SYSCTLS = List.of("kernel/panic", "kernel/panic_on_oops", "vm/overcommit_memory",
            "net/ipv4/conf/all/route_localnet");

    private final Path dir;
    private final Map<Process, String> processes = new LinkedHashMap<>();
    private final Map<String, String> savedSysctls = new LinkedHashMap<>();

    private Node(Path dir) {
        this.dir = dir;
    }

    public static boolean installed() {
        Path bin = ControlPlane.binaries();
        return Files.isExecutable(bin.resolve("kubelet")) && Files.isExecutable(bin.resolve("kube-scheduler"))
                && Files.isExecutable(bin.resolve("kube-proxy")) && Files.isExecutable(Path.of("/usr/bin/socat"))
                && Files.isExecutable(Path.of("/usr/bin/containerd")) && Files.isRegularFile(images().resolve("busybox.tar"));
    }

    /**
     * Why this machine cannot run a node, if it cannot: what the node needs of the machine rather than of the test
     * bed's installation (a missing installation is an error: {@code install-testbed.sh --node} makes it).
     */
    public static java.util.Optional<String> cannotRunHere() {
        if (!"root".equals(System.getProperty("user.name"))) {
            return java.util.Optional.of("containerd, runc, network namespaces and iptables need root, and this runs as "
                    + System.getProperty("user.name"));
        }
        if (!Files.isWritable(Path.of("/proc/sys/net/ipv4/conf/all/route_localnet"))) {
            return java.util.Optional.of("/proc/sys is read-only here (a container without privileges?): the kubelet and "
                    + "kube-proxy must set sysctls");
        }
        if (!Files.isDirectory(Path.of("/sys/fs/cgroup"))) {
            return java.util.Optional.of("no cgroup file system at /sys/fs/cgroup: the kubelet cannot limit containers");
        }
        if (Files.exists(Path.of("/run/containerd/containerd.sock"))) {
            return java.util.Optional.of("a containerd of the machine's own runs here (/run/containerd/containerd.sock), "
                    + "whose containers share the paths a node's containerd hard-codes");
        }
        return java.util.Optional.empty();
    }

    /**
     * Why a node cannot start now although the machine could run one: a machine has room for one, and a node's clean-up
     * must not touch another's state. (A node that was killed leaves these behind: its stop-node.sh removes them.)
     */
    static java.util.Optional<String> occupied() throws IOException {
        if (Files.exists(Path.of("/sys/class/net", BRIDGE))) {
            return java.util.Optional.of("another Watchkeeper node runs here, or one was killed (its pod bridge " + BRIDGE + " exists)");
        }
        if (output(List.of("iptables", "-t", "nat", "-S")).contains("-N KUBE-SERVICES")) {
            return java.util.Optional.of("another Kubernetes node's kube-proxy rules are here (iptables chain KUBE-SERVICES)");
        }
        return java.util.Optional.empty();
    }

    static Path images() {
        return ControlPlane.binaries().getParent().getParent().resolve("images");
    }

    /**
     * Starts the node's processes and waits until the API server lists the node Ready.
     *
     * @param schedulerName the pods its scheduler places: {@link #SCHEDULER} or {@link #DEFAULT_SCHEDULER}
     */
    public static Node start(ControlPlane controlPlane, KubernetesClient admin, String schedulerName) throws IOException {
        if (!installed()) {
            throw new IllegalStateException("No node in " + ControlPlane.binaries() + ": run src/testbed/install-testbed.sh --node");
        }
        java.util.Optional<String> occupied = occupied();
        if (occupied.isPresent()) {
            throw new IOException("a node cannot start: " + occupied.get());
        }
        Node node = new Node(Files.createTempDirectory("watchkeeper-node-"));
        try {
            node.launch(controlPlane, admin, schedulerName);
        } catch (IOException | RuntimeException e) {
            node.stop(); // keep the folder: its logs say why
            node.restoreSysctls();
            throw e;
        }
        return node;
    }

    private void launch(ControlPlane controlPlane, KubernetesClient admin, String schedulerName) throws IOException {
        for (String s : SYSCTLS) {
            savedSysctls.put(s, ProcFiles.read(Path.of("/proc/sys", s)));
        }
        // what stop() runs to clean up after the processes: in the jar, so the demo has it outside a checkout too
        try (var in = Node.class.getResourceAsStream("stop-node.sh")) {
            Files.write(dir.resolve("stop-node.sh"), in.readAllBytes());
        }
        Path bin = ControlPlane.binaries();
        Path kubeconfig = controlPlane.writeKubeconfig(ControlPlane.ADMIN, dir.resolve("admin.kubeconfig"));
        Path socket = dir.resolve("containerd.sock");

        // The pod bridge exists before the first pod (the CNI bridge plugin takes it as it is), so that the API server
        // is reachable from pods at once: at the bridge's gateway address, which it advertises, relayed to loopback
        // where it listens. The address is on a bridge of this machine's pods only; nothing outside reaches it.
        run(List.of("ip", "link", "add", BRIDGE, "type", "bridge"));
        run(List.of("ip", "addr", "add", ControlPlane.POD_GATEWAY + "/16", "dev", BRIDGE));
        run(List.of("ip", "link", "set", BRIDGE, "up"));
        int apiPort = URI.create(controlPlane.url()).getPort();
        spawn("api-relay", List.of("/usr/bin/socat", "TCP-LISTEN:" + apiPort + ",bind=" + ControlPlane.POD_GATEWAY + ",fork,reuseaddr",
                "TCP:127.0.0.1:" + apiPort));

        Path cniConf = Files.createDirectories(dir.resolve("cni"));
        // containerd reads a half-written CNI config: write it elsewhere, then rename (src/testbed/NODE.md, setting 4)
        Path tmp = Files.writeString(dir.resolve("bridge.conflist.tmp"), """
                {"cniVersion": "0.4.0", "name": "watchkeeper", "plugins": [
                  {"type": "bridge", "bridge": "%s", "isGateway": true, "ipMasq": true,
                   "ipam": {"type": "host-local", "ranges": [[{"subnet": "10.88.0.0/16"}]], "routes": [{"dst": "0.0.0.0/0"}],
                            "dataDir": "%s"}},
                  {"type": "portmap", "capabilities": {"portMappings": true}}]}
                """.formatted(BRIDGE, dir.resolve("cni-ipam")));
        Files.move(tmp, cniConf.resolve("10-watchkeeper.conflist"), StandardCopyOption.ATOMIC_MOVE);
        // restrict_oom_score_adj: src/testbed/NODE.md, setting 1; state in this folder, not the host's: setting 7
        Path containerdConfig = Files.writeString(dir.resolve("containerd.toml"), """
                version = 2
                root = "%1$s/containerd/root"
                state = "%1$s/containerd/state"
                [grpc]
                  address = "%2$s"
                [plugins."io.containerd.grpc.v1.cri"]
                  sandbox_image = "k8s.gcr.io/pause:3.2"
                  restrict_oom_score_adj = true
                  netns_mounts_under_state_dir = true
                  [plugins."io.containerd.grpc.v1.cri".cni]
                    bin_dir = "/usr/lib/cni"
                    conf_dir = "%3$s"
                  [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
                    runtime_type = "io.containerd.runc.v2"
                    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
                      Root = "%1$s/runc"
                      SystemdCgroup = false
                """.formatted(dir, socket, cniConf));
        spawn("containerd", List.of("/usr/bin/containerd", "--config", containerdConfig.toString()));
        awaitFile(socket, Duration.ofSeconds(30), "containerd's socket");
        for (String image : List.of("pause.tar", "busybox.tar")) {
            importImage(images().resolve(image));
        }

        Path kubeletConfig = Files.writeString(dir.resolve("kubelet.yaml"), """
                apiVersion: kubelet.config.k8s.io/v1beta1
                kind: KubeletConfiguration
                address: %s
                port: %d
                readOnlyPort: 0
                healthzPort: 0
                authentication:
                  anonymous: {enabled: true}
                  webhook: {enabled: false}
                authorization: {mode: AlwaysAllow}
                cgroupDriver: cgroupfs
                failSwapOn: false
                makeIPTablesUtilChains: false
                kubeAPIQPS: 50
                kubeAPIBurst: 100
                eventRecordQPS: 50
                eventBurst: 100
                serializeImagePulls: false
                volumeStatsAggPeriod: 10s
                """.formatted(ControlPlane.POD_GATEWAY, Ports.free()));
        // The node's address is the pod bridge's gateway: the kubelet refuses a loopback one and then publishes no
        // address at all, and the API server needs one to reach it (kubectl logs, exec). Nothing outside the machine
        // reaches the bridge.
        spawn("kubelet", List.of(bin.resolve("kubelet").toString(), "--kubeconfig", kubeconfig.toString(), "--config", kubeletConfig.toString(),
                "--container-runtime=remote", "--container-runtime-endpoint=unix://" + socket, "--root-dir", dir.resolve("kubelet").toString(),
                "--cert-dir", dir.resolve("kubelet-pki").toString(), "--hostname-override", NAME, "--node-ip", ControlPlane.POD_GATEWAY,
                "--pod-infra-container-image", "k8s.gcr.io/pause:3.2", "--v=1"));
        Path schedulerConfig = Files.writeString(dir.resolve("scheduler.yaml"), """
                apiVersion: kubescheduler.config.k8s.io/v1beta1
                kind: KubeSchedulerConfiguration
                clientConnection:
                  kubeconfig: %s
                leaderElection:
                  leaderElect: false
                profiles:
                - schedulerName: %s
                """.formatted(kubeconfig, schedulerName));
        spawn("kube-scheduler", List.of(bin.resolve("kube-scheduler").toString(), "--config", schedulerConfig.toString(),
                "--bind-address", "127.0.0.1", "--secure-port", String.valueOf(Ports.free()), "--port", "0"));

        long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
        while (!ready(admin)) {
            if (System.nanoTime() > deadline) {
                throw new IOException("Node " + NAME + " did not become Ready and untainted within 120 s; see the logs in " + dir);
            }
            checkAlive();
            pause();
        }
        // kube-proxy: Service ClusterIPs (the in-cluster kubernetes Service among them) route from pods and from here.
        // It starts once the Node is Ready (src/testbed/NODE.md, setting 10) and leaves the host's conntrack settings alone.
        Path proxyConfig = Files.writeString(dir.resolve("kube-proxy.yaml"), """
                apiVersion: kubeproxy.config.k8s.io/v1alpha1
                kind: KubeProxyConfiguration
                clientConnection:
                  kubeconfig: %s
                hostnameOverride: %s
                mode: iptables
                clusterCIDR: 10.88.0.0/16
                bindAddress: 127.0.0.1
                healthzBindAddress: 127.0.0.1:%d
                metricsBindAddress: 127.0.0.1:%d
                conntrack:
                  maxPerCore: 0
                  min: 0
                  tcpEstablishedTimeout: 0s
                  tcpCloseWaitTimeout: 0s
                """.formatted(kubeconfig, NAME, Ports.free(), Ports.free()));
        spawn("kube-proxy", List.of(bin.resolve("kube-proxy").toString(), "--config", proxyConfig.toString(), "--v=1"));
        String kubernetesService = null;
        while (kubernetesService == null || !kubernetesService.contains("default/kubernetes:https")) {
            if (System.nanoTime() > deadline) {
                throw new IOException("kube-proxy did not program the kubernetes Service within 120 s; see the logs in " + dir);
            }
            checkAlive();
            pause();
            kubernetesService = output(List.of("iptables", "-t", "nat", "-S", "KUBE-SERVICES"));
        }
        LOG.infof("Node %s ready (state in %s)", NAME, dir);
    }

    private static boolean ready(KubernetesClient admin) {
        var n = admin.nodes().withName(NAME).get();
        return n != null && n.getStatus() != null && n.getStatus().getConditions().stream()
                .anyMatch(c -> "Ready".equals(c.getType()) && "True".equals(c.getStatus()))
                && (n.getSpec().getTaints() == null || n.getSpec().getTaints().isEmpty());
    }

    /**
     * Imports an OCI image archive into the node's containerd. Name it as the CRI finds it, normalised
     * ({@code docker.io/watchkeeper/watchkeeper:x} for pods that say {@code watchkeeper/watchkeeper:x}).
     */
    public void importImage(Path archive) throws IOException {
        run(List.of("/usr/bin/ctr", "--address", dir.resolve("containerd.sock").toString(), "-n", "k8s.io", "images", "import",
                archive.toString()));
    }

    public Path dir() {
        return dir;
    }

    /** Makes {@code pod} one for the node's scheduler, so that it runs on the node. */
    public static io.fabric8.kubernetes.api.model.Pod place(io.fabric8.kubernetes.api.model.Pod pod) {
        pod.getSpec().setSchedulerName(SCHEDULER);
        return pod;
    }

    @Override
    public void close() {
        stop();
        try (var walk = Files.walk(dir)) {
            walk.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException | java.io.UncheckedIOException e) {
            LOG.debugf("Could not delete %s: %s", dir, e);
        }
        restoreSysctls();
    }

    private void restoreSysctls() {
        for (Map.Entry<String, String> s : savedSysctls.entrySet()) {
            try {
                Files.writeString(Path.of("/proc/sys", s.getKey()), s.getValue());
            } catch (IOException e) {
                LOG.warnf("Could not restore %s=%s: %s", s.getKey(), s.getValue(), e.getMessage());
            }
        }
    }

    private void stop() {
        ControlPlane.stop(processes);
        // the pods' containers outlive containerd (runc keeps them), and so do mounts, the bridge and its NAT rules
        try {
            run(List.of("bash", dir.resolve("stop-node.sh").toString(), dir.toString()));
        } catch (IOException e) {
            LOG.warnf("Cleaning up the node in %s: %s", dir, e.getMessage());
        }
    }

    private void spawn(String name, List<String> command) throws IOException {
        processes.put(new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve(name + ".log").toFile())).start(), name);
    }

    private void run(List<String> command) throws IOException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("setup.log").toFile())).start();
        try {
            if (!p.waitFor(300, TimeUnit.SECONDS) || p.exitValue() != 0) {
                throw new IOException(String.join(" ", command) + " failed; see " + dir.resolve("setup.log"));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        } finally {
            p.destroyForcibly(); // (exited already, unless it timed out)
        }
    }

    private static String output(List<String> command) throws IOException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        try {
            p.waitFor(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
        return out;
    }

    private void awaitFile(Path file, Duration within, String what) throws IOException {
        long deadline = System.nanoTime() + within.toNanos();
        while (!Files.exists(file)) {
            if (System.nanoTime() > deadline) {
                throw new IOException(what + " did not appear within " + within.toSeconds() + " s; see the logs in " + dir);
            }
            checkAlive();
            pause();
        }
    }

    private void checkAlive() throws IOException {
        ControlPlane.checkAlive(processes, dir);
    }

    /** Polling processes we started and the API server's view of them; there is no event to wait on. */
    private static void pause() throws IOException {
        try {
            TimeUnit.MILLISECONDS.sleep(250);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
    }
}
