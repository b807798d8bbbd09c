package io.watchkeeper.insight;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;

import org.junit.jupiter.api.Test;

class InsightScopeTest {

    @Test
    void shouldReadStarAsAllNamespaces() {
        assertThat(InsightScope.resolve(List.of("*"), "ops")).isEmpty();
        assertThat(new InsightScope(InsightScope.resolve(List.of("shop", "*"), "ops")).allNamespaces()).isTrue();
    }

    @Test
    void shouldReadOwnAsTheOperatorsNamespace() {
        assertThat(InsightScope.resolve(List.of("own", "shop"), "ops")).containsExactly("ops", "shop");
    }

    @Test
    void shouldSayWhatToDoWhenItsOwnNamespaceIsUnknown() {
        assertThatThrownBy(() -> InsightScope.resolve(List.of("own"), null)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("name the namespaces instead");
    }

    @Test
    void shouldNameOneInformerKeyPerNamespace() {
        InsightScope scope = new InsightScope(InsightScope.resolve(List.of("b", "a"), null));
        assertThat(scope.keys(InsightScope.PODS)).extracting(Object::toString).containsExactly("v1/pods ns=a", "v1/pods ns=b");
        assertThat(scope.covers("a")).isTrue();
        assertThat(scope.covers("c")).isFalse();
        assertThat(new InsightScope(java.util.Set.of()).keys(InsightScope.SERVICES)).extracting(Object::toString)
                .containsExactly("v1/services ns=*");
    }
}
