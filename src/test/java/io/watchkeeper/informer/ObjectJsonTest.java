package io.watchkeeper.informer;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.ObjectMapper;

import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import io.watchkeeper.testing.RealisticPods;

class ObjectJsonTest {

    private static final KubernetesSerialization FABRIC8 = new KubernetesSerialization();
    private final Compactor compactor = new Compactor();
    private final ObjectMapper json = ObjectJson.mapper(compactor);

    /** Written once and copied in, or written anew: the same bytes as fabric8 writes, every time. */
    @Test
    void shouldWriteCachedObjectsExactlyAsFabric8Does() throws Exception {
        List<HasMetadata> objects = new ArrayList<>();
        List<String> expected = new ArrayList<>();
        for (int i = 0; i < 250; i += 7) { // three ReplicaSets: parts shared within one, and some across them
            Pod pod = pod(i);
            expected.add(FABRIC8.asJson(pod));
            objects.add(compactor.compact(pod));
            GenericKubernetesResource generic = FABRIC8.unmarshal(FABRIC8.asJson(pod(i)), GenericKubernetesResource.class);
            expected.add(FABRIC8.asJson(generic));
            objects.add(compactor.compact(generic));
        }
        HasMetadata service = new ServiceBuilder().withNewMetadata().withNamespace("ns").withName("web").addToLabels("app", "app-0").endMetadata()
                .withNewSpec().addToSelector("app", "app-0").addNewPort().withPort(80).withNewTargetPort(8080).endPort().endSpec().build();
        HasMetadata configMap = new ConfigMapBuilder().withNewMetadata().withNamespace("ns").withName("empty").endMetadata().build();
        for (HasMetadata o : List.of(service, configMap)) {
            expected.add(FABRIC8.asJson(o));
            objects.add(compactor.compact(o));
        }
        Map<String, Object> list = new LinkedHashMap<>(Map.of("kind", "PodList"));
        list.put("items", objects);

        for (int round = 0; round < 2; round++) { // the second time, shared parts come from what the first kept
            for (int i = 0; i < objects.size(); i++) {
                assertThat(new String(json.writeValueAsBytes(objects.get(i)), StandardCharsets.UTF_8)).as("object %d, round %d", i, round)
                        .isEqualTo(expected.get(i));
            }
            assertThat(new String(json.writeValueAsBytes(list), StandardCharsets.UTF_8)).isEqualTo(FABRIC8.asJson(list));
        }
    }

    @Test
    void shouldKeepTheJsonOfTheOutermostPartsThatObjectsShareOnly() throws Exception {
        Pod a = compactor.compact(pod(0));
        Pod b = compactor.compact(pod(1));
        Pod own = compactor.compact(ownVolumes(pod(2)));
        assertThat(b.getSpec().getContainers()).isSameAs(a.getSpec().getContainers());

        json.writeValueAsBytes(List.of(a, b, own));

        assertThat(compactor.keptJson(b.getSpec().getContainers())).as("the containers pods 0 and 1 share")
                .isEqualTo(FABRIC8.asJson(b.getSpec().getContainers()));
        assertThat(compactor.keptJson(a.getMetadata().getLabels())).isEqualTo(FABRIC8.asJson(a.getMetadata().getLabels()));
        assertThat(compactor.keptJson(a.getSpec().getContainers().get(0))).as("a part inside a kept part: in it already").isNull();
        assertThat(compactor.keptJson(own.getSpec().getVolumes())).as("pooled, but the one pod's own").isNull();
        assertThat(compactor.keptJson(own.getSpec().getContainers())).as("its mounts name its own volume").isNull();
        assertThat(compactor.keptJson(own.getSpec().getContainers().get(0).getEnv())).as("what it shares inside them")
                .isEqualTo(FABRIC8.asJson(a.getSpec().getContainers().get(0).getEnv()));
        assertThat(compactor.keptJson(b.getStatus().getConditions())).as("a status is the object's own").isNull();
        assertThat(compactor.keptJson(b.getSpec())).as("so is the spec, at the top").isNull();
    }

    /** What is kept grows with what the objects have in common, not with how many there are. */
    @Test
    void shouldKeepNoMoreForMorePodsOfTheSameReplicaSets() throws Exception {
        List<Pod> pods = new ArrayList<>();
        for (int i = 0; i < 300; i++) {
            pods.add(compactor.compact(ownVolumes(pod(i)))); // as in a real cluster: a token volume of each pod's own
        }
        json.writeValueAsBytes(List.of(pods.get(0), pods.get(1), pods.get(100), pods.get(101), pods.get(200), pods.get(201))); // two of each
        int kept = compactor.keptParts();
        assertThat(kept).isPositive();

        json.writeValueAsBytes(pods);

        assertThat(compactor.keptParts()).isEqualTo(kept);
    }

    /** An object's next version finds its parts in the pool: they are still its own, not shared, and keep nothing. */
    @Test
    void shouldTakeTheNextVersionOfAnObjectForTheSameObject() throws Exception {
        Pod first = compactor.compact(ownVolumes(pod(2)));
        Pod next = ownVolumes(pod(2));
        next.getStatus().setPhase("Succeeded");
        next = compactor.compact(next);
        assertThat(next.getSpec().getVolumes()).as("pooled").isSameAs(first.getSpec().getVolumes());

        json.writeValueAsBytes(List.of(first, next));

        assertThat(compactor.keptJson(next.getSpec().getVolumes())).isNull();
        assertThat(compactor.pooledByIdentity()).as("nothing of one pod is shared").isZero();
        assertThat(compactor.keptParts()).isZero();
    }

    /** The same when the versions are read from lists as they arrive (a relist): numbered by the object's uid. */
    @Test
    void shouldTakeTheNextVersionOfAStreamedObjectForTheSameObject() throws Exception {
        Pod pod = ownVolumes(pod(5));
        pod.getMetadata().setUid(java.util.UUID.randomUUID().toString());
        pod.getSpec().getVolumes().get(0).setName("config-" + pod.getMetadata().getUid()); // this test's own, in the shared pool
        String list = "{\"kind\":\"PodList\",\"metadata\":{\"resourceVersion\":\"1\"},\"items\":[" + FABRIC8.asJson(pod) + "]}";
        GenericKubernetesResource first = StreamedList.parse(new java.io.ByteArrayInputStream(list.getBytes(StandardCharsets.UTF_8)), true, i -> i)
                .getItems().get(0);
        GenericKubernetesResource next = StreamedList.parse(new java.io.ByteArrayInputStream(list.getBytes(StandardCharsets.UTF_8)), true, i -> i)
                .getItems().get(0);
        Object volumes = next.get("spec", "volumes");
        assertThat(volumes).as("pooled").isSameAs(first.get("spec", "volumes"));

        assertThat(ObjectJson.string(List.of(first, next))).isEqualTo(FABRIC8.asJson(List.of(first, next)));

        assertThat(Compactor.SHARED.keptJson(volumes)).isNull();
    }

    /** Pod {@code p} with its token volume named as the API server names it: kube-api-access-<random>. */
    private static Pod ownVolumes(Pod p) {
        String name = "kube-api-access-" + Integer.toHexString(p.getMetadata().getName().hashCode());
        p.getSpec().getVolumes().stream().filter(v -> v.getName().equals("token")).forEach(v -> v.setName(name));
        p.getSpec().getContainers().forEach(c -> c.getVolumeMounts().stream().filter(m -> m.getName().equals("token")).forEach(m -> m.setName(name)));
        return p;
    }

    @Test
    void shouldWriteAnObjectAsAStringAsBytesAndIntoAStreamAlike() throws Exception {
        Pod pod = Compactor.SHARED.compact(pod(3));
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        ObjectJson.write(pod, out);
        assertThat(ObjectJson.string(pod)).isEqualTo(FABRIC8.asJson(pod)).isEqualTo(new String(ObjectJson.bytes(pod), StandardCharsets.UTF_8))
                .isEqualTo(out.toString(StandardCharsets.UTF_8));
    }

    /**
     * Properties are read through generated accessors (Blackbird), not reflection: still fabric8's bytes, including
     * fabric8's own rule that an additional property shadows the field of the same name, and a null or empty field.
     */
    @Test
    void shouldWriteAdditionalPropertiesAndEmptyFieldsAsFabric8Does() throws Exception {
        Pod pod = pod(5);
        pod.setAdditionalProperty("status", Map.of("phase", "Shadowed"));
        pod.setAdditionalProperty("extra", List.of(1, "two"));
        pod.getMetadata().setAnnotations(null);
        pod.getMetadata().setFinalizers(new ArrayList<>());
        pod.getSpec().setAdditionalProperty("nodeName", "shadow-node");
        String expected = FABRIC8.asJson(pod);
        Pod compact = compactor.compact(pod);

        assertThat(new String(json.writeValueAsBytes(pod), StandardCharsets.UTF_8)).isEqualTo(expected).contains("Shadowed", "shadow-node");
        assertThat(new String(json.writeValueAsBytes(compact), StandardCharsets.UTF_8)).isEqualTo(FABRIC8.asJson(compact)).isEqualTo(expected);
    }

    private static Pod pod(int i) {
        Pod p = RealisticPods.pod("ns", i);
        p.setStatus(RealisticPods.status(i));
        return p;
    }
}
