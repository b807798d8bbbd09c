package io.watchkeeper.metrics;

import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.runtime.StartupEvent;

/** {@code watchkeeper_build_info{version,commit} 1}, from {@code watchkeeper-build.properties} written by the build. */
@ApplicationScoped
public class BuildInfo {

    void register(@Observes StartupEvent start, MeterRegistry registry) {
        Properties p = new Properties();
        try (InputStream in = BuildInfo.class.getResourceAsStream("/watchkeeper-build.properties")) {
            if (in != null) {
                p.load(in);
            }
        } catch (IOException e) {
            // Build info is informative; the gauge then says "unknown".
        }
        Gauge.builder(MetricNames.BUILD_INFO, () -> 1).description("Watchkeeper version and commit")
                .tag("version", p.getProperty("version", "unknown")).tag("commit", p.getProperty("commit", "unknown"))
                .register(registry);
    }
}
