package io.watchkeeper.api.v1alpha1;

import java.util.ArrayList;
import java.util.List;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;

import io.fabric8.crd.generator.annotation.SchemaFrom;
import io.fabric8.generator.annotation.Nullable;
import io.fabric8.kubernetes.api.model.Condition;

/**
 * Status shared by {@link ResourceWatch} and {@link ClusterResourceWatch}. Fields that can go away are nullable in the
 * schema: Kubernetes 1.20's server-side apply leaves a removed field as null rather than deleting it.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class WatchStatus {

    @JsonPropertyDescription("The metadata.generation this status describes.")
    private Long observedGeneration;

    @JsonPropertyDescription("What spec.resource resolved to through API discovery.")
    @Nullable
    private ResolvedResource resolved;

    @JsonPropertyDescription("The shared informer serving this watch. For a ClusterResourceWatch over several namespaces: "
            + "a summary (synced when all are synced, items summed, consumers the lowest count).")
    @Nullable
    private InformerStatus informer;

    @JsonPropertyDescription("One entry per namespace when a ClusterResourceWatch names several namespaces.")
    @Nullable
    private List<InformerStatus> informers;

    @JsonPropertyDescription("Conditions: Resolved (spec.resource is known to the API server) and Ready (the cache is synced and watching).")
    @SchemaFrom(type = SchemaDocs.ConditionSchema[].class)
    private List<Condition> conditions = new ArrayList<>();

    public Long getObservedGeneration() {
        return observedGeneration;
    }

    public void setObservedGeneration(Long observedGeneration) {
        this.observedGeneration = observedGeneration;
    }

    public ResolvedResource getResolved() {
        return resolved;
    }

    public void setResolved(ResolvedResource resolved) {
        this.resolved = resolved;
    }

    public InformerStatus getInformer() {
        return informer;
    }

    public void setInformer(InformerStatus informer) {
        this.informer = informer;
    }

    public List<InformerStatus> getInformers() {
        return informers;
    }

    public void setInformers(List<InformerStatus> informers) {
        this.informers = informers;
    }

    public List<Condition> getConditions() {
        return conditions;
    }

    public void setConditions(List<Condition> conditions) {
        this.conditions = conditions == null ? new ArrayList<>() : conditions;
    }
}
