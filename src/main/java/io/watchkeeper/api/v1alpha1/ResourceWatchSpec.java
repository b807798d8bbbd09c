package io.watchkeeper.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;

import io.fabric8.crd.generator.annotation.SchemaFrom;
import io.fabric8.generator.annotation.Required;
import io.fabric8.kubernetes.api.model.LabelSelector;

/** What a {@link ResourceWatch} watches: one resource type in the watch's own namespace. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class ResourceWatchSpec {

    @Required
    @JsonPropertyDescription("The resource to watch, in any form kubectl accepts: plural (pods), singular (pod), "
            + "short name (po), kind (Pod, case-insensitive), resource.group (deployments.apps), "
            + "group/version/resource (apps/v1/deployments) or version/resource for the core group (v1/pods). "
            + "Without a version, the group's preferred version is used.")
    private String resource;

    @JsonPropertyDescription("Only objects whose labels match this standard label selector. Empty or absent: all objects.")
    @SchemaFrom(type = SchemaDocs.LabelSelectorSchema.class)
    private LabelSelector selector;

    @JsonPropertyDescription("Only objects matching this field selector, passed to the API server "
            + "(for example status.phase!=Succeeded,metadata.name=web). Supports =, == and != terms separated by commas.")
    private String fieldSelector;

    public String getResource() {
        return resource;
    }

    public void setResource(String resource) {
        this.resource = resource;
    }

    public LabelSelector getSelector() {
        return selector;
    }

    public void setSelector(LabelSelector selector) {
        this.selector = selector;
    }

    public String getFieldSelector() {
        return fieldSelector;
    }

    public void setFieldSelector(String fieldSelector) {
        this.fieldSelector = fieldSelector;
    }
}
