package io.watchkeeper.informer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import io.fabric8.kubernetes.api.model.LabelSelectorBuilder;
import io.fabric8.kubernetes.api.model.LabelSelectorRequirementBuilder;

class SelectorsTest {

    @Test
    void shouldGiveTheSameCanonicalFormToSelectorsThatMeanTheSame() throws InvalidSelectorException {
        var a = LabelSelectors.of(new LabelSelectorBuilder().withMatchLabels(Map.of("tier", "web", "app", "shop"))
                .withMatchExpressions(new LabelSelectorRequirementBuilder().withKey("env").withOperator("In").withValues("prod", "dev").build())
                .build());
        var b = LabelSelectors.parse("env in (dev, prod),app=shop,tier==web");
        assertThat(a.toString()).isEqualTo(b.toString()).isEqualTo("app=shop,env in (dev,prod),tier=web");
        assertThat(LabelSelectors.parse("app in (web)").toString()).isEqualTo("app=web");
        assertThat(LabelSelectors.of(null).toString()).isEmpty();
    }

    @Test
    void shouldMatchLikeTheApiServer() throws InvalidSelectorException {
        var s = LabelSelectors.parse("app=web,tier notin (db),!legacy,env");
        assertThat(s.test(Map.of("app", "web", "env", "prod"))).isTrue();
        assertThat(s.test(Map.of("app", "web", "env", "prod", "tier", "db"))).isFalse();
        assertThat(s.test(Map.of("app", "web", "env", "prod", "legacy", "yes"))).isFalse();
        assertThat(s.test(Map.of("app", "web"))).isFalse();
        assertThat(s.test(null)).isFalse();
        assertThat(LabelSelectors.parse("").test(null)).isTrue();
    }

    @ParameterizedTest
    @ValueSource(strings = { "app in (web", "-app=web", "app=we b", "app in ()", "a/b/c=d", ",", "app=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx" })
    void shouldRefuseMalformedLabelSelectors(String text) {
        assertThatThrownBy(() -> LabelSelectors.parse(text)).isInstanceOf(InvalidSelectorException.class).hasMessageContaining("label");
    }

    @Test
    void shouldRefuseAnUnknownOperator() {
        assertThatThrownBy(() -> LabelSelectors.of(new LabelSelectorBuilder().withMatchExpressions(new LabelSelectorRequirementBuilder()
                .withKey("app").withOperator("Maybe").build()).build())).hasMessageContaining("operator 'Maybe'");
    }

    @Test
    void shouldCanonicaliseFieldSelectors() throws InvalidSelectorException {
        assertThat(FieldSelectors.parse("status.phase!=Succeeded, metadata.name==web").toString())
                .isEqualTo("metadata.name=web,status.phase!=Succeeded");
        assertThat(FieldSelectors.parse(null).isEmpty()).isTrue();
        assertThatThrownBy(() -> FieldSelectors.parse("status.phase")).hasMessageContaining("field=value");
        assertThatThrownBy(() -> FieldSelectors.parse("=x")).hasMessageContaining("no valid field name");
    }
}
