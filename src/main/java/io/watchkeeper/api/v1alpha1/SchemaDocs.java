package io.watchkeeper.api.v1alpha1;

import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;

/**
 * Schema-only mirrors of fabric8's {@code LabelSelector} and {@code Condition}, so that every field of the generated
 * CRDs carries a description ({@code kubectl explain rw.spec.selector.matchExpressions}). The Java API keeps using
 * fabric8's types; these classes are never instantiated.
 */
final class SchemaDocs {

    private SchemaDocs() {
    }

    static final class LabelSelectorSchema {
        @JsonPropertyDescription("Requirements on labels, all of which must hold.")
        public List<RequirementSchema> matchExpressions;
        @JsonPropertyDescription("Labels an object must have with exactly these values (each entry is a requirement key In [value]).")
        public Map<String, String> matchLabels;
    }

    static final class RequirementSchema {
        @JsonPropertyDescription("The label key the requirement applies to.")
        public String key;
        @JsonPropertyDescription("In, NotIn, Exists or DoesNotExist.")
        public String operator;
        @JsonPropertyDescription("Values for In and NotIn (at least one); empty for Exists and DoesNotExist.")
        public List<String> values;
    }

    static final class ConditionSchema {
        @JsonPropertyDescription("Resolved (spec.resource is known to the API server) or Ready (the cache is synced and watching).")
        public String type;
        @JsonPropertyDescription("True, False or Unknown.")
        public String status;
        @JsonPropertyDescription("CamelCase reason, such as CacheSynced, Syncing, ResourceNotFound, AmbiguousResource, Forbidden, "
                + "InvalidLabelSelector, InvalidFieldSelector, FieldSelectorRejected, WatchFailing.")
        public String reason;
        @JsonPropertyDescription("What happened and what to do about it.")
        public String message;
        @JsonPropertyDescription("When the condition last changed status (RFC 3339).")
        public String lastTransitionTime;
        @JsonPropertyDescription("The metadata.generation the condition describes.")
        public Long observedGeneration;
    }
}
