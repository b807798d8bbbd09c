package io.watchkeeper.deploy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;

import com.marcnuri.helm.Helm;
import com.marcnuri.helm.LintResult;
import com.marcnuri.helm.Release;

import io.fabric8.kubernetes.api.model.Affinity;
import io.fabric8.kubernetes.api.model.AffinityBuilder;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.TopologySpreadConstraint;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.rbac.ClusterRole;
import io.fabric8.kubernetes.api.model.rbac.ClusterRoleBinding;
import io.fabric8.kubernetes.api.model.rbac.Role;
import io.watchkeeper.demo.ControlPlane;
import io.watchkeeper.testing.Kubectl;
import io.watchkeeper.testing.TestCluster;

/** The chart and the plain manifests, checked by real Helm and a real API server. */
class HelmChartIT {

    @Test
    void shouldLintCleanly() {
        LintResult result = new Helm(Artefacts.CHART).lint().strict().call();
        assertThat(result.isFailed()).as("helm lint: %s", result.getMessages()).isFalse();
    }

    @Test
    void shouldRenderNamespacedRbacAndAServiceMonitorWhenAsked() {
        String rendered = new Helm(Artefacts.CHART).template().withName("wk").withNamespace("ops")
                .set("rbac.clusterWide", false).set("watchNamespaces[0]", "shop").set("watchNamespaces[1]", "payments")
                .set("metrics.serviceMonitor.enabled", true).call();
        assertThat(rendered).contains("kind: Role\n").contains("namespace: shop").contains("namespace: payments")
                .contains("kind: ServiceMonitor").contains("value: \"shop,payments\"").doesNotContain("name: wk-reader");
    }

    @Test
    void shouldRefuseSeveralReplicasWithoutLeaderElection() {
        assertThatThrownBy(() -> new Helm(Artefacts.CHART).template().withName("wk").set("leaderElection.enabled", false).call())
                .hasMessageContaining("leaderElection.enabled=false with replicas > 1");
        assertThat(render("leaderElection.enabled", "false", "replicas", "1")).noneMatch(o -> o.getKind().equals("PodDisruptionBudget"))
                .noneMatch(o -> o.getMetadata().getName().equals("wk-leader-election"));
    }

    @Test
    void shouldRefuseNamespacedRbacWithoutNamespaces() {
        assertThatThrownBy(() -> new Helm(Artefacts.CHART).template().withName("wk").set("rbac.clusterWide", false).call())
                .hasMessageContaining("rbac.clusterWide=false needs watchNamespaces");
    }

    @Test
    void shouldGrantInsightExactlyWhatItWatchesAndWrites() {
        List<HasMetadata> all = render();
        ClusterRole insight = find(all, ClusterRole.class, "wk-insight");
        assertThat(insight.getRules()).extracting(r -> r.getResources() + " " + r.getVerbs())
                .containsExactly("[pods, services] [list, watch]", "[events] [list, watch, create, update]");

        List<HasMetadata> podsOnly = render("insight.namespaces[0]", "own", "insight.namespaces[1]", "shop",
                "insight.services.enabled", "false");
        assertThat(podsOnly.stream().filter(o -> o instanceof ClusterRole).map(o -> o.getMetadata().getName()))
                .doesNotContain("wk-insight");
        List<Role> roles = podsOnly.stream().filter(o -> o instanceof Role r && r.getMetadata().getName().equals("wk-insight"))
                .map(Role.class::cast).toList();
        assertThat(roles).extracting(r -> r.getMetadata().getNamespace()).containsExactlyInAnyOrder("ops", "shop");
        assertThat(roles.get(0).getRules()).extracting(r -> r.getResources() + " " + r.getVerbs())
                .containsExactly("[pods] [list, watch]", "[events] [list, watch, create, update]");
        Deployment d = find(podsOnly, Deployment.class, "wk");
        assertThat(d.getSpec().getTemplate().getSpec().getContainers().get(0).getEnv())
                .anyMatch(e -> e.getName().equals("WATCHKEEPER_INSIGHT_NAMESPACES") && e.getValue().equals("ops,shop"))
                .anyMatch(e -> e.getName().equals("WATCHKEEPER_INSIGHT_SERVICES_ENABLED") && e.getValue().equals("false"));

        List<HasMetadata> off = render("insight.pods.enabled", "false", "insight.services.enabled", "false");
        assertThat(off).noneMatch(o -> o.getMetadata().getName().equals("wk-insight"));
    }

    @Test
    void shouldRefuseInsightOverAllNamespacesWithNamespacedRbac() {
        assertThatThrownBy(() -> new Helm(Artefacts.CHART).template().withName("wk").set("rbac.clusterWide", false)
                .set("watchNamespaces[0]", "shop").set("insight.namespaces[0]", "*").call())
                .hasMessageContaining("insight over all namespaces needs rbac.clusterWide=true");
    }

    @Test
    void shouldRefuseAMisspelledOrMistypedValueNamingIt() {
        assertThatThrownBy(() -> new Helm(Artefacts.CHART).template().withName("wk").set("insight.pods.restartTreshold", 3).call())
                .hasMessageContaining("restartTreshold");
        assertThatThrownBy(() -> new Helm(Artefacts.CHART).template().withName("wk").set("image.pullPolicy", "Sometimes").call())
                .hasMessageContaining("pullPolicy");
        assertThatThrownBy(() -> new Helm(Artefacts.CHART).template().withName("wk").set("insight.pods.pendingThreshold", "five minutes")
                .call()).hasMessageContaining("pendingThreshold");
    }

    @Test
    void shouldRenderSchedulingSecurityImageAndServiceAccountValues() {
        String digest = "sha256:" + "ab".repeat(32);
        List<HasMetadata> all = render("image.digest", digest, "imagePullSecrets[0].name", "regcred", "schedulerName", "custom",
                "priorityClassName", "critical", "nodeSelector.disk", "ssd", "tolerations[0].key", "dedicated",
                "tolerations[0].operator", "Exists", "podLabels.team", "platform", "podAnnotations.note", "hi",
                "podSecurityContext.runAsUser", "20000", "securityContext.readOnlyRootFilesystem", "false",
                "serviceAccount.create", "false", "serviceAccount.name", "existing", "jvm.options", "-Xmx300m",
                "insight.pods.recoveryGrace", "2m");
        var spec = find(all, Deployment.class, "wk").getSpec().getTemplate();
        var pod = spec.getSpec();
        var container = pod.getContainers().get(0);
        assertThat(container.getImage()).isEqualTo("watchkeeper/watchkeeper@" + digest);
        assertThat(pod.getImagePullSecrets()).extracting(r -> r.getName()).containsExactly("regcred");
        assertThat(pod.getSchedulerName()).isEqualTo("custom");
        assertThat(pod.getPriorityClassName()).isEqualTo("critical");
        assertThat(pod.getNodeSelector()).containsEntry("disk", "ssd");
        assertThat(pod.getTolerations()).extracting(t -> t.getKey()).containsExactly("dedicated");
        assertThat(spec.getMetadata().getLabels()).containsEntry("team", "platform").containsEntry("app.kubernetes.io/name", "watchkeeper");
        assertThat(spec.getMetadata().getAnnotations()).containsEntry("note", "hi");
        assertThat(pod.getSecurityContext().getRunAsUser()).isEqualTo(20000L);
        assertThat(container.getSecurityContext().getReadOnlyRootFilesystem()).isFalse();
        assertThat(container.getEnv()).anyMatch(e -> e.getName().equals("JAVA_TOOL_OPTIONS") && e.getValue().equals("-Xmx300m"))
                .anyMatch(e -> e.getName().equals("WATCHKEEPER_INSIGHT_PODS_RECOVERY_GRACE") && e.getValue().equals("2m"));
        assertThat(container.getReadinessProbe().getTimeoutSeconds()).isPositive();
        assertThat(container.getLivenessProbe().getTimeoutSeconds()).isPositive();
        // an existing ServiceAccount: none rendered, and every binding names it
        assertThat(pod.getServiceAccountName()).isEqualTo("existing");
        assertThat(all).noneMatch(o -> o.getKind().equals("ServiceAccount"));
        assertThat(all.stream().filter(o -> o instanceof ClusterRoleBinding).map(ClusterRoleBinding.class::cast)
                .flatMap(b -> b.getSubjects().stream())).isNotEmpty().allMatch(subject -> subject.getName().equals("existing"));
    }

    @Test
    void shouldRenderAlertsDashboardAndNetworkPolicyWhenAsked() throws Exception {
        String rendered = new Helm(Artefacts.CHART).template().withName("wk").withNamespace("ops")
                .set("metrics.prometheusRule.enabled", true).set("metrics.prometheusRule.labels.release", "kube-prometheus")
                .set("metrics.grafanaDashboard.enabled", true).set("networkPolicy.enabled", true)
                .set("networkPolicy.ingressFrom[0].namespaceSelector.matchLabels.team", "monitoring").call();
        var yaml = new com.fasterxml.jackson.dataformat.yaml.YAMLMapper();
        List<com.fasterxml.jackson.databind.JsonNode> objects = new java.util.ArrayList<>();
        try (var parser = yaml.getFactory().createParser(rendered)) {
            yaml.readValues(parser, com.fasterxml.jackson.databind.JsonNode.class).forEachRemaining(n -> {
                if (n != null && n.has("kind")) {
                    objects.add(n);
                }
            });
        }
        var rule = objects.stream().filter(o -> o.path("kind").asText().equals("PrometheusRule")).findFirst().orElseThrow();
        assertThat(rule.path("metadata").path("labels").path("release").asText()).isEqualTo("kube-prometheus");
        // exactly the rules promtool tests (AlertRulesTest)
        assertThat(rule.path("spec").path("groups")).isEqualTo(yaml.readTree(Artefacts.CHART.resolve("files/prometheus-rules.yaml").toFile())
                .path("groups"));
        var dashboard = objects.stream().filter(o -> o.path("kind").asText().equals("ConfigMap")).findFirst().orElseThrow();
        assertThat(dashboard.path("metadata").path("labels").path("grafana_dashboard").asText()).isEqualTo("1");
        assertThat(new com.fasterxml.jackson.databind.ObjectMapper().readTree(dashboard.path("data").path("watchkeeper.json").asText())
                .path("panels")).isNotEmpty();
        var policy = objects.stream().filter(o -> o.path("kind").asText().equals("NetworkPolicy")).findFirst().orElseThrow();
        assertThat(policy.path("spec").path("ingress").get(0).path("ports").get(0).path("port").asText()).isEqualTo("http");
        assertThat(policy.path("spec").path("ingress").get(0).path("from").get(0).path("namespaceSelector").path("matchLabels")
                .path("team").asText()).isEqualTo("monitoring");
    }

    /** The chart's aggregated roles: a user with the built-in edit role in a namespace may manage its ResourceWatches. */
    @Test
    void shouldLetEditUsersManageAndViewUsersReadWatches() throws Exception {
        String ns = TestCluster.namespace("helm-aggregated");
        Path kubeconfig = TestCluster.controlPlane().writeKubeconfig(ControlPlane.ADMIN, Files.createTempFile("helm-", ".kubeconfig"));
        new Helm(Artefacts.CHART).install().withName("wk-agg").withNamespace(ns).withKubeConfig(kubeconfig).call();
        try {
            TestCluster.admin().resource(new io.fabric8.kubernetes.api.model.rbac.RoleBindingBuilder().withNewMetadata().withNamespace(ns)
                    .withName("alice-edit").endMetadata().withNewRoleRef("rbac.authorization.k8s.io", "ClusterRole", "edit")
                    .addNewSubject().withKind("User").withName(TestCluster.ALICE.name()).withApiGroup("rbac.authorization.k8s.io").endSubject()
                    .build()).serverSideApply();
            TestCluster.admin().resource(new io.fabric8.kubernetes.api.model.rbac.RoleBindingBuilder().withNewMetadata().withNamespace(ns)
                    .withName("bob-view").endMetadata().withNewRoleRef("rbac.authorization.k8s.io", "ClusterRole", "view")
                    .addNewSubject().withKind("User").withName(TestCluster.BOB.name()).withApiGroup("rbac.authorization.k8s.io").endSubject()
                    .build()).serverSideApply();
            // the controller manager aggregates the chart's rules into edit and view
            org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(60)).untilAsserted(() -> {
                assertThat(allowed(TestCluster.ALICE.name(), "create", ns)).as("edit may create").isTrue();
                assertThat(allowed(TestCluster.BOB.name(), "list", ns)).as("view may list").isTrue();
            });
            assertThat(allowed(TestCluster.BOB.name(), "create", ns)).as("view may not create").isFalse();
            assertThat(allowed(TestCluster.ALICE.name(), "create", "default")).as("only where bound").isFalse();
        } finally {
            Helm.uninstall("wk-agg").withNamespace(ns).withKubeConfig(kubeconfig).call();
        }
    }

    private static boolean allowed(String user, String verb, String ns) {
        return TestCluster.admin().authorization().v1().subjectAccessReview().create(
                new io.fabric8.kubernetes.api.model.authorization.v1.SubjectAccessReviewBuilder().withNewSpec().withUser(user)
                        .withNewResourceAttributes().withGroup("watchkeeper.io").withResource("resourcewatches").withVerb(verb)
                        .withNamespace(ns).endResourceAttributes().endSpec().build()).getStatus().getAllowed();
    }

    @Test
    void shouldSayInItsNotesHowToOpenThePageAndGetAToken() throws Exception {
        String ns = TestCluster.namespace("helm-notes");
        Path kubeconfig = TestCluster.controlPlane().writeKubeconfig(ControlPlane.ADMIN, Files.createTempFile("helm-", ".kubeconfig"));
        Release release = new Helm(Artefacts.CHART).install().withName("wk-notes").withNamespace(ns).withKubeConfig(kubeconfig)
                .set("rbac.aggregateToDefaultRoles", false).call();
        try {
            assertThat(release.getOutput()).contains("kubectl -n " + ns + " port-forward service/wk-notes 8080:8080")
                    .contains("create token").contains("kubectl delete resourcewatches,clusterresourcewatches --all --all-namespaces")
                    .contains("kubectl -n " + ns + " get lease wk-notes-leader");
        } finally {
            Helm.uninstall("wk-notes").withNamespace(ns).withKubeConfig(kubeconfig).call();
        }
    }

    /**
     * {@code affinity} and {@code topologySpreadConstraints} go into the pod spec as given. A given affinity replaces the
     * chart's own anti-affinity (soft or hard) whole, as the template's if/else does: it is not merged into it.
     */
    @Test
    void shouldPutAffinityAndTopologySpreadConstraintsIntoThePodSpecExactly() throws Exception {
        Path values = Files.createTempFile("helm-scheduling-", ".yaml");
        Files.writeString(values, """
                affinity:
                  nodeAffinity:
                    requiredDuringSchedulingIgnoredDuringExecution:
                      nodeSelectorTerms:
                        - matchExpressions:
                            - {key: disk, operator: In, values: [ssd, nvme]}
                  podAffinity:
                    preferredDuringSchedulingIgnoredDuringExecution:
                      - weight: 50
                        podAffinityTerm:
                          topologyKey: topology.kubernetes.io/zone
                          labelSelector:
                            matchLabels: {app: cache}
                topologySpreadConstraints:
                  - maxSkew: 1
                    topologyKey: topology.kubernetes.io/zone
                    whenUnsatisfiable: ScheduleAnyway
                    labelSelector:
                      matchLabels: {app.kubernetes.io/instance: wk}
                  - maxSkew: 2
                    topologyKey: kubernetes.io/hostname
                    whenUnsatisfiable: DoNotSchedule
                    labelSelector:
                      matchLabels: {app.kubernetes.io/name: watchkeeper}
                """);
        var given = new com.fasterxml.jackson.dataformat.yaml.YAMLMapper().readTree(values.toFile());
        var serialization = TestCluster.admin().getKubernetesSerialization();
        Affinity affinity = serialization.convertValue(given.get("affinity"), Affinity.class);
        List<TopologySpreadConstraint> spread = List.of(serialization.convertValue(given.get("topologySpreadConstraints"),
                TopologySpreadConstraint[].class));

        // with the default podAntiAffinity (soft), and with hard: the pod spec holds exactly what was given
        for (String antiAffinity : List.of("soft", "hard")) {
            PodSpec pod = podSpec(render(values, "podAntiAffinity", antiAffinity));
            assertThat(pod.getAffinity()).as("affinity, podAntiAffinity=%s", antiAffinity).isEqualTo(affinity);
            assertThat(pod.getAffinity().getPodAntiAffinity()).as("the chart's anti-affinity is replaced, not merged (%s)", antiAffinity)
                    .isNull();
            assertThat(pod.getTopologySpreadConstraints()).as("topologySpreadConstraints").containsExactlyElementsOf(spread);
        }
        Files.delete(values);
    }

    /** Without a given affinity, {@code podAntiAffinity} alone decides the pod's affinity; no spread constraints by default. */
    @Test
    void shouldRenderTheChartsOwnAntiAffinityOnlyWhenNoAffinityIsGiven() {
        var term = new io.fabric8.kubernetes.api.model.PodAffinityTermBuilder().withTopologyKey("kubernetes.io/hostname")
                .withNewLabelSelector().addToMatchLabels("app.kubernetes.io/name", "watchkeeper")
                .addToMatchLabels("app.kubernetes.io/instance", "wk").endLabelSelector().build();
        PodSpec soft = podSpec(render());
        assertThat(soft.getAffinity()).isEqualTo(new AffinityBuilder().withNewPodAntiAffinity()
                .addNewPreferredDuringSchedulingIgnoredDuringExecution().withWeight(100).withPodAffinityTerm(term)
                .endPreferredDuringSchedulingIgnoredDuringExecution().endPodAntiAffinity().build());
        assertThat(soft.getTopologySpreadConstraints()).isNullOrEmpty();
        assertThat(podSpec(render("podAntiAffinity", "hard")).getAffinity()).isEqualTo(new AffinityBuilder().withNewPodAntiAffinity()
                .addToRequiredDuringSchedulingIgnoredDuringExecution(term).endPodAntiAffinity().build());
        assertThat(podSpec(render("podAntiAffinity", "")).getAffinity()).isNull();
    }

    private static PodSpec podSpec(List<HasMetadata> rendered) {
        return find(rendered, Deployment.class, "wk").getSpec().getTemplate().getSpec();
    }

    private static List<HasMetadata> render(String... settings) {
        return render(null, settings);
    }

    /** {@code helm template} with a values file (null: none) and {@code --set} settings, parsed. */
    private static List<HasMetadata> render(Path valuesFile, String... settings) {
        var template = new Helm(Artefacts.CHART).template().withName("wk").withNamespace("ops");
        if (valuesFile != null) {
            template = template.withValuesFile(valuesFile);
        }
        for (int i = 0; i < settings.length; i += 2) {
            template = template.set(settings[i], settings[i + 1]);
        }
        String rendered = template.call();
        return TestCluster.admin().load(new ByteArrayInputStream(rendered.getBytes(StandardCharsets.UTF_8))).items();
    }

    private static <T extends HasMetadata> T find(List<HasMetadata> objects, Class<T> type, String name) {
        return objects.stream().filter(type::isInstance).map(type::cast).filter(o -> o.getMetadata().getName().equals(name))
                .findFirst().orElseThrow(() -> new AssertionError("no " + type.getSimpleName() + " " + name + " rendered"));
    }

    @Test
    void shouldInstallIntoARealApiServer() throws Exception {
        Path kubeconfig = TestCluster.controlPlane().writeKubeconfig(ControlPlane.ADMIN, Files.createTempFile("helm-", ".kubeconfig"));
        Release release = new Helm(Artefacts.CHART).install().withName("wk-it").withNamespace("helm-it").createNamespace()
                .withKubeConfig(kubeconfig).call();

        assertThat(release.getStatus()).isEqualTo("deployed");
        Deployment d = TestCluster.admin().apps().deployments().inNamespace("helm-it").withName("wk-it").get();
        assertThat(d.getSpec().getTemplate().getSpec().getContainers().get(0).getReadinessProbe().getHttpGet().getPath())
                .isEqualTo("/q/health/ready");
        assertThat(TestCluster.admin().resources(ClusterRole.class).withName("wk-it-operator").get()).isNotNull();
        assertThat(TestCluster.admin().resources(ClusterRole.class).withName("wk-it-reader").get()).isNotNull();

        // two replicas, one of which may be disrupted at a time, spread over nodes where there are several
        assertThat(d.getSpec().getReplicas()).isEqualTo(2);
        assertThat(TestCluster.admin().policy().v1beta1().podDisruptionBudget().inNamespace("helm-it").withName("wk-it").get()
                .getSpec().getMaxUnavailable().getIntVal()).isEqualTo(1);
        assertThat(d.getSpec().getTemplate().getSpec().getAffinity().getPodAntiAffinity()
                .getPreferredDuringSchedulingIgnoredDuringExecution()).singleElement()
                .satisfies(t -> assertThat(t.getPodAffinityTerm().getTopologyKey()).isEqualTo("kubernetes.io/hostname"));
        assertThat(d.getSpec().getTemplate().getSpec().getContainers().get(0).getEnv())
                .anySatisfy(e -> assertThat(e.getName() + "=" + e.getValue()).isEqualTo("WATCHKEEPER_LEADER_ELECTION_LEASE_NAME=wk-it-leader"));

        // the operator's ServiceAccount may renew its own Lease, and write nothing else in coordination.k8s.io
        String[] as = { "--as", "system:serviceaccount:helm-it:wk-it", "-n", "helm-it" };
        assertThat(Kubectl.canI(concat(new String[] { "get", "leases.coordination.k8s.io/wk-it-leader" }, as))).isTrue();
        assertThat(Kubectl.canI(concat(new String[] { "update", "leases.coordination.k8s.io/wk-it-leader" }, as))).isTrue();
        assertThat(Kubectl.canI(concat(new String[] { "patch", "leases.coordination.k8s.io/wk-it-leader" }, as))).isTrue();
        assertThat(Kubectl.canI(concat(new String[] { "create", "leases.coordination.k8s.io" }, as))).as("the first election creates it")
                .isTrue();
        // (reading any Lease comes with rbac.watchRules, which by default let watches read everything)
        for (String[] not : new String[][] { { "update", "leases.coordination.k8s.io/kube-scheduler" },
                { "patch", "leases.coordination.k8s.io/kube-scheduler" }, { "delete", "leases.coordination.k8s.io/wk-it-leader" },
                { "deletecollection", "leases.coordination.k8s.io" } }) {
            assertThat(Kubectl.canI(concat(not, as))).as("may not %s %s", not[0], not[1]).isFalse();
        }
        assertThat(Kubectl.canI("update", "leases.coordination.k8s.io/wk-it-leader", "--as", "system:serviceaccount:helm-it:wk-it", "-n",
                "default")).as("only in its own namespace").isFalse();
    }

    private static String[] concat(String[] a, String[] b) {
        return java.util.stream.Stream.concat(java.util.Arrays.stream(a), java.util.Arrays.stream(b)).toArray(String[]::new);
    }

    @Test
    void shouldApplyThePlainManifestsOnTheServer() throws Exception {
        TestCluster.admin().resource(new NamespaceBuilder().withNewMetadata().withName(Artefacts.NAMESPACE).endMetadata().build())
                .serverSideApply();
        String out = Kubectl.run("apply", "--dry-run=server", "-f", Artefacts.manifestsForTheTestBed().toString());
        assertThat(out).contains("customresourcedefinition.apiextensions.k8s.io/resourcewatches.watchkeeper.io")
                .contains("deployment.apps/watchkeeper").contains("clusterrole.rbac.authorization.k8s.io/watchkeeper-operator")
                .contains("poddisruptionbudget.policy/watchkeeper").contains("role.rbac.authorization.k8s.io/watchkeeper-leader-election");
    }
}
