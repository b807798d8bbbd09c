package io.watchkeeper.informer;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectReader;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;

/**
 * What happens to an object before it enters a cache: {@code metadata.managedFields} is dropped (about half of a
 * typical object, and useless to readers) and Secret values are redacted, so no cache read, stream, replay or log can
 * leak them. A Secret's {@code data} and {@code stringData} keep their keys with empty values; its annotations that
 * carry a copy of the values are emptied too: {@code kubectl.kubernetes.io/last-applied-configuration} always (kubectl
 * apply copies the whole object into it), and any other annotation whose value contains one of the Secret's values
 * (as it is, base64-decoded, or escaped as inside a JSON string). Labels are not searched (at most 63 characters, and
 * what selectors match).
 * Works in place on the freshly decoded object, so every reader sees the same transformed object as the cache.
 */
public final class CacheTransform {

    static final String REDACTED_ANNOTATION = "watchkeeper.io/redacted";
    static final String LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration";
    /** Values shorter than this are not looked for in annotations: too likely to occur by chance. */
    private static final int SHORTEST_SEARCHED_VALUE = 4;

    private CacheTransform() {
    }

    /**
     * The serialization of the hub's client: {@code metadata.managedFields}, which a cache drops anyway, is skipped
     * while an object is read instead of being built first (it is about half of a typical object's JSON), and skipped
     * by scanning bytes where a response is read as bytes ({@link SkippingJsonFactory}: lists, objects).
     */
    public static KubernetesSerialization serialization() {
        return serializationOver(new ObjectMapper(new SkippingJsonFactory()));
    }

    /**
     * The same, on a copy of {@code base} (the application's mapper, with its modules and settings): for the operator's
     * client, whose reads feed the built-in controllers' caches (which drop {@code managedFields}) and whose writes never
     * send them (status patches and Events are built, not read back). Nothing in the operator reads managed fields.
     */
    public static KubernetesSerialization serialization(ObjectMapper base) {
        // copyWith is for ObjectMapper itself; a subclass (JsonMapper) keeps its own factory, and Jackson's skip
        return serializationOver(base.getClass() == ObjectMapper.class ? base.copyWith(new SkippingJsonFactory(base.getFactory())) : base.copy());
    }

    /**
     * A reader of one object of {@code type} as {@link #serialization()} parses it, for lists read item by item: its
     * parsers of byte streams skip {@code managedFields} by scanning bytes ({@link SkippingJsonFactory}).
     */
    static ObjectReader reader(Class<?> type) {
        ObjectMapper mapper = new ObjectMapper(new SkippingJsonFactory());
        serializationOver(mapper); // configures the mapper as a client's
        return mapper.readerFor(type);
    }

    /** A client's serialization over {@code mapper}, which it configures: without managedFields. */
    private static KubernetesSerialization serializationOver(ObjectMapper mapper) {
        mapper.addMixIn(ObjectMeta.class, WithoutManagedFields.class);
        return new KubernetesSerialization(mapper, true);
    }

    @JsonIgnoreProperties(value = "managedFields", allowGetters = false)
    private abstract static class WithoutManagedFields {
    }

    public static GenericKubernetesResource apply(GenericKubernetesResource obj, boolean secret) {
        strip(obj);
        if (secret) {
            redactSecret(obj);
        }
        return obj;
    }

    /** Drops {@code metadata.managedFields}: for typed objects (the built-in controllers' pods and services). */
    public static <T extends HasMetadata> T strip(T obj) {
        if (obj.getMetadata() != null) {
            obj.getMetadata().setManagedFields(null);
        }
        return obj;
    }

    private static void redactSecret(GenericKubernetesResource obj) {
        Map<String, Object> props = obj.getAdditionalProperties();
        Set<String> values = new HashSet<>();
        List<String> redacted = new ArrayList<>();
        if (redact(props, "data", values, true)) {
            redacted.add("data");
        }
        if (redact(props, "stringData", values, false)) {
            redacted.add("stringData");
        }
        Map<String, String> annotations = obj.getMetadata() == null || obj.getMetadata().getAnnotations() == null ? null
                : new LinkedHashMap<>(obj.getMetadata().getAnnotations());
        if (annotations != null) {
            java.util.SortedSet<String> emptied = new java.util.TreeSet<>();
            for (Map.Entry<String, String> a : annotations.entrySet()) {
                String v = a.getValue();
                if (v != null && !v.isEmpty() && !a.getKey().equals(REDACTED_ANNOTATION)
                        && (a.getKey().equals(LAST_APPLIED) || values.stream().anyMatch(v::contains))) {
                    a.setValue("");
                    emptied.add(a.getKey());
                }
            }
            emptied.forEach(k -> redacted.add("annotations[" + k + "]"));
        }
        if (!redacted.isEmpty() && obj.getMetadata() != null) {
            if (annotations == null) {
                annotations = new LinkedHashMap<>();
            }
            annotations.put(REDACTED_ANNOTATION, String.join(",", redacted));
            obj.getMetadata().setAnnotations(annotations);
        }
    }

    /** Empties the values under {@code field}, remembering them (and, for base64 data, their decoded form). */
    private static boolean redact(Map<String, Object> props, String field, Set<String> values, boolean base64) {
        if (props == null || !(props.get(field) instanceof Map<?, ?> found) || found.isEmpty()) {
            return false;
        }
        Map<String, Object> blank = new LinkedHashMap<>();
        found.forEach((k, v) -> {
            blank.put(String.valueOf(k), "");
            if (v instanceof String s) {
                remember(values, s);
                if (base64) {
                    try {
                        remember(values, new String(Base64.getDecoder().decode(s), StandardCharsets.UTF_8));
                    } catch (IllegalArgumentException e) {
                        // not base64 after all: the value itself was remembered
                    }
                }
            }
        });
        props.put(field, blank);
        return true;
    }

    /** The value, and the value as it reads inside a JSON string (a multi-line PEM, say, copied into an annotation). */
    private static void remember(Set<String> values, String v) {
        if (v.length() >= SHORTEST_SEARCHED_VALUE) {
            values.add(v);
            values.add(new String(com.fasterxml.jackson.core.io.JsonStringEncoder.getInstance().quoteAsString(v)));
        }
    }
}
