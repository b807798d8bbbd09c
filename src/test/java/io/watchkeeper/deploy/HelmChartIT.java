package io.watchkeeper.deploy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;

import com.marcnuri.helm.Helm;
import com.marcnuri.helm.LintResult;
import com.marcnuri.helm.Release;

import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.rbac.ClusterRole;
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
    void shouldRefuseNamespacedRbacWithoutNamespaces() {
        assertThatThrownBy(() -> new Helm(Artefacts.CHART).template().withName("wk").set("rbac.clusterWide", false).call())
                .hasMessageContaining("rbac.clusterWide=false needs watchNamespaces");
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
    }

    @Test
    void shouldApplyThePlainManifestsOnTheServer() {
        TestCluster.admin().resource(new NamespaceBuilder().withNewMetadata().withName(Artefacts.NAMESPACE).endMetadata().build())
                .serverSideApply();
        String out = Kubectl.run("apply", "--dry-run=server", "-f", Artefacts.MANIFESTS.toString());
        assertThat(out).contains("customresourcedefinition.apiextensions.k8s.io/resourcewatches.watchkeeper.io")
                .contains("deployment.apps/watchkeeper").contains("clusterrole.rbac.authorization.k8s.io/watchkeeper-operator");
    }
}
