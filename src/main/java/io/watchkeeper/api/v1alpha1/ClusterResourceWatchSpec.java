package io.watchkeeper.api.v1alpha1;

import java.util.ArrayList;
import java.util.List;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;

/** A {@link ResourceWatchSpec} that may reach beyond one namespace. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class ClusterResourceWatchSpec extends ResourceWatchSpec {

    @JsonPropertyDescription("Namespaces to watch. Empty or absent: all namespaces. Ignored for cluster-scoped resources.")
    private List<String> namespaces = new ArrayList<>();

    public List<String> getNamespaces() {
        return namespaces;
    }

    public void setNamespaces(List<String> namespaces) {
        this.namespaces = namespaces == null ? new ArrayList<>() : namespaces;
    }
}
