package io.watchkeeper.leader;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.watchkeeper.config.WatchkeeperConfig;

/** The follower's shadow over a fake primary cache, with a Leadership that is told by hand when it is elected. */
class FollowerShadowTest {

    private static final Duration WAIT = Duration.ofSeconds(10);

    private final Map<ResourceID, ConfigMap> cache = new ConcurrentHashMap<>();
    private final List<String> judged = new CopyOnWriteArrayList<>();
    private final List<String> forgotten = new CopyOnWriteArrayList<>();
    private final Leadership leadership = new Leadership(null, settings(), true);
    private FollowerShadow<ConfigMap> shadow;

    @AfterEach
    void stop() {
        if (shadow != null) {
            shadow.stop();
        }
    }

    @Test
    void shouldJudgeWhatTheInformerListedBeforeTheSourceWasStarted() {
        shadow = shadow(c -> Optional.empty());
        // JOSDK's controller informer broadcasts its initial adds before it starts the other event sources
        shadow.onResourceCreated(put("a"));
        shadow.onResourceCreated(put("b"));

        await().atMost(WAIT).untilAsserted(() -> assertThat(judged).containsExactly("a", "b"));
    }

    @Test
    void shouldJudgeAgainWhenTheJudgeAsksAndForgetWhatWasDeletedMeanwhile() {
        shadow = shadow(c -> judged.size() < 3 ? Optional.of(Duration.ofMillis(20)) : Optional.empty());
        shadow.onResourceCreated(put("a"));
        await().atMost(WAIT).untilAsserted(() -> assertThat(judged).containsExactly("a", "a", "a"));

        // deleted while it was judged: what the judge recorded is forgotten
        shadow = shadow(c -> {
            cache.remove(ResourceID.fromResource(c));
            return Optional.empty();
        });
        shadow.onResourceCreated(put("b"));
        await().atMost(WAIT).untilAsserted(() -> assertThat(forgotten).containsExactly("b"));
    }

    @Test
    void shouldFinishTheJudgementInHandBeforeTheReplicaLeadsAndThenDoNothing() throws Exception {
        CountDownLatch judging = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        shadow = shadow(c -> {
            judging.countDown();
            awaitLatch(release);
            judged.add("end of " + c.getMetadata().getName());
            return Optional.empty();
        });
        shadow.onResourceCreated(put("slow"));
        assertThat(judging.await(WAIT.toSeconds(), TimeUnit.SECONDS)).isTrue();

        Thread elected = new Thread(() -> {
            leadership.startedLeading();
            judged.add("elected");
        });
        elected.start();
        release.countDown();
        elected.join(WAIT.toMillis());

        assertThat(judged).containsExactly("slow", "end of slow", "elected");
        assertThat(leadership.isFollowing()).isFalse();
        // the leader's reconciler works now: a change is not judged here
        shadow.onResourceUpdated(put("slow"), cache.get(new ResourceID("slow", "ns")));
        shadow.trigger(new ResourceID("slow", "ns"));
        assertThat(leadership.isLeader()).isTrue();
        assertThat(judged).containsExactly("slow", "end of slow", "elected");
    }

    private FollowerShadow<ConfigMap> shadow(java.util.function.Function<ConfigMap, Optional<Duration>> then) {
        if (shadow != null) {
            shadow.stop();
        }
        return new FollowerShadow<>("test", leadership, id -> Optional.ofNullable(cache.get(id)), c -> {
            judged.add(c.getMetadata().getName());
            return then.apply(c);
        }, c -> forgotten.add(c.getMetadata().getName()));
    }

    private ConfigMap put(String name) {
        ConfigMap c = new ConfigMapBuilder().withNewMetadata().withNamespace("ns").withName(name).endMetadata().build();
        cache.put(ResourceID.fromResource(c), c);
        return c;
    }

    private static void awaitLatch(CountDownLatch latch) {
        try {
            latch.await(WAIT.toSeconds(), TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static WatchkeeperConfig.LeaderElection settings() {
        return new WatchkeeperConfig.LeaderElection() {
            @Override
            public boolean enabled() {
                return true;
            }

            @Override
            public String leaseName() {
                return "test-leader";
            }

            @Override
            public Optional<String> leaseNamespace() {
                return Optional.empty();
            }

            @Override
            public Duration leaseDuration() {
                return Duration.ofSeconds(15);
            }

            @Override
            public Duration renewDeadline() {
                return Duration.ofSeconds(10);
            }

            @Override
            public Duration retryPeriod() {
                return Duration.ofMillis(500);
            }
        };
    }
}
