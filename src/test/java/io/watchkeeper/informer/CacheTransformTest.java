package io.watchkeeper.informer;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.GenericKubernetesResourceBuilder;
import io.fabric8.kubernetes.api.model.ManagedFieldsEntryBuilder;

class CacheTransformTest {

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
