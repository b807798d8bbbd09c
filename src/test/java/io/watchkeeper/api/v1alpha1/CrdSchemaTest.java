package io.watchkeeper.api.v1alpha1;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.api.model.apiextensions.v1.JSONSchemaProps;
import io.fabric8.kubernetes.client.utils.Serialization;

/** {@code kubectl explain} has something to say about every field, and {@code kubectl get} useful columns. */
class CrdSchemaTest {

    @ParameterizedTest
    @ValueSource(strings = { "resourcewatches", "clusterresourcewatches" })
    void shouldDescribeEveryField(String plural) throws IOException {
        JSONSchemaProps schema = crd(plural).getSpec().getVersions().get(0).getSchema().getOpenAPIV3Schema();
        List<String> undocumented = new ArrayList<>();
        walk(schema, "", undocumented);
        assertThat(undocumented).isEmpty();
    }

    @ParameterizedTest
    @ValueSource(strings = { "resourcewatches", "clusterresourcewatches" })
    void shouldShowResourceReadyItemsAndAge(String plural) throws IOException {
        assertThat(crd(plural).getSpec().getVersions().get(0).getAdditionalPrinterColumns())
                .extracting(c -> c.getName()).contains("Resource", "Ready", "Reason", "Items", "Age");
    }

    private static void walk(JSONSchemaProps s, String path, List<String> undocumented) {
        for (Map.Entry<String, JSONSchemaProps> e : s.getProperties().entrySet()) {
            String p = path + "." + e.getKey();
            if (e.getValue().getDescription() == null || e.getValue().getDescription().isBlank()) {
                undocumented.add(p);
            }
            walk(e.getValue(), p, undocumented);
            if (e.getValue().getItems() != null && e.getValue().getItems().getSchema() != null) {
                walk(e.getValue().getItems().getSchema(), p + "[]", undocumented);
            }
        }
    }

    private static CustomResourceDefinition crd(String plural) throws IOException {
        try (InputStream in = Files.newInputStream(Path.of("target/kubernetes/" + plural + ".watchkeeper.io-v1.yml"))) {
            return Serialization.unmarshal(in, CustomResourceDefinition.class);
        }
    }
}
