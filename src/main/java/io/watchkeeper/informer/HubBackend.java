package io.watchkeeper.informer;

import java.util.stream.Stream;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.fabric8.kubernetes.client.informers.cache.Cache;

/** An informer the hub started itself, over generic objects, with the {@link TransformingItemStore}. */
record HubBackend(SharedIndexInformer<GenericKubernetesResource> informer, TransformingItemStore store) implements InformerBackend {

    @Override
    public boolean hasSynced() {
        return informer.hasSynced();
    }

    @Override
    public boolean isWatching() {
        return informer.isWatching();
    }

    @Override
    public String lastSyncResourceVersion() {
        return informer.lastSyncResourceVersion();
    }

    @Override
    public int size() {
        return store.size();
    }

    @Override
    public Stream<? extends HasMetadata> values() {
        return store.values();
    }

    @Override
    public HasMetadata get(String namespace, String name) {
        return store.get(namespace == null || namespace.isEmpty() ? name : Cache.namespaceKeyFunc(namespace, name));
    }

    @Override
    public boolean ownedByHub() {
        return true;
    }

    @Override
    public void stop() {
        informer.stop();
    }
}
