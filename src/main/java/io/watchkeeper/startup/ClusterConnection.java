package io.watchkeeper.startup;

import jakarta.inject.Inject;
import jakarta.inject.Singleton;

import org.jboss.logging.Logger;

import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.quarkus.kubernetes.client.KubernetesConfigCustomizer;
import io.watchkeeper.config.LeaderElections;
import io.watchkeeper.config.WatchkeeperConfig;
import io.watchkeeper.config.WatchkeeperConfig.DemoMode;
import io.watchkeeper.demo.DemoCluster;

/**
 * Decides which cluster the operator talks to, before anything talks to it: the configured one (kubeconfig,
 * in-cluster service account, {@code quarkus.kubernetes-client.*}), or the embedded demo cluster when
 * {@code watchkeeper.demo.cluster} asks for it. With no cluster reachable, it says so in one line, with what to set,
 * and exits, instead of letting the informers fail twenty seconds later with a stack trace; likewise when the CRDs
 * are not installed, or when callers' tokens would go unchecked against a real cluster.
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
            DemoCluster.connect(c, config.demo().node());
            return;
        }
        try {
            config.api().auth().checksTokens(false);
        } catch (IllegalStateException e) {
            LOG.error(e.getMessage());
            halt();
        }
        if (config.startupCheck()) {
            check(c, config.insight(), config.leaderElection());
        }
    }

    /** Whether anything points the client at a cluster: fabric8 falls back to the in-cluster URL when nothing does. */
    static boolean configured(Config c) {
        boolean inCluster = System.getenv("KUBERNETES_SERVICE_HOST") != null;
        return inCluster || (c.getMasterUrl() != null && !c.getMasterUrl().startsWith(IN_CLUSTER_DEFAULT));
    }

    private static void check(Config c, WatchkeeperConfig.Insight insight, WatchkeeperConfig.LeaderElection leaderElection) {
        Config probe = new io.fabric8.kubernetes.client.ConfigBuilder(c).withRequestTimeout(5000).withConnectionTimeout(5000)
                .withRequestRetryBackoffLimit(0).build();
        try (KubernetesClient client = new KubernetesClientBuilder().withConfig(probe).build()) {
            client.getKubernetesVersion();
            checkCrds(client);
            checkInsightRights(client, insight, c.getNamespace());
            checkLeaseRights(client, leaderElection, c.getNamespace());
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

    /**
     * The insight controllers' informers are JOSDK's, which stops the whole operator with a stack trace when one cannot
     * list: say instead, in one line, which right is missing and what to do.
     */
    private static void checkInsightRights(KubernetesClient client, WatchkeeperConfig.Insight insight, String ownNamespace) {
        if (!insight.pods().enabled() && !insight.services().enabled()) {
            return;
        }
        java.util.Set<String> namespaces;
        try {
            namespaces = io.watchkeeper.insight.InsightScope.resolve(insight.namespaces(), ownNamespace);
        } catch (IllegalArgumentException e) {
            LOG.error(e.getMessage());
            halt();
            return;
        }
        java.util.List<String> resources = insight.services().enabled() ? java.util.List.of("pods", "services", "events")
                : java.util.List.of("pods", "events");
        for (String ns : namespaces.isEmpty() ? java.util.Set.of("") : namespaces) {
            for (String resource : resources) {
                for (String verb : java.util.List.of("list", "watch")) {
                    if (!allowed(client, "", resource, verb, ns.isEmpty() ? null : ns, null)) {
                        LOG.errorf("The operator may not %s %s %s, which Pod and Service insight need. Grant it (the chart's and "
                                + "kubernetes/'s insight role does), point watchkeeper.insight.namespaces where it may, or turn insight "
                                + "off (watchkeeper.insight.pods.enabled=false, watchkeeper.insight.services.enabled=false).",
                                verb, resource, ns.isEmpty() ? "in all namespaces" : "in namespace " + ns);
                        halt();
                    }
                }
            }
        }
    }

    /**
     * JOSDK checks the Lease rights too, but stops with a stack trace: say instead, in one line, which right is missing.
     * Only where JOSDK elects a leader (the packaged operator: the {@code prod} profile).
     */
    private static void checkLeaseRights(KubernetesClient client, WatchkeeperConfig.LeaderElection le, String ownNamespace) {
        if (!LeaderElections.active(le)) {
            return;
        }
        String ns = LeaderElections.leaseNamespace(le, ownNamespace);
        for (String verb : java.util.List.of("get", "update", "patch", "create")) {
            if (!allowed(client, "coordination.k8s.io", "leases", verb, ns, "create".equals(verb) ? null : le.leaseName())) {
                LOG.errorf("The operator may not %s the Lease %s/%s it elects its leader through. Grant it (the chart's and kubernetes/'s "
                        + "leader-election role does), point watchkeeper.leader-election.lease-namespace where it may, or, with one "
                        + "replica only, set watchkeeper.leader-election.enabled=false.", verb, ns, le.leaseName());
                halt();
            }
        }
    }

    private static boolean allowed(KubernetesClient client, String group, String resource, String verb, String namespace, String name) {
        var review = client.resource(new io.fabric8.kubernetes.api.model.authorization.v1.SelfSubjectAccessReviewBuilder()
                .withNewSpec().withNewResourceAttributes().withGroup(group).withVerb(verb).withResource(resource)
                .withNamespace(namespace).withName(name).endResourceAttributes().endSpec().build()).create();
        return review.getStatus() != null && Boolean.TRUE.equals(review.getStatus().getAllowed());
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
