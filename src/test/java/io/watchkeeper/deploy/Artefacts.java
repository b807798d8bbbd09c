package io.watchkeeper.deploy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import com.marcnuri.helm.Helm;

/**
 * What the build generates for users: the chart's {@code crds/} (copied from the CRDs QOSDK generates from the Java
 * types) and the plain manifests in {@code kubernetes/} (the chart rendered with its default values, one numbered
 * file per template). {@link GeneratedArtefactsTest} fails when the committed copies drift from these.
 */
final class Artefacts {

    static final Path CHART = Path.of("helm/watchkeeper");
    static final Path MANIFESTS = Path.of("kubernetes");
    static final String RELEASE = "watchkeeper";
    static final String NAMESPACE = "watchkeeper";
    private static final Map<String, String> ORDER = Map.of("serviceaccount.yaml", "02-serviceaccount.yaml",
            "rbac.yaml", "03-rbac.yaml", "deployment.yaml", "04-deployment.yaml", "service.yaml", "05-service.yaml",
            "poddisruptionbudget.yaml", "06-poddisruptionbudget.yaml");
    private static final Pattern SOURCE = Pattern.compile("(?m)^# Source: watchkeeper/templates/(\\S+)\\n");

    private Artefacts() {
    }

    /** Chart CRDs: file name → content. */
    static Map<String, String> crds() throws IOException {
        Map<String, String> out = new LinkedHashMap<>();
        for (String plural : new String[] { "resourcewatches", "clusterresourcewatches" }) {
            Path generated = Path.of("target/kubernetes/" + plural + ".watchkeeper.io-v1.yml");
            out.put(plural + ".watchkeeper.io.yaml", Files.readString(generated));
        }
        return out;
    }

    /** Plain manifests: file name → content. */
    static Map<String, String> manifests() throws IOException {
        Map<String, String> out = new LinkedHashMap<>();
        out.put("00-namespace.yaml", """
                # Generated from helm/watchkeeper by GeneratedArtefactsTest; do not edit.
                apiVersion: v1
                kind: Namespace
                metadata:
                  name: %s
                """.formatted(NAMESPACE));
        for (Map.Entry<String, String> crd : crds().entrySet()) {
            out.put("01-crd-" + crd.getKey(), crd.getValue());
        }
        String rendered = new Helm(CHART).template().withName(RELEASE).withNamespace(NAMESPACE).skipCrds().call();
        Matcher m = SOURCE.matcher(rendered);
        int start = -1;
        String file = null;
        while (true) {
            boolean found = m.find();
            if (file != null) {
                String body = rendered.substring(start, found ? m.start() : rendered.length()).replaceAll("(?m)^---\\s*$\\n?", "").strip();
                String name = ORDER.get(file);
                if (name == null) {
                    throw new IllegalStateException("templates/" + file + " has no place in kubernetes/: add it to Artefacts.ORDER");
                }
                String previous = out.getOrDefault(name, "# Generated from helm/watchkeeper by GeneratedArtefactsTest; do not edit.\n");
                out.put(name, previous + "---\n" + body + "\n");
            }
            if (!found) {
                break;
            }
            file = m.group(1);
            start = m.end();
        }
        return out;
    }

    /**
     * kubernetes/ as the test bed's Kubernetes 1.20 takes it: its PodDisruptionBudget as policy/v1beta1, which 1.20 serves
     * (policy/v1 came with 1.21, and the committed manifests are for current clusters). Everything else as committed.
     */
    static Path manifestsForTheTestBed() throws IOException {
        Path dir = Files.createTempDirectory("manifests-1.20-");
        try (var files = Files.list(MANIFESTS)) {
            for (Path f : files.toList()) {
                String body = Files.readString(f);
                if (f.getFileName().toString().equals("06-poddisruptionbudget.yaml")) {
                    body = body.replace("apiVersion: policy/v1\n", "apiVersion: policy/v1beta1\n");
                }
                Files.writeString(dir.resolve(f.getFileName()), body);
            }
        }
        return dir;
    }
}
