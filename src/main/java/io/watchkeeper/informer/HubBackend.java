package io.watchkeeper.informer;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;

/** An informer the hub started itself, over generic objects, filling a {@link Timeline.Source}. */
record HubBackend(SharedIndexInformer<GenericKubernetesResource> informer, Timeline.Source<GenericKubernetesResource> source)
        implements InformerBackend {

    @Override
    public boolean isWatching() {
        return informer.isWatching();
    }

    @Override
    public java.util.concurrent.CompletableFuture<Void> start() {
        return informer.start().toCompletableFuture();
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
