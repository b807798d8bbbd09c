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
    private static volatile boolean active;

    private DemoCluster() {
    }

    /** Starts the demo cluster if this JVM has none yet, and points {@code config} at it. */
    public static synchronized void connect(Config config) {
        String url = System.getProperty(URL_PROPERTY);
        if (url == null) {
            try {
                if (!ControlPlane.installed()) {
                    install();
                }
                ControlPlane cp = ControlPlane.start(List.of(), null);
                Path kubeconfig = cp.writeKubeconfig(ControlPlane.ADMIN, Files.createTempFile("watchkeeper-demo-", ".kubeconfig"));
                Runtime.getRuntime().addShutdownHook(new Thread(cp::close, "watchkeeper-demo-cluster-stop"));
                url = cp.url();
                applyCrds(cp);
                System.setProperty(URL_PROPERTY, url);
                LOG.infof("Demo mode: embedded Kubernetes %s at %s. kubectl: export KUBECONFIG=%s", ControlPlane.VERSION, url, kubeconfig);
            } catch (IOException e) {
                throw new UncheckedIOException("The embedded demo cluster did not start: " + e.getMessage(), e);
            }
        }
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
