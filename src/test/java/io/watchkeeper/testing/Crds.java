package io.watchkeeper.testing;

import static org.awaitility.Awaitility.await;

import java.time.Duration;

import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinitionBuilder;

/** Test CRDs, created and deleted through the real API server. */
public final class Crds {

    private Crds() {
    }

    public static CustomResourceDefinition crd(String group, String plural, String kind, String... shortNames) {
        return new CustomResourceDefinitionBuilder().withNewMetadata().withName(plural + "." + group).endMetadata()
                .withNewSpec().withGroup(group).withScope("Namespaced")
                .withNewNames().withPlural(plural).withSingular(kind.toLowerCase()).withKind(kind).withShortNames(shortNames).endNames()
                .addNewVersion().withName("v1").withServed(true).withStorage(true)
                .withNewSchema().withNewOpenAPIV3Schema().withType("object").withXKubernetesPreserveUnknownFields(true)
                .endOpenAPIV3Schema().endSchema().endVersion()
                .endSpec().build();
    }

    /** Creates the CRD and waits until the API server serves it. */
    public static void install(CustomResourceDefinition crd) {
        TestCluster.admin().resource(crd).create();
        await().atMost(Duration.ofSeconds(30)).until(() -> {
            CustomResourceDefinition c = TestCluster.admin().resource(crd).get();
            return c != null && c.getStatus() != null && c.getStatus().getConditions().stream()
                    .anyMatch(x -> "Established".equals(x.getType()) && "True".equals(x.getStatus()));
        });
    }

    /** Deletes the CRD and waits until it is gone. */
    public static void uninstall(CustomResourceDefinition crd) {
        TestCluster.admin().resource(crd).delete();
        await().atMost(Duration.ofSeconds(60)).until(() -> TestCluster.admin().resource(crd).get() == null);
    }
}
