package io.watchkeeper.watch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import io.fabric8.kubernetes.api.model.GenericKubernetesResourceBuilder;
import io.fabric8.kubernetes.api.model.LabelSelectorBuilder;
import io.fabric8.kubernetes.api.model.LabelSelectorRequirementBuilder;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.api.model.rbac.ClusterRoleBindingBuilder;
import io.fabric8.kubernetes.api.model.rbac.ClusterRoleBuilder;
import io.fabric8.kubernetes.api.model.rbac.PolicyRuleBuilder;
import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.watchkeeper.api.v1alpha1.ResourceWatch;
import io.watchkeeper.testing.ControlPlaneResource;
import io.watchkeeper.testing.Crds;
import io.watchkeeper.testing.TestCluster;
import io.watchkeeper.testing.Watches;

/**
 * Bad input gets a clear answer, and recovers by itself when the cause goes away: every case gives Ready=False with a
 * specific reason and a message that says what to do, then Ready=True once fixed.
 */
@QuarkusTest
@QuarkusTestResource(ControlPlaneResource.class)
class WatchProblemsTest {

    @jakarta.inject.Inject
    io.watchkeeper.informer.InformerHub hub;

    private static final String NS = TestCluster.namespace("problems");

    @Test
    void shouldReportUnknownResourceAndRecoverWhenItsCrdIsInstalledAfterStart() {
        Watches.create(Watches.resourceWatch(NS, "widgets", "widgets", null));
        awaitReady("widgets", "False", "ResourceNotFound", "no resource 'widgets'");
        assertThat(Watches.condition(Watches.get(NS, "widgets").getStatus(), "Resolved"))
                .hasValueSatisfying(c -> assertThat(c.getStatus()).isEqualTo("False"));

        Crds.install(Crds.crd("example.com", "widgets", "Widget", "wdg"));

        awaitReady("widgets", "True", "CacheSynced", "synced");
        ResourceWatch w = Watches.get(NS, "widgets");
        assertThat(w.getStatus().getResolved().getGroup()).isEqualTo("example.com");
        assertThat(w.getStatus().getResolved().getVersion()).isEqualTo("v1");
    }

    /**
     * A group's preferred version is the newest any of its CRDs serves: with a CRD served only at v2 in the group, a CRD
     * served only at v1 is not in the preferred version, and must be found all the same (as kubectl finds it).
     */
    @Test
    void shouldFindACrdThatItsGroupsPreferredVersionDoesNotServe() {
        CustomResourceDefinition doodads = Crds.crd("versions.example.com", "doodads", "Doodad");
        CustomResourceDefinition thingies = Crds.crd("versions.example.com", "thingies", "Thingy");
        thingies.getSpec().getVersions().get(0).setName("v2");
        Crds.install(doodads);
        Crds.install(thingies);
        Watches.create(Watches.resourceWatch(NS, "doodads", "doodads", null));
        awaitReady("doodads", "True", "CacheSynced", "synced");
        assertThat(Watches.get(NS, "doodads").getStatus().getResolved().getVersion()).isEqualTo("v1");
    }

    @Test
    void shouldReportWatchedCrdDeletedAndResumeWhenRecreated() {
        CustomResourceDefinition crd = Crds.crd("example.com", "sprockets", "Sprocket");
        Crds.install(crd);
        Watches.create(Watches.resourceWatch(NS, "sprockets", "Sprocket", null));
        awaitReady("sprockets", "True", "CacheSynced", "synced");

        Crds.uninstall(crd);
        awaitReady("sprockets", "False", "ResourceNotFound", "no resource 'Sprocket'");

        Crds.install(crd);
        var sprockets = new ResourceDefinitionContext.Builder().withGroup("example.com").withVersion("v1").withPlural("sprockets")
                .withKind("Sprocket").withNamespaced(true).build();
        TestCluster.admin().genericKubernetesResources(sprockets).inNamespace(NS).resource(new GenericKubernetesResourceBuilder()
                .withApiVersion("example.com/v1").withKind("Sprocket").withNewMetadata().withName("s1").endMetadata().build()).create();
        awaitReady("sprockets", "True", "CacheSynced", "synced");
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(Watches.get(NS, "sprockets").getStatus().getInformer().getItems())
                .isEqualTo(1));
    }

    @Test
    void shouldListTheChoicesForAnAmbiguousNameAndRecoverWhenOneGoes() {
        CustomResourceDefinition alpha = Crds.crd("alpha.example.com", "gadgets", "Gadget");
        Crds.install(alpha);
        Crds.install(Crds.crd("beta.example.com", "gadgets", "Gadget"));

        Watches.create(Watches.resourceWatch(NS, "gadgets", "gadgets", null));
        awaitReady("gadgets", "False", "AmbiguousResource", "gadgets.alpha.example.com, gadgets.beta.example.com");

        Crds.uninstall(alpha);
        awaitReady("gadgets", "True", "CacheSynced", "synced");
        assertThat(Watches.get(NS, "gadgets").getStatus().getResolved().getGroup()).isEqualTo("beta.example.com");
    }

    @Test
    void shouldReportAnUnparsableLabelSelectorAndRecoverWhenFixed() {
        ResourceWatch w = Watches.resourceWatch(NS, "bad-labels", "pods", null);
        w.getSpec().setSelector(new LabelSelectorBuilder().withMatchExpressions(new LabelSelectorRequirementBuilder().withKey("app")
                .withOperator("Maybe").withValues("web").build()).build());
        Watches.create(w);
        awaitReady("bad-labels", "False", "InvalidLabelSelector", "operator 'Maybe'");

        ResourceWatch fixed = Watches.get(NS, "bad-labels");
        fixed.getSpec().getSelector().getMatchExpressions().get(0).setOperator("In");
        TestCluster.admin().resource(fixed).update();
        awaitReady("bad-labels", "True", "CacheSynced", "synced");
    }

    @Test
    void shouldReportAnUnparsableFieldSelectorAndRecoverWhenFixed() {
        ResourceWatch w = Watches.resourceWatch(NS, "bad-fields", "pods", null);
        w.getSpec().setFieldSelector("status.phase");
        Watches.create(w);
        awaitReady("bad-fields", "False", "InvalidFieldSelector", "field=value");

        ResourceWatch fixed = Watches.get(NS, "bad-fields");
        fixed.getSpec().setFieldSelector("status.phase!=Succeeded");
        TestCluster.admin().resource(fixed).update();
        awaitReady("bad-fields", "True", "CacheSynced", "synced");
    }

    @Test
    void shouldReportAFieldSelectorTheApiServerRejectsAndRecoverWhenFixed() {
        ResourceWatch w = Watches.resourceWatch(NS, "rejected-fields", "pods", null);
        w.getSpec().setFieldSelector("spec.colour=blue");
        Watches.create(w);
        awaitReady("rejected-fields", "False", "FieldSelectorRejected", "spec.colour");

        ResourceWatch fixed = Watches.get(NS, "rejected-fields");
        fixed.getSpec().setFieldSelector("spec.nodeName=node-1");
        TestCluster.admin().resource(fixed).update();
        awaitReady("rejected-fields", "True", "CacheSynced", "synced");
    }

    @Test
    void shouldReportForbiddenAndRecoverWhenRbacAllowsIt() {
        Watches.create(Watches.resourceWatch(NS, "templates", "podtemplates", null));
        awaitReady("templates", "False", "Forbidden", "list and watch on podtemplates");
        // a failed informer is reported on its watch and retried; it neither stops the operator nor holds readiness down
        io.restassured.RestAssured.given().get("/q/health/ready").then().statusCode(200);

        TestCluster.admin().resource(new ClusterRoleBuilder().withNewMetadata().withName("test-podtemplates").endMetadata()
                .withRules(new PolicyRuleBuilder().withApiGroups("").withResources("podtemplates").withVerbs("get", "list", "watch").build())
                .build()).create();
        TestCluster.admin().resource(new ClusterRoleBindingBuilder().withNewMetadata().withName("test-podtemplates").endMetadata()
                .withNewRoleRef("rbac.authorization.k8s.io", "ClusterRole", "test-podtemplates")
                .addNewSubject().withKind("User").withName(TestCluster.OPERATOR.name()).withApiGroup("rbac.authorization.k8s.io").endSubject()
                .build()).create();
        awaitReady("templates", "True", "CacheSynced", "synced");
        // the informer was restarted after the 403: a relist, counted (the series itself exists from the first list)
        String relists = "watchkeeper_informer_relists_total{namespace=\"" + NS + "\",resource=\"podtemplates\"}";
        assertThat(io.watchkeeper.testing.OperatorMetrics.value(relists).orElse(0)).as(relists).isPositive();
    }

    @Test
    void shouldReportAWatchWithoutSpecInsteadOfFailingForever() {
        TestCluster.admin().resource(new GenericKubernetesResourceBuilder().withApiVersion("watchkeeper.io/v1alpha1")
                .withKind("ResourceWatch").withNewMetadata().withName("no-spec").withNamespace(NS).endMetadata().build()).create();
        awaitReady("no-spec", "False", "InvalidSpec", "spec.resource");

        ResourceWatch fixed = Watches.get(NS, "no-spec");
        fixed.setSpec(Watches.resourceWatch(NS, "no-spec", "configmaps", null).getSpec());
        TestCluster.admin().resource(fixed).update();
        awaitReady("no-spec", "True", "CacheSynced", "synced");
    }

    @Test
    void shouldTellAResourceWatchOnAClusterScopedResourceToAskForAClusterResourceWatch() {
        Watches.create(Watches.resourceWatch(NS, "nodes", "nodes", null));
        awaitReady("nodes", "False", "ClusterScopedResource", "ClusterResourceWatch");
        assertThat(Watches.get(NS, "nodes").getStatus().getInformer()).as("no informer held").isNull();
        assertThat(hub.informers()).noneMatch(si -> si.key().resource().equals("nodes"));
    }

    @Test
    void shouldStartNoInformerBeyondItsNamespacesQuota() {
        String ns = TestCluster.namespace("quota");
        // the default quota, 10 informers per namespace: 10 distinct questions, then an 11th
        for (int i = 0; i < 10; i++) {
            Watches.createReady(Watches.resourceWatch(ns, "q" + i, "configmaps", Map.of("n", "" + i)));
        }
        // a watch asking a question the namespace already holds costs nothing
        Watches.createReady(Watches.resourceWatch(ns, "same-as-q0", "configmaps", Map.of("n", "0")));
        Watches.create(Watches.resourceWatch(ns, "q10", "configmaps", Map.of("n", "10")));
        await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> assertThat(Watches.ready(Watches.get(ns, "q10")))
                .hasValueSatisfying(c -> {
                    assertThat(c.getStatus()).isEqualTo("False");
                    assertThat(c.getReason()).isEqualTo("InformerQuotaExceeded");
                    assertThat(c.getMessage()).contains("10 informers", ns, "watchkeeper.watches.informers-per-namespace");
                }));
        assertThat(hub.informers()).as("nothing started for the refused question")
                .noneMatch(si -> ns.equals(si.key().namespace()) && si.key().labelSelector().contains("n=10"));
        io.restassured.RestAssured.given().get("/q/metrics").then().body(org.hamcrest.Matchers.containsString(
                "watchkeeper_watch_refusals_total{reason=\"InformerQuotaExceeded\"}"));

        // when a question of the namespace is given up, the refused watch gets its informer
        TestCluster.admin().resource(Watches.get(ns, "q1")).delete();
        await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> assertThat(Watches.ready(Watches.get(ns, "q10")))
                .hasValueSatisfying(c -> assertThat(c.getReason()).isEqualTo("CacheSynced")));
    }

    private static void awaitReady(String name, String status, String reason, String messagePart) {
        await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> assertThat(Watches.ready(Watches.get(NS, name)))
                .hasValueSatisfying(c -> {
                    assertThat(c.getStatus()).isEqualTo(status);
                    assertThat(c.getReason()).isEqualTo(reason);
                    assertThat(c.getMessage()).contains(messagePart);
                }));
    }

}
