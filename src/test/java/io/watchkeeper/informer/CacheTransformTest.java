package io.watchkeeper.informer;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.GenericKubernetesResourceBuilder;
import io.fabric8.kubernetes.api.model.ManagedFieldsEntryBuilder;

class CacheTransformTest {

    /**
     * Both clients' serializations read a response's bytes with the scanning parser: {@code managedFields} is skipped
     * without being tokenized (so even a value Jackson would refuse there goes unnoticed), the rest is read as usual;
     * the operator's keeps the application mapper's settings.
     */
    @Test
    void shouldSkipManagedFieldsOfResponsesByScanning() {
        String pod = "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"p\",\"managedFields\":[{\"manager\":"
                + "\"kubelet\",\"fieldsV1\":{\"f:status\":{\"f:phase\":{}}},\"odd\":[tru, 1.2.3]}],\"labels\":{\"app\":\"web\"}},"
                + "\"spec\":{\"nodeName\":\"n\"},\"unknown\":1}";
        com.fasterxml.jackson.databind.ObjectMapper app = new com.fasterxml.jackson.databind.ObjectMapper()
                .disable(com.fasterxml.jackson.databind.DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
                .enable(com.fasterxml.jackson.core.JsonParser.Feature.ALLOW_TRAILING_COMMA);
        for (io.fabric8.kubernetes.client.utils.KubernetesSerialization serialization : List.of(CacheTransform.serialization(),
                CacheTransform.serialization(app))) {
            io.fabric8.kubernetes.api.model.Pod read = serialization.unmarshal(stream(pod), io.fabric8.kubernetes.api.model.Pod.class);
            assertThat(read.getMetadata().getManagedFields()).isNullOrEmpty();
            assertThat(read.getMetadata().getLabels()).containsEntry("app", "web");
            assertThat(read.getSpec().getNodeName()).isEqualTo("n");
        }
        io.fabric8.kubernetes.api.model.Pod trailing = CacheTransform.serialization(app).unmarshal(stream(pod.replace("\"n\"}", "\"n\",}")),
                io.fabric8.kubernetes.api.model.Pod.class);
        assertThat(trailing.getSpec().getNodeName()).as("the application mapper's parser features kept").isEqualTo("n");
    }

    private static java.io.InputStream stream(String json) {
        return new java.io.ByteArrayInputStream(json.getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }

    @Test
    void shouldDropManagedFieldsAndRedactSecretValues() {
        GenericKubernetesResource secret = new GenericKubernetesResourceBuilder().withApiVersion("v1").withKind("Secret")
                .withNewMetadata().withName("creds").withManagedFields(List.of(new ManagedFieldsEntryBuilder().withManager("kubectl").build()))
                .endMetadata().build();
        secret.setAdditionalProperty("data", Map.of("password", "aHVudGVyMg=="));
        secret.setAdditionalProperty("stringData", Map.of("token", "t0ken"));

        CacheTransform.apply(secret, true);

        assertThat(secret.getMetadata().getManagedFields()).isNull();
        assertThat(secret.getAdditionalProperties().get("data")).isEqualTo(Map.of("password", ""));
        assertThat(secret.getAdditionalProperties().get("stringData")).isEqualTo(Map.of("token", ""));
        assertThat(secret.getMetadata().getAnnotations()).containsEntry(CacheTransform.REDACTED_ANNOTATION, "data,stringData");
    }

    @Test
    void shouldEmptyEveryAnnotationThatCarriesACopyOfTheValues() {
        GenericKubernetesResource secret = new GenericKubernetesResourceBuilder().withApiVersion("v1").withKind("Secret")
                .withNewMetadata().withName("creds").withAnnotations(Map.of(
                        CacheTransform.LAST_APPLIED, "{\"apiVersion\":\"v1\",\"data\":{\"password\":\"aHVudGVyMg==\"},\"kind\":\"Secret\"}",
                        "example.com/original", "password: hunter2",
                        "example.com/owner", "team-a"))
                .endMetadata().build();
        secret.setAdditionalProperty("data", Map.of("password", "aHVudGVyMg=="));

        CacheTransform.apply(secret, true);

        assertThat(secret.getMetadata().getAnnotations()).containsEntry(CacheTransform.LAST_APPLIED, "")
                .containsEntry("example.com/original", "") // the decoded value, copied by another tool
                .containsEntry("example.com/owner", "team-a")
                .containsEntry(CacheTransform.REDACTED_ANNOTATION,
                        "data,annotations[example.com/original],annotations[" + CacheTransform.LAST_APPLIED + "]");
    }

    @Test
    void shouldEmptyTheLastAppliedAnnotationOfASecretWithoutData() {
        GenericKubernetesResource secret = new GenericKubernetesResourceBuilder().withApiVersion("v1").withKind("Secret")
                .withNewMetadata().withName("emptied").withAnnotations(Map.of(CacheTransform.LAST_APPLIED,
                        "{\"data\":{\"password\":\"b2xk\"}}")).endMetadata().build();
        CacheTransform.apply(secret, true);
        assertThat(secret.getMetadata().getAnnotations()).containsEntry(CacheTransform.LAST_APPLIED, "");
    }

    @Test
    void shouldLeaveOtherObjectsDataAlone() {
        GenericKubernetesResource cm = new GenericKubernetesResourceBuilder().withApiVersion("v1").withKind("ConfigMap")
                .withNewMetadata().withName("settings").endMetadata().build();
        cm.setAdditionalProperty("data", Map.of("colour", "blue"));
        CacheTransform.apply(cm, false);
        assertThat(cm.getAdditionalProperties().get("data")).isEqualTo(Map.of("colour", "blue"));
        assertThat(cm.getMetadata().getAnnotations()).doesNotContainKey(CacheTransform.REDACTED_ANNOTATION);
    }
}
