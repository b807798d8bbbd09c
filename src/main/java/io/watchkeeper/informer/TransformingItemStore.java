package io.watchkeeper.informer;

import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.informers.cache.Cache;
import io.fabric8.kubernetes.client.informers.cache.ItemStore;

/** The informer's item store: applies {@link CacheTransform} to every object on its way in. */
final class TransformingItemStore implements ItemStore<GenericKubernetesResource> {

    private final ConcurrentHashMap<String, GenericKubernetesResource> items = new ConcurrentHashMap<>();
    private final boolean secrets;

    TransformingItemStore(boolean secrets) {
        this.secrets = secrets;
    }

    @Override
    public String getKey(GenericKubernetesResource obj) {
        return Cache.metaNamespaceKeyFunc(obj);
    }

    @Override
    public GenericKubernetesResource put(String key, GenericKubernetesResource obj) {
        return items.put(key, CacheTransform.apply(obj, secrets));
    }

    @Override
    public GenericKubernetesResource remove(String key) {
        return items.remove(key);
    }

    @Override
    public Stream<String> keySet() {
        return items.keySet().stream();
    }

    @Override
    public Stream<GenericKubernetesResource> values() {
        return items.values().stream();
    }

    @Override
    public int size() {
        return items.size();
    }

    @Override
    public GenericKubernetesResource get(String key) {
        return items.get(key);
    }
}
