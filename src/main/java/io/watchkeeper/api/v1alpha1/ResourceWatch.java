package io.watchkeeper.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;

import io.fabric8.crd.generator.annotation.AdditionalPrinterColumn;
import io.fabric8.kubernetes.api.model.Namespaced;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.model.annotation.Group;
import io.fabric8.kubernetes.model.annotation.ShortNames;
import io.fabric8.kubernetes.model.annotation.Version;

/**
 * Watches one resource type in its own namespace, through a shared informer. The namespace boundary is a
 * security boundary: whoever may create a ResourceWatch in namespace A never reads namespace B through it.
 */
@AdditionalPrinterColumn(name = "Resource", jsonPath = ".spec.resource")
@AdditionalPrinterColumn(name = "Ready", jsonPath = ".status.conditions[?(@.type==\"Ready\")].status")
@AdditionalPrinterColumn(name = "Reason", jsonPath = ".status.conditions[?(@.type==\"Ready\")].reason")
@AdditionalPrinterColumn(name = "Items", jsonPath = ".status.informer.items", type = AdditionalPrinterColumn.Type.INTEGER)
@AdditionalPrinterColumn(name = "Consumers", jsonPath = ".status.informer.consumers", type = AdditionalPrinterColumn.Type.INTEGER, priority = 1)
@AdditionalPrinterColumn(name = "Age", jsonPath = ".metadata.creationTimestamp", type = AdditionalPrinterColumn.Type.DATE)
@Group(WatchKinds.GROUP)
@Version(WatchKinds.VERSION)
@ShortNames("rw")
public class ResourceWatch extends CustomResource<ResourceWatchSpec, WatchStatus> implements Namespaced {

    @Override
    @JsonPropertyDescription("What to watch: the resource and which of its objects.")
    public ResourceWatchSpec getSpec() {
        return super.getSpec();
    }

    @Override
    @JsonPropertyDescription("What the operator made of the spec: the resolved resource, the shared informer, conditions.")
    public WatchStatus getStatus() {
        return super.getStatus();
    }
}
