package io.watchkeeper.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;

/**
 * Fails when the committed CRDs (chart and manifests) or the plain manifests drift from what the build generates.
 * To update them after changing the Java types or the chart: {@code ./mvnw verify -DregenerateArtefacts=true}.
 */
class GeneratedArtefactsTest {

    private static final boolean REGENERATE = Boolean.getBoolean("regenerateArtefacts");
    private static final String HOW = "Run ./mvnw verify -DregenerateArtefacts=true and commit the result.";

    @Test
    void shouldMatchChartCrdsToGeneratedCrds() throws IOException {
        check(Artefacts.CHART.resolve("crds"), Artefacts.crds());
    }

    @Test
    void shouldMatchPlainManifestsToRenderedChart() throws IOException {
        check(Artefacts.MANIFESTS, Artefacts.manifests());
    }

    private static void check(Path dir, Map<String, String> expected) throws IOException {
        if (REGENERATE) {
            Files.createDirectories(dir);
            try (Stream<Path> old = Files.list(dir)) {
                for (Path p : old.toList()) {
                    Files.delete(p);
                }
            }
            for (Map.Entry<String, String> e : expected.entrySet()) {
                Files.writeString(dir.resolve(e.getKey()), e.getValue());
            }
        }
        try (Stream<Path> files = Files.list(dir)) {
            assertThat(files.map(p -> p.getFileName().toString()).sorted())
                    .as("files in %s. %s", dir, HOW).containsExactlyElementsOf(expected.keySet().stream().sorted().toList());
        }
        for (Map.Entry<String, String> e : expected.entrySet()) {
            assertThat(Files.readString(dir.resolve(e.getKey()))).as("%s/%s differs from the build's output. %s", dir, e.getKey(), HOW)
                    .isEqualTo(e.getValue());
        }
    }
}
