package io.watchkeeper.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.util.List;
import java.util.function.Predicate;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * The API server's audit log of the operator's requests: what the operator did, seen from the API server. A watch
 * shows as {@code ResponseStarted} when it opens and {@code ResponseComplete} when it closes.
 */
public final class AuditLog {

    private static final ObjectMapper JSON = new ObjectMapper();

    private AuditLog() {
    }

    public static List<JsonNode> entries(Predicate<JsonNode> filter) {
        try {
            return Files.readAllLines(TestCluster.controlPlane().auditLog()).stream().filter(l -> !l.isBlank()).map(AuditLog::parse)
                    .filter(filter).toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Watch requests for {@code path} (e.g. /api/v1/namespaces/ns/pods) whose query contains {@code query}. */
    public static Predicate<JsonNode> watchOf(String path, String query) {
        return e -> "watch".equals(e.path("verb").asText()) && uriMatches(e, path, query);
    }

    public static Predicate<JsonNode> listOf(String path, String query) {
        return e -> "list".equals(e.path("verb").asText()) && uriMatches(e, path, query);
    }

    public static Predicate<JsonNode> stage(String stage) {
        return e -> stage.equals(e.path("stage").asText());
    }

    /** An entry's request URI, decoded. */
    public static String uri(JsonNode e) {
        return java.net.URLDecoder.decode(e.path("requestURI").asText(), java.nio.charset.StandardCharsets.UTF_8);
    }

    private static boolean uriMatches(JsonNode e, String path, String query) {
        String uri = uri(e);
        int q = uri.indexOf('?');
        String p = q < 0 ? uri : uri.substring(0, q);
        return p.equals(path) && (query == null || (q >= 0 && uri.substring(q).contains(query)));
    }

    private static JsonNode parse(String line) {
        try {
            return JSON.readTree(line);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
