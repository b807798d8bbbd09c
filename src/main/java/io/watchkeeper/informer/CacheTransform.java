package io.watchkeeper.informer;

import java.util.LinkedHashMap;
import java.util.Map;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;

/**
 * What happens to an object before it enters a cache: {@code metadata.managedFields} is dropped (about half of a
 * typical object, and useless to readers) and Secret values are redacted (keys stay; values become empty strings),
 * so no cache read, stream or log can leak them. Works in place on the freshly decoded object the watch hands over,
 * so the event handlers see the same transformed object as the cache.
 */
public final class CacheTransform {

    static final String REDACTED_ANNOTATION = "watchkeeper.io/redacted";

    private CacheTransform() {
    }

    public static GenericKubernetesResource apply(GenericKubernetesResource obj, boolean secret) {
        if (obj.getMetadata() != null) {
            obj.getMetadata().setManagedFields(null);
        }
        if (secret) {
            boolean redacted = redact(obj.getAdditionalProperties(), "data") | redact(obj.getAdditionalProperties(), "stringData");
            if (redacted && obj.getMetadata() != null) {
                Map<String, String> annotations = obj.getMetadata().getAnnotations() == null ? new LinkedHashMap<>()
                        : new LinkedHashMap<>(obj.getMetadata().getAnnotations());
                annotations.put(REDACTED_ANNOTATION, "data,stringData");
                obj.getMetadata().setAnnotations(annotations);
            }
        }
        return obj;
    }

    private static boolean redact(Map<String, Object> props, String field) {
        if (props != null && props.get(field) instanceof Map<?, ?> values && !values.isEmpty()) {
            Map<String, Object> blank = new LinkedHashMap<>();
            values.keySet().forEach(k -> blank.put(String.valueOf(k), ""));
            props.put(field, blank);
            return true;
        }
        return false;
    }
}
