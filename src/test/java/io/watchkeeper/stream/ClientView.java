package io.watchkeeper.stream;

import java.util.HashMap;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * What a stream client holds, as the README tells clients to keep it: uid to resourceVersion, replaced by a SNAPSHOT,
 * changed by ADDED, MODIFIED and DELETED. Tests compare it with a fresh LIST from the API server.
 */
final class ClientView {

    private final Map<String, String> objects = new HashMap<>();

    /** Applies one message; @return its type. */
    String apply(JsonNode m) {
        String type = m.path("type").asText();
        switch (type) {
            case "SNAPSHOT" -> {
                objects.clear();
                m.path("items").forEach(o -> objects.put(uid(o), rv(o)));
            }
            case "ADDED", "MODIFIED" -> objects.put(uid(m.path("object")), rv(m.path("object")));
            case "DELETED" -> objects.remove(uid(m.path("object")));
            default -> {
            }
        }
        return type;
    }

    /** uid to resourceVersion, a copy. */
    Map<String, String> objects() {
        return new HashMap<>(objects);
    }

    /** Goes back to what the client held at an earlier position. */
    void restore(Map<String, String> earlier) {
        objects.clear();
        objects.putAll(earlier);
    }

    private static String uid(JsonNode o) {
        return o.path("metadata").path("uid").asText();
    }

    private static String rv(JsonNode o) {
        return o.path("metadata").path("resourceVersion").asText();
    }
}
