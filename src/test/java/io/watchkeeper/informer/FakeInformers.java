package io.watchkeeper.informer;

import java.time.Clock;
import java.util.List;
import java.util.function.UnaryOperator;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.watchkeeper.discovery.ApiResource;
import io.watchkeeper.informer.FieldSelectors.FieldSelector;
import io.watchkeeper.informer.LabelSelectors.Selector;

/** Shared informers without fabric8 behind them, for tests of what consumes them: a test drives their sources. */
public final class FakeInformers {

    public static final ApiResource CONFIGMAPS = new ApiResource("", "v1", "configmaps", "ConfigMap", true, "configmap", List.of("cm"),
            List.of("list", "watch"));

    private FakeInformers() {
    }

    /**
     * A shared informer for config maps in {@code namespace}, with nothing behind it yet, whose replay buffer holds
     * {@code changes} changes of a small config map (name and resourceVersion of a few characters, no data).
     */
    public static SharedInformer informer(String namespace, int changes) {
        return new SharedInformer(InformerKey.of(CONFIGMAPS, namespace, Selector.EVERYTHING, FieldSelector.EVERYTHING), CONFIGMAPS,
                Clock.systemUTC(), new InformerMetrics(new SimpleMeterRegistry()), budget(changes));
    }

    /** A replay budget of {@code changes} changes of a small config map, kept a minute after the last follower. */
    public static Timeline.Budget budget(int changes) {
        HasMetadata typical = new io.fabric8.kubernetes.api.model.ConfigMapBuilder().withNewMetadata().withNamespace("ns")
                .withName("n0").withResourceVersion("20").endMetadata().build();
        long each = new io.fabric8.kubernetes.client.utils.KubernetesSerialization().asJson(typical).length() + Timeline.CHANGE_OVERHEAD;
        return new Timeline.Budget(changes * each, java.time.Duration.ofMinutes(1));
    }

    /** What a change to {@code object} counts against a replay budget. */
    public static long changeBytes(HasMetadata object) {
        return new Timeline.Change("MODIFIED", 0, Timeline.json(object)).bytes();
    }

    /** A new backend for {@code informer}, whose store the test fills; attached (so the old one, if any, is replaced). */
    public static Timeline.Source<HasMetadata> newBackend(SharedInformer informer) {
        Timeline.Source<HasMetadata> source = informer.timeline().newSource(UnaryOperator.identity());
        informer.attach(new Backend(source, true), null);
        return source;
    }

    /** A backend that is only a store. */
    record Backend(Timeline.Source<?> source, boolean ownedByHub) implements InformerBackend {
        @Override
        public boolean isWatching() {
            return true;
        }

        @Override
        public void stop() {
        }
    }
}
