package io.watchkeeper.web;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.smallrye.config.SmallRyeConfigBuilder;
import io.watchkeeper.config.WatchkeeperConfig;

/** Auth is off only with the embedded demo cluster: never by a profile, never against a real cluster. */
class CallerAuthTest {

    private static WatchkeeperConfig config(String auth) {
        SmallRyeConfigBuilder b = new SmallRyeConfigBuilder().withMapping(WatchkeeperConfig.class)
                .withConverter(java.time.Duration.class, 200, new io.quarkus.runtime.configuration.DurationConverter())
                .withConverter(io.quarkus.runtime.configuration.MemorySize.class, 200, new io.quarkus.runtime.configuration.MemorySizeConverter());
        if (auth != null) {
            b.withDefaultValue("watchkeeper.api.auth", auth);
        }
        return b.build().getConfigMapping(WatchkeeperConfig.class);
    }

    private static KubernetesClient client() {
        return new KubernetesClientBuilder().withConfig(new io.fabric8.kubernetes.client.ConfigBuilder(Config.empty())
                .withMasterUrl("https://127.0.0.1:1").build()).build();
    }

    @Test
    void shouldRefuseToStartWithAuthOffAgainstARealCluster() {
        try (KubernetesClient client = client()) {
            assertThatThrownBy(() -> new CallerAuth(client, config("none"))).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("embedded demo cluster").hasMessageContaining("watchkeeper.api.auth");
        }
    }

    @Test
    void shouldCheckTokensByDefaultAgainstARealCluster() {
        try (KubernetesClient client = client()) {
            CallerAuth auth = new CallerAuth(client, config(null));
            assertThat(auth.enabled()).isTrue();
            auth.close();
        }
    }
}
