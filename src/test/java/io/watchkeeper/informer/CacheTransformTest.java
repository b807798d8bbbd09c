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
    void shouldLeaveOtherObjectsDataAlone() {
        GenericKubernetesResource cm = new GenericKubernetesResourceBuilder().withApiVersion("v1").withKind("ConfigMap")
                .withNewMetadata().withName("settings").endMetadata().build();
        cm.setAdditionalProperty("data", Map.of("colour", "blue"));
        CacheTransform.apply(cm, false);
        assertThat(cm.getAdditionalProperties().get("data")).isEqualTo(Map.of("colour", "blue"));
        assertThat(cm.getMetadata().getAnnotations()).doesNotContainKey(CacheTransform.REDACTED_ANNOTATION);
    }
}
