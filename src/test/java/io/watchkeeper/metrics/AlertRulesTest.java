package io.watchkeeper.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;

/**
 * The chart's alerts ({@code helm/watchkeeper/files/prometheus-rules.yaml}) checked and unit-tested by Debian's real
 * promtool, and every alert covered by a case in which it fires.
 */
class AlertRulesTest {

    private static final Path RULES = Path.of("helm/watchkeeper/files/prometheus-rules.yaml");
    private static final Path TESTS = Path.of("src/test/resources/prometheus/rules-test.yaml");

    @Test
    void shouldBeValidRules() throws Exception {
        assertThat(promtool("check", "rules", RULES.toString())).contains("SUCCESS");
    }

    @Test
    void shouldPassTheirUnitTests() throws Exception {
        assertThat(promtool("test", "rules", TESTS.toString())).contains("SUCCESS");
    }

    @Test
    void shouldTestEveryAlertFiring() throws Exception {
        YAMLMapper yaml = new YAMLMapper();
        List<String> alerts = new ArrayList<>();
        yaml.readTree(RULES.toFile()).path("groups").forEach(g -> g.path("rules").forEach(r -> alerts.add(r.path("alert").asText())));
        Set<String> fired = new HashSet<>();
        for (JsonNode test : yaml.readTree(TESTS.toFile()).path("tests")) {
            test.path("alert_rule_test").forEach(a -> {
                if (!a.path("exp_alerts").isEmpty()) {
                    fired.add(a.path("alertname").asText());
                }
            });
        }
        assertThat(alerts).hasSize(6);
        assertThat(fired).containsExactlyInAnyOrderElementsOf(alerts);
    }

    private static String promtool(String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of("promtool"));
        command.addAll(List.of(args));
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(out).isZero();
        return out;
    }
}
