package io.watchkeeper.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;

/** Status view of what the watch's {@code spec.resource} resolved to through API discovery. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class ResolvedResource {

    @JsonPropertyDescription("API group; absent for the core group.")
    @JsonInclude(JsonInclude.Include.NON_EMPTY)
    private String group;
    @JsonPropertyDescription("API version: the group's preferred version unless spec.resource named one.")
    private String version;
    @JsonPropertyDescription("Plural resource name, as used in API paths.")
    private String resource;
    @JsonPropertyDescription("Kind of the objects.")
    private String kind;
    @JsonPropertyDescription("Whether the resource is namespaced.")
    private Boolean namespaced;

    public ResolvedResource() {
    }

    public ResolvedResource(String group, String version, String resource, String kind, boolean namespaced) {
        this.group = group;
        this.version = version;
        this.resource = resource;
        this.kind = kind;
        this.namespaced = namespaced;
    }

    public String getGroup() {
        return group;
    }

    public void setGroup(String group) {
        this.group = group;
    }

    public String getVersion() {
        return version;
    }

    public void setVersion(String version) {
        this.version = version;
    }

    public String getResource() {
        return resource;
    }

    public void setResource(String resource) {
        this.resource = resource;
    }

    public String getKind() {
        return kind;
    }

    public void setKind(String kind) {
        this.kind = kind;
    }

    public Boolean getNamespaced() {
        return namespaced;
    }

    public void setNamespaced(Boolean namespaced) {
        this.namespaced = namespaced;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ResolvedResource r && java.util.Objects.equals(group, r.group)
                && java.util.Objects.equals(version, r.version) && java.util.Objects.equals(resource, r.resource)
                && java.util.Objects.equals(kind, r.kind) && java.util.Objects.equals(namespaced, r.namespaced);
    }

    @Override
    public int hashCode() {
        return java.util.Objects.hash(group, version, resource, kind, namespaced);
    }
}
