package io.watchkeeper.informer;

import jakarta.annotation.PreDestroy;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;

import com.fasterxml.jackson.databind.ObjectMapper;

import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.quarkus.kubernetes.client.KubernetesClientObjectMapper;

/**
 * The operator's KubernetesClient, as Quarkus would make it, plus the {@link RequestCounter}: the JOSDK controllers run
 * their informers with this client, and the hub adopts some of them, so their relists, watch restarts and refusals are
 * counted like those of the hub's own informers. It skips {@code metadata.managedFields} while parsing
 * ({@link CacheTransform#serialization(ObjectMapper)}, on the mapper Quarkus gives kubernetes clients): about half of a
 * typical object, which the controllers' caches drop anyway, so a controller's informer syncs as fast as the hub's; and a
 * controller's first list of pods is read from the watch cache as it arrives, as a hub informer's ({@link FirstLists}).
 */
@Singleton
public class OperatorClientProducer {

    private KubernetesClient client;

    @Produces
    @Singleton
    KubernetesClient kubernetesClient(@KubernetesClientObjectMapper ObjectMapper mapper, Config config, RequestCounter counter,
            FirstLists firstLists) {
        client = new KubernetesClientBuilder().withKubernetesSerialization(CacheTransform.serialization(mapper)).withConfig(config)
                .withHttpClientBuilderConsumer(b -> b.addOrReplaceInterceptor(RequestCounter.NAME, counter)).build();
        FirstLists.install(client, firstLists);
        return client;
    }

    @PreDestroy
    void close() {
        if (client != null) {
            client.close();
        }
    }
}
