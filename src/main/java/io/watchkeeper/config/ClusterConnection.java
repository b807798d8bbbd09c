package io.watchkeeper.config;

import jakarta.inject.Inject;
import jakarta.inject.Singleton;

import org.jboss.logging.Logger;

import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.quarkus.kubernetes.client.KubernetesConfigCustomizer;
import io.watchkeeper.config.WatchkeeperConfig.DemoMode;
import io.watchkeeper.demo.DemoCluster;

/**
 * Decides which cluster the operator talks to, before anything talks to it: the configured one (kubeconfig,
 * in-cluster service account, {@code quarkus.kubernetes-client.*}), or the embedded demo cluster when
 * {@code watchkeeper.demo.cluster} asks for it. With no cluster reachable, it says so in one line, with what to set,
 * and exits, instead of letting the informers fail twenty seconds later with a stack trace; likewise when the CRDs
 * are not installed.
 */
@Singleton
public class ClusterConnection implements KubernetesConfigCustomizer {

    private static final Logger LOG = Logger.getLogger(ClusterConnection.class);
    private static final String IN_CLUSTER_DEFAULT = "https://kubernetes.default.svc";
    private static final String[] CRDS = { "resourcewatches.watchkeeper.io", "clusterresourcewatches.watchkeeper.io" };

    private final WatchkeeperConfig config;

    @Inject
    public ClusterConnection(WatchkeeperConfig config) {
        this.config = config;
    }

    @Override
    public void customize(Config c) {
        DemoMode demo = config.demo().cluster();
        if (demo == DemoMode.always || (demo == DemoMode.auto && !configured(c))) {
            DemoCluster.connect(c);
            return;
        }
        if (config.startupCheck()) {
            check(c);
        }
    }

    /** Whether anything points the client at a cluster: fabric8 falls back to the in-cluster URL when nothing does. */
    static boolean configured(Config c) {
        boolean inCluster = System.getenv("KUBERNETES_SERVICE_HOST") != null;
        return inCluster || (c.getMasterUrl() != null && !c.getMasterUrl().startsWith(IN_CLUSTER_DEFAULT));
    }

    private static void check(Config c) {
        Config probe = new io.fabric8.kubernetes.client.ConfigBuilder(c).withRequestTimeout(5000).withConnectionTimeout(5000)
                .withRequestRetryBackoffLimit(0).build();
        try (KubernetesClient client = new KubernetesClientBuilder().withConfig(probe).build()) {
            client.getKubernetesVersion();
            checkCrds(client);
        } catch (RuntimeException e) {
            String why = rootMessage(e);
            String where = configured(c) ? c.getMasterUrl() : "no cluster configured (tried " + IN_CLUSTER_DEFAULT + ")";
            LOG.errorf("Cannot reach the Kubernetes API server: %s: %s. Set KUBECONFIG (or ~/.kube/config) or "
                    + "QUARKUS_KUBERNETES_CLIENT_API_SERVER_URL, run in a pod with a service account, or try the demo with "
                    + "WATCHKEEPER_DEMO_CLUSTER=auto.", where, why);
            // Exit before the operator starts its informers; a stack trace would say less than the line above.
            halt();
        }
    }

    private static void checkCrds(KubernetesClient client) {
        for (String crd : CRDS) {
            try {
                if (client.apiextensions().v1().customResourceDefinitions().withName(crd).get() == null) {
                    LOG.errorf("The CRD %s is not installed. Install it with the chart (helm install watchkeeper helm/watchkeeper) "
                            + "or kubectl apply -f kubernetes/, then start the operator again.", crd);
                    halt();
                }
            } catch (io.fabric8.kubernetes.client.KubernetesClientException e) {
                LOG.warnf("Could not check that the CRD %s is installed (HTTP %d); going on.", crd, e.getCode());
            }
        }
    }

    /** Exits before the operator starts its informers: halt, not exit, as shutdown hooks would wait for start-up. */
    private static void halt() {
        System.out.flush();
        System.err.flush();
        Runtime.getRuntime().halt(1);
    }

    private static String rootMessage(Throwable t) {
        Throwable root = t;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        return root.getClass().getSimpleName() + (root.getMessage() == null ? "" : ": " + root.getMessage());
    }
}
