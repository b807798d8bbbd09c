package io.watchkeeper.demo;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.jboss.logging.Logger;

import io.fabric8.kubernetes.client.Config;

/**
 * The embedded demo cluster: a {@link ControlPlane} started once per JVM (dev-mode reloads reuse it) and stopped when
 * the JVM exits. The operator connects to it as cluster admin.
 */
public final class DemoCluster {

    private static final Logger LOG = Logger.getLogger(DemoCluster.class);
    private static final String URL_PROPERTY = "watchkeeper.demo.url";
    private static final String NODE_PROPERTY = "watchkeeper.demo.node-running";
    private static volatile boolean active;
    private static volatile boolean realPods;

    private DemoCluster() {
    }

    /**
     * Starts the demo cluster if this JVM has none yet, with a real node when {@code withNode} and the machine can run
     * one, and points {@code config} at it.
     */
    public static synchronized void connect(Config config, boolean withNode) {
        String url = System.getProperty(URL_PROPERTY);
        if (url == null) {
            try {
                if (!ControlPlane.installed()) {
                    install();
                }
                ControlPlane cp = ControlPlane.start(List.of(), null);
                // one hook, from the start (whatever fails or is interrupted next), the node first: its kubelet and
                // containers need the API server to the end
                java.util.concurrent.atomic.AtomicReference<Node> started = new java.util.concurrent.atomic.AtomicReference<>();
                Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                    Node n = started.get();
                    if (n != null) {
                        n.close();
                    }
                    cp.close();
                }, "watchkeeper-demo-cluster-stop"));
                Path kubeconfig = cp.writeKubeconfig(ControlPlane.ADMIN, Files.createTempFile("watchkeeper-demo-", ".kubeconfig"));
                url = cp.url();
                applyCrds(cp);
                Node node = withNode ? startNode(cp) : null;
                started.set(node);
                System.setProperty(URL_PROPERTY, url);
                System.setProperty(NODE_PROPERTY, String.valueOf(node != null));
                LOG.infof("Demo mode: embedded Kubernetes %s at %s%s. kubectl: export KUBECONFIG=%s", ControlPlane.VERSION, url,
                        node != null ? " with a real node (" + Node.NAME + ")" : "", kubeconfig);
            } catch (IOException e) {
                throw new UncheckedIOException("The embedded demo cluster did not start: " + e.getMessage(), e);
            }
        }
        realPods = Boolean.getBoolean(NODE_PROPERTY);
        config.setMasterUrl(url);
        config.setOauthToken(ControlPlane.ADMIN.token());
        config.setAutoOAuthToken(null);
        config.setUsername(null);
        config.setPassword(null);
        config.setClientCertData(null);
        config.setClientCertFile(null);
        config.setClientKeyData(null);
        config.setClientKeyFile(null);
        config.setTrustCerts(true);
        config.setNamespace("default");
        active = true;
    }

    /**
     * Installs the CRDs before the operator starts its controllers, from the checkout's chart: the demo runs from a
     * checkout, and the packaged jar does not carry them.
     */
    private static void applyCrds(ControlPlane cp) throws IOException {
        Path crds = Path.of("helm/watchkeeper/crds");
        if (!Files.isDirectory(crds)) {
            throw new IOException("no CRDs in " + crds.toAbsolutePath() + ": run the demo from a Watchkeeper checkout");
        }
        io.fabric8.kubernetes.client.Config admin = new io.fabric8.kubernetes.client.ConfigBuilder(io.fabric8.kubernetes.client.Config.empty())
                .withMasterUrl(cp.url()).withOauthToken(ControlPlane.ADMIN.token()).withTrustCerts(true).build();
        try (var client = new io.fabric8.kubernetes.client.KubernetesClientBuilder().withConfig(admin).build();
                var files = Files.list(crds)) {
            for (Path f : files.sorted().toList()) {
                try (var in = Files.newInputStream(f)) {
                    client.load(in).forceConflicts().serverSideApply();
                }
            }
        }
    }

    /** The demo's node, or null with the reason said in one line: the demo then simulates its pods' status. */
    private static Node startNode(ControlPlane cp) {
        String why = Node.cannotRunHere().orElse(Node.installed() ? null
                : "it is not installed (src/testbed/install-testbed.sh --node builds it once, about 15 minutes)");
        if (why != null) {
            LOG.infof("Demo mode: no real node, because %s; the sample pods' status is simulated", why);
            return null;
        }
        io.fabric8.kubernetes.client.Config admin = new io.fabric8.kubernetes.client.ConfigBuilder(io.fabric8.kubernetes.client.Config.empty())
                .withMasterUrl(cp.url()).withOauthToken(ControlPlane.ADMIN.token()).withTrustCerts(true).build();
        try (var client = new io.fabric8.kubernetes.client.KubernetesClientBuilder().withConfig(admin).build()) {
            return Node.start(cp, client, Node.DEFAULT_SCHEDULER);
        } catch (IOException | RuntimeException e) {
            LOG.infof("Demo mode: no real node, because it did not start (%s); the sample pods' status is simulated", e.getMessage());
            return null;
        }
    }

    /** Whether the demo's pods run on a real node (else their status is simulated). */
    public static boolean realPods() {
        return realPods;
    }

    /** Whether this process runs against the demo cluster. */
    public static boolean active() {
        return active;
    }

    private static void install() throws IOException {
        Path script = Path.of("src/testbed/install-testbed.sh");
        if (!Files.isExecutable(script)) {
            throw new IOException("no control plane binaries in " + ControlPlane.binaries()
                    + "; run src/testbed/install-testbed.sh from a Watchkeeper checkout");
        }
        LOG.infof("Demo mode: building the control plane once (Debian packages; 10-15 minutes on 2 cores): %s", script);
        try {
            Process p = new ProcessBuilder(script.toString()).inheritIO().start();
            if (p.waitFor() != 0) {
                throw new IOException(script + " failed with exit code " + p.exitValue());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
    }
}
