package io.watchkeeper.testing;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.rbac.ClusterRole;
import io.fabric8.kubernetes.api.model.rbac.Role;
import io.fabric8.kubernetes.api.model.rbac.RoleBindingBuilder;
import io.fabric8.kubernetes.api.model.rbac.ClusterRoleBindingBuilder;
import io.fabric8.kubernetes.api.model.rbac.ClusterRoleBuilder;
import io.fabric8.kubernetes.api.model.rbac.PolicyRuleBuilder;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.watchkeeper.demo.ControlPlane;
import io.watchkeeper.demo.Node;
import io.watchkeeper.demo.ControlPlane.User;

/**
 * The real control plane every test in this JVM shares, started once: etcd + kube-apiserver 1.20.2 +
 * kube-controller-manager, with an audit log. The operator runs as {@link #OPERATOR}, bound to the operator
 * ClusterRole from {@code kubernetes/} plus {@link #READER_ROLE}, which deliberately leaves some resources out so
 * tests can meet a 403.
 */
public final class TestCluster {

    public static final User OPERATOR = new User("operator-token", "watchkeeper-operator", List.of("watchkeeper:operators"));
    public static final User ALICE = new User("alice-token", "alice", List.of("developers"));
    public static final User BOB = new User("bob-token", "bob", List.of("guests"));
    public static final String ADMIN_TOKEN = ControlPlane.ADMIN.token();
    public static final String READER_ROLE = "watchkeeper-test-reader";

    private static ControlPlane controlPlane;
    private static KubernetesClient admin;
    private static Node node;
    private static boolean nodeHook;

    private TestCluster() {
    }

    public static synchronized ControlPlane start() {
        if (controlPlane == null) {
            try {
                controlPlane = ControlPlane.start(List.of(OPERATOR, ALICE, BOB), OPERATOR.name());
                Runtime.getRuntime().addShutdownHook(new Thread(controlPlane::close, "test-control-plane-stop"));
                admin = client(ControlPlane.ADMIN);
                installCrdsAndRbac();
            } catch (IOException e) {
                throw new IllegalStateException("The test control plane did not start: " + e.getMessage(), e);
            }
        }
        return controlPlane;
    }

    public static ControlPlane controlPlane() {
        return start();
    }

    /**
     * The test bed's node on the same control plane, started on first use (tests that need no real pods never pay for
     * it) and stopped when the JVM exits.
     */
    public static synchronized Node node() {
        if (node == null) {
            java.util.Optional<String> cannot = Node.cannotRunHere();
            if (cannot.isPresent()) {
                // said out loud, not only in the report: a skipped real-pod test is a gap in what this run proved
                System.out.println("[node] SKIPPED: the real-node tests cannot run on this machine: " + cannot.get());
                org.junit.jupiter.api.Assumptions.abort("the real-node tests cannot run on this machine: " + cannot.get());
            }
            try {
                node = Node.start(start(), admin, Node.SCHEDULER);
                if (!nodeHook) {
                    Runtime.getRuntime().addShutdownHook(new Thread(TestCluster::releaseNode, "test-node-stop"));
                    nodeHook = true;
                }
            } catch (IOException e) {
                throw new IllegalStateException("The test node did not start: " + e.getMessage(), e);
            }
        }
        return node;
    }

    /**
     * Stops the shared node if it runs, for a test that runs one of its own (the demo): a machine has room for one.
     * The next {@link #node()} starts it again.
     */
    public static synchronized void releaseNode() {
        if (node != null) {
            node.close();
            node = null;
        }
    }

    /** A cluster-admin client for test set-up and for checking what the operator did. */
    public static KubernetesClient admin() {
        start();
        return admin;
    }

    public static KubernetesClient client(User user) {
        Config config = new ConfigBuilder(Config.empty()).withMasterUrl(controlPlane.url()).withOauthToken(user.token())
                .withTrustCerts(true).withNamespace("default").build();
        return new KubernetesClientBuilder().withConfig(config).build();
    }

    /**
     * Creates a namespace of the test's own, and waits for its {@code default} ServiceAccount (which the controller
     * manager creates), without which ServiceAccount admission refuses pods there.
     */
    public static String namespace(String name) {
        admin().resource(new NamespaceBuilder().withNewMetadata().withName(name).endMetadata().build()).serverSideApply();
        ControlPlane.awaitDefaultServiceAccount(admin, name);
        return name;
    }

    /** Operator configuration for Quarkus: the operator talks to this control plane as {@link #OPERATOR}. */
    public static Map<String, String> operatorConfig() {
        start();
        return Map.of("quarkus.kubernetes-client.api-server-url", controlPlane.url(),
                "quarkus.kubernetes-client.token", OPERATOR.token(),
                "quarkus.kubernetes-client.trust-certs", "true",
                "quarkus.kubernetes-client.namespace", "default");
    }

    /** The operator's ClusterRoles in kubernetes/03-rbac.yaml: its own objects, and what the insight reconcilers need. */
    private static final List<String> OPERATOR_ROLES = List.of("watchkeeper-operator", "watchkeeper-insight");
    private static final String TEST_PREFIX = "test-";
    /** The operator's leader-election Role in kubernetes/03-rbac.yaml, granted in the namespace of the jar's Lease. */
    private static final String LEASE_ROLE = "watchkeeper-leader-election";
    public static final String LEASE_NAMESPACE = "default";

    private static void installCrdsAndRbac() throws IOException {
        for (Path crd : List.of(Path.of("target/kubernetes/resourcewatches.watchkeeper.io-v1.yml"),
                Path.of("target/kubernetes/clusterresourcewatches.watchkeeper.io-v1.yml"))) {
            try (InputStream in = Files.newInputStream(crd)) {
                admin.load(in).serverSideApply();
            }
        }
        // The operator's own rights, exactly as the manifests grant them.
        try (InputStream in = Files.newInputStream(Path.of("kubernetes/03-rbac.yaml"))) {
            for (HasMetadata o : admin.load(in).items()) {
                if (o instanceof ClusterRole role && OPERATOR_ROLES.contains(role.getMetadata().getName())) {
                    // under a name and labels of the tests' own: an in-cluster install of the chart makes its own
                    role.getMetadata().setName(TEST_PREFIX + role.getMetadata().getName());
                    role.getMetadata().setLabels(Map.of("app.kubernetes.io/part-of", "watchkeeper-tests"));
                    role.getMetadata().setResourceVersion(null);
                    admin.resource(role).serverSideApply();
                } else if (o instanceof Role role && LEASE_ROLE.equals(role.getMetadata().getName())) {
                    // the jar's Lease lives in its client's namespace, default here
                    role.getMetadata().setNamespace(LEASE_NAMESPACE);
                    role.getMetadata().setLabels(Map.of("app.kubernetes.io/part-of", "watchkeeper-tests"));
                    admin.resource(role).serverSideApply();
                    admin.resource(new RoleBindingBuilder().withNewMetadata().withNamespace(LEASE_NAMESPACE).withName(LEASE_ROLE + "-test")
                            .endMetadata().withNewRoleRef("rbac.authorization.k8s.io", "Role", LEASE_ROLE)
                            .addNewSubject().withKind("User").withName(OPERATOR.name()).withApiGroup("rbac.authorization.k8s.io").endSubject()
                            .build()).serverSideApply();
                }
            }
        }
        // Reads for watches: a deliberately partial list (podtemplates and limitranges are left out).
        admin.resource(new ClusterRoleBuilder().withNewMetadata().withName(READER_ROLE).endMetadata()
                .withRules(new PolicyRuleBuilder().withApiGroups("").withResources("pods", "services", "configmaps", "secrets",
                        "namespaces", "endpoints", "events", "nodes").withVerbs("get", "list", "watch").build(),
                        new PolicyRuleBuilder().withApiGroups("apps").withResources("deployments", "replicasets")
                                .withVerbs("get", "list", "watch").build(),
                        new PolicyRuleBuilder().withApiGroups("example.com", "alpha.example.com", "beta.example.com", "versions.example.com")
                                .withResources("*").withVerbs("get", "list", "watch").build())
                .build()).serverSideApply();
        for (String role : List.of(TEST_PREFIX + "watchkeeper-operator", TEST_PREFIX + "watchkeeper-insight", READER_ROLE)) {
            admin.resource(new ClusterRoleBindingBuilder().withNewMetadata().withName(role + "-test").endMetadata()
                    .withNewRoleRef("rbac.authorization.k8s.io", "ClusterRole", role)
                    .addNewSubject().withKind("User").withName(OPERATOR.name()).withApiGroup("rbac.authorization.k8s.io").endSubject()
                    .build()).serverSideApply();
        }
    }
}
