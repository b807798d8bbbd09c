package io.watchkeeper.watch;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import org.jboss.logging.Logger;
import org.junit.jupiter.api.Test;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.GenericKubernetesResourceBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.watchkeeper.testing.ControlPlaneResource;
import io.watchkeeper.testing.TestCluster;
import io.watchkeeper.testing.Watches;

/**
 * Random specs thrown at the reconciler through the real API server: every field, present or absent, empty, null,
 * valid or garbage, in the shapes the CRD's schema lets through. Whatever the API server accepts must get a Ready
 * condition a person can act on (a reason and a message) for its generation, and no reconciliation may fail with an
 * exception. Reproduce a run with {@code -Dfuzz.seed=<seed>}; {@code -Dfuzz.specs=<n>} for more.
 */
@QuarkusTest
@QuarkusTestResource(ControlPlaneResource.class)
class WatchSpecFuzzTest {

    private static final Logger LOG = Logger.getLogger(WatchSpecFuzzTest.class);
    private static final String NS = TestCluster.namespace("fuzz");

    private static final List<String> RESOURCES = List.of("pods", "po", "Pod", "v1/pods", "configmaps", "apps/v1/deployments",
            "deployments.apps", "nodes", "namespaces", "", " ", "pods ", "v1", "v1/", "/pods", "x/y/z/w", "widgets.nope",
            "../pods", "PODS", "pods.", ".pods", "apps//deployments", "événements", "a".repeat(300), "secrets", "events.events.k8s.io");
    private static final List<String> OPERATORS = List.of("In", "NotIn", "Exists", "DoesNotExist", "in", "Maybe", "", "=", "!=");
    private static final List<String> KEYS = List.of("app", "example.com/tier", "", " ", "-bad", "a/b/c", "k".repeat(70),
            "app.kubernetes.io/name", "ünïcode", "x=y");
    private static final List<String> VALUES = List.of("web", "", " ", "v".repeat(70), "a,b", "=", "!", "ok-1", "bad value");
    private static final List<String> FIELDS = List.of("status.phase!=Succeeded", "metadata.name=web", "status.phase",
            "spec.colour=blue", "", ",", "a=b=c", "metadata.namespace==x", "metadata.name!=", "  ", "\u0000");

    @Test
    void shouldGiveEveryAcceptedSpecAConditionAndNeverFailAReconciliation() {
        long seed = Long.getLong("fuzz.seed", new Random().nextLong());
        int specs = Integer.getInteger("fuzz.specs", 30);
        LOG.infof("WatchSpecFuzzTest seed %d (-Dfuzz.seed=%d to repeat)", seed, seed);
        Random random = new Random(seed);
        double failedBefore = failedReconciliations();
        List<String> accepted = new ArrayList<>();
        for (int i = 0; i < specs; i++) {
            String name = "f" + i;
            GenericKubernetesResource w = new GenericKubernetesResourceBuilder().withApiVersion("watchkeeper.io/v1alpha1")
                    .withKind("ResourceWatch").withNewMetadata().withName(name).withNamespace(NS).endMetadata().build();
            // the first is always spec-less, the shape that made the reconciler throw; the rest are random
            (i == 0 ? java.util.Optional.<Map<String, Object>>empty() : randomSpec(random)).ifPresent(spec -> w.setAdditionalProperty("spec", spec));
            try {
                TestCluster.admin().resource(w).create();
                accepted.add(name);
            } catch (KubernetesClientException e) {
                assertThat(e.getCode()).as("the API server refuses by its schema, nothing else: %s", e.getMessage()).isEqualTo(422);
            }
        }
        assertThat(accepted).as("seed %d: most specs pass the schema", seed).hasSizeGreaterThan(specs / 2);

        for (String name : accepted) {
            await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
                var watch = Watches.get(NS, name);
                assertThat(watch.getStatus()).as("seed %d, %s: %s", seed, name, watch.getSpec()).isNotNull();
                assertThat(watch.getStatus().getObservedGeneration()).isEqualTo(watch.getMetadata().getGeneration());
                assertThat(Watches.ready(watch)).as("seed %d, %s", seed, name).hasValueSatisfying(c -> {
                    assertThat(c.getStatus()).isIn("True", "False");
                    assertThat(c.getReason()).isNotBlank();
                    assertThat(c.getMessage()).isNotBlank();
                });
            });
        }
        assertThat(failedReconciliations()).as("seed %d: no reconciliation of these watches threw", seed).isEqualTo(failedBefore);
    }

    /** The Java Operator SDK's count of failed reconciliations of the ResourceWatch controller. */
    private static double failedReconciliations() {
        return given().get("/q/metrics").then().statusCode(200).extract().asString().lines()
                .filter(l -> l.startsWith("reconciliations_failure_total{") && l.contains("controller_name=\"resourcewatch\""))
                .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1))).sum();
    }

    private static java.util.Optional<Map<String, Object>> randomSpec(Random r) {
        if (r.nextInt(8) == 0) {
            return java.util.Optional.empty();
        }
        Map<String, Object> spec = new LinkedHashMap<>();
        if (r.nextInt(10) > 0) {
            spec.put("resource", pick(r, RESOURCES));
        }
        switch (r.nextInt(4)) {
            case 0 -> {
            }
            case 1 -> spec.put("selector", Map.of());
            default -> spec.put("selector", randomSelector(r));
        }
        if (r.nextBoolean()) {
            spec.put("fieldSelector", pick(r, FIELDS));
        }
        return java.util.Optional.of(spec);
    }

    private static Map<String, Object> randomSelector(Random r) {
        Map<String, Object> selector = new LinkedHashMap<>();
        if (r.nextBoolean()) {
            Map<String, Object> labels = new LinkedHashMap<>();
            for (int i = r.nextInt(3); i > 0; i--) {
                labels.put(pick(r, KEYS), pick(r, VALUES));
            }
            selector.put("matchLabels", labels);
        }
        if (r.nextBoolean()) {
            List<Map<String, Object>> expressions = new ArrayList<>();
            for (int i = r.nextInt(3); i > 0; i--) {
                Map<String, Object> e = new LinkedHashMap<>();
                if (r.nextInt(6) > 0) {
                    e.put("key", pick(r, KEYS));
                }
                if (r.nextInt(6) > 0) {
                    e.put("operator", pick(r, OPERATORS));
                }
                switch (r.nextInt(4)) {
                    case 0 -> {
                    }
                    case 1 -> e.put("values", List.of());
                    default -> {
                        List<String> values = new ArrayList<>();
                        for (int j = 1 + r.nextInt(3); j > 0; j--) {
                            values.add(pick(r, VALUES));
                        }
                        e.put("values", values);
                    }
                }
                expressions.add(e);
            }
            selector.put("matchExpressions", expressions);
        }
        return selector;
    }

    private static String pick(Random r, List<String> from) {
        return from.get(r.nextInt(from.size()));
    }
}
