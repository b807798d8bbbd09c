package io.watchkeeper.api.v1alpha1;

import java.util.Objects;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;

/** Status view of the shared informer that serves a watch. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class InformerStatus {

    @JsonPropertyDescription("The question the informer answers: resource, namespace scope, label and field selector. "
            + "Watches with the same key share one informer and one watch connection.")
    private String key;
    @JsonPropertyDescription("How many consumers (watches of either kind, built-in reconcilers) share this informer. Refreshed at most every watchkeeper.status.counts-refresh-interval (30s by default).")
    private Integer consumers;
    @JsonPropertyDescription("Whether the informer's initial list has completed and its cache is current.")
    private Boolean synced;
    @JsonPropertyDescription("Objects in the informer's cache. Refreshed at most every watchkeeper.status.counts-refresh-interval (30s by default).")
    private Integer items;
    @JsonPropertyDescription("The key of the informer whose cache answers this question, when its question contains this one "
            + "(the same resource, all namespaces or the same one, no or a weaker label selector): this question then has no "
            + "list and no watch of its own. Absent when it lists and watches by itself.")
    private String servedFrom;

    public InformerStatus() {
    }

    public InformerStatus(String key, int consumers, boolean synced, int items) {
        this.key = key;
        this.consumers = consumers;
        this.synced = synced;
        this.items = items;
    }

    public String getKey() {
        return key;
    }

    public void setKey(String key) {
        this.key = key;
    }

    public Integer getConsumers() {
        return consumers;
    }

    public void setConsumers(Integer consumers) {
        this.consumers = consumers;
    }

    public Boolean getSynced() {
        return synced;
    }

    public void setSynced(Boolean synced) {
        this.synced = synced;
    }

    public String getServedFrom() {
        return servedFrom;
    }

    public void setServedFrom(String servedFrom) {
        this.servedFrom = servedFrom;
    }

    public Integer getItems() {
        return items;
    }

    public void setItems(Integer items) {
        this.items = items;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof InformerStatus s && Objects.equals(key, s.key) && Objects.equals(consumers, s.consumers)
                && Objects.equals(synced, s.synced) && Objects.equals(items, s.items)
                && Objects.equals(servedFrom, s.servedFrom);
    }

    @Override
    public int hashCode() {
        return Objects.hash(key, consumers, synced, items, servedFrom);
    }
}
