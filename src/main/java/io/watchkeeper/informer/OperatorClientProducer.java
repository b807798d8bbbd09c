package io.watchkeeper.informer;

import jakarta.annotation.PreDestroy;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;

import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;

/**
 * The operator's KubernetesClient, as Quarkus would make it, plus the {@link RequestCounter}: the JOSDK controllers run
 * their informers with this client, and the hub adopts some of them, so their relists, watch restarts and refusals are
 * counted like those of the hub's own informers.
 */
@Singleton
public class OperatorClientProducer {

    private KubernetesClient client;

    @Produces
    @Singleton
    KubernetesClient kubernetesClient(KubernetesSerialization serialization, Config config, RequestCounter counter) {
        client = new KubernetesClientBuilder().withKubernetesSerialization(serialization).withConfig(config)
                .withHttpClientBuilderConsumer(b -> b.addOrReplaceInterceptor(RequestCounter.NAME, counter)).build();
        return client;
    }

    @PreDestroy
    void close() {
        if (client != null) {
            client.close();
        }
    }
}
