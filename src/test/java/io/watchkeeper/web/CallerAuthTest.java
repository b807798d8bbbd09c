package io.watchkeeper.web;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

import org.junit.jupiter.api.Test;

import com.sun.net.httpserver.HttpServer;

import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.smallrye.config.SmallRyeConfigBuilder;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
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

    /**
     * An event loop never waits for the API server: a token not decided lately sends the read to a worker thread
     * ({@link WorkerNeeded}) without a review; once a worker has asked, the event loop answers from that decision.
     */
    @Test
    void shouldNeverAskTheApiServerFromAnEventLoop() throws Exception {
        AtomicInteger reviews = new AtomicInteger();
        HttpServer api = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        api.createContext("/apis/authentication.k8s.io/v1/tokenreviews", exchange -> {
            reviews.incrementAndGet();
            byte[] body = ("{\"apiVersion\":\"authentication.k8s.io/v1\",\"kind\":\"TokenReview\",\"status\":{\"authenticated\":true,"
                    + "\"user\":{\"username\":\"alice\",\"uid\":\"1\",\"groups\":[\"dev\"]}}}").getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().add("Content-Type", "application/json");
            exchange.sendResponseHeaders(201, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        api.start();
        Vertx vertx = Vertx.vertx();
        try (KubernetesClient client = new KubernetesClientBuilder().withConfig(new io.fabric8.kubernetes.client.ConfigBuilder(Config.empty())
                .withMasterUrl("http://127.0.0.1:" + api.getAddress().getPort()).build()).build()) {
            CallerAuth auth = new CallerAuth(client, config(null));

            CompletableFuture<Object> first = onEventLoop(vertx, () -> auth.authenticate("Bearer t0ken", "10.0.0.1"));
            assertThat(first).failsWithin(Duration.ofSeconds(10)).withThrowableOfType(ExecutionException.class)
                    .withCauseInstanceOf(WorkerNeeded.class);
            assertThat(reviews).as("nothing asked from the event loop").hasValue(0);

            assertThat(auth.authenticate("Bearer t0ken", "10.0.0.1").user()).as("a worker asks").isEqualTo("alice");
            assertThat(reviews).hasValue(1);

            assertThat(onEventLoop(vertx, () -> auth.authenticate("Bearer t0ken", "10.0.0.1").user())).as("then the event loop answers")
                    .succeedsWithin(Duration.ofSeconds(10)).isEqualTo("alice");
            assertThat(reviews).hasValue(1);
            auth.close();
        } finally {
            vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
            api.stop(0);
        }
    }

    private static CompletableFuture<Object> onEventLoop(Vertx vertx, Supplier<Object> work) {
        CompletableFuture<Object> done = new CompletableFuture<>();
        vertx.runOnContext(v -> {
            assertThat(Context.isOnEventLoopThread()).isTrue();
            try {
                done.complete(work.get());
            } catch (RuntimeException | Error e) {
                done.completeExceptionally(e);
            }
        });
        return done;
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
