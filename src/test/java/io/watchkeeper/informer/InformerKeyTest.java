package io.watchkeeper.informer;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

import io.watchkeeper.discovery.ApiResource;
import io.watchkeeper.informer.FieldSelectors.FieldSelector;

/** Which questions contain which: a cache of the container can answer the narrower one exactly. */
class InformerKeyTest {

    private static final ApiResource PODS = new ApiResource("", "v1", "pods", "Pod", true, "pod", java.util.List.of("po"),
            java.util.List.of("list", "watch"));

    @Test
    void shouldContainAQuestionOfTheSameResourceInOneOfItsNamespacesWithStrongerLabels() throws InvalidSelectorException {
        InformerKey all = key(null, "", "");
        assertThat(all.contains(key("shop", "", ""))).isTrue();
        assertThat(all.contains(key("shop", "app=web", ""))).isTrue();
        assertThat(key("shop", "", "").contains(key("shop", "app=web,tier in (a,b)", ""))).isTrue();
        assertThat(key(null, "app=web", "").contains(key("shop", "app=web,tier!=db", ""))).isTrue();
        assertThat(key(null, "tier in (a,b)", "").contains(key("shop", "app=web,tier in (b,a)", ""))).as("canonical in").isTrue();
        assertThat(key(null, "", "status.phase=Running").contains(key("shop", "app=web", "status.phase=Running"))).isTrue();
    }

    @Test
    void shouldNotContainWhatItsCacheCannotAnswerExactly() throws InvalidSelectorException {
        assertThat(key(null, "", "").contains(key(null, "", ""))).as("itself").isFalse();
        assertThat(key("shop", "", "").contains(key(null, "", ""))).as("wider namespaces").isFalse();
        assertThat(key("shop", "", "").contains(key("payments", "", ""))).as("another namespace").isFalse();
        assertThat(key(null, "app=web", "").contains(key("shop", "", ""))).as("a label the narrower one does not require").isFalse();
        assertThat(key(null, "app=web", "").contains(key("shop", "app in (web,db)", ""))).as("a weaker requirement").isFalse();
        assertThat(key(null, "", "").contains(key("shop", "", "status.phase=Running"))).as("field selectors: equal only").isFalse();
        assertThat(key(null, "", "status.phase=Running").contains(key("shop", "", ""))).isFalse();
        InformerKey otherVersion = new InformerKey("", "v2", "pods", "shop", "", "");
        assertThat(key(null, "", "").contains(otherVersion)).as("another version").isFalse();
    }

    private static InformerKey key(String namespace, String labels, String fields) throws InvalidSelectorException {
        return InformerKey.of(PODS, namespace, LabelSelectors.parse(labels), FieldSelectors.parse(fields));
    }
}
