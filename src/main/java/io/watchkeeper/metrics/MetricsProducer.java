package io.watchkeeper.metrics;

import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;

import io.javaoperatorsdk.operator.api.monitoring.Metrics;
import io.javaoperatorsdk.operator.monitoring.micrometer.MicrometerMetricsV2;
import io.micrometer.core.instrument.MeterRegistry;

/**
 * JOSDK's reconcile metrics. QOSDK 7.7.3 leaves them as no-ops in the packaged jar (fixed in 7.8), so the bean is
 * produced here; {@code MetricsIT} checks them on the running jar.
 */
public class MetricsProducer {

    @Produces
    @Singleton
    Metrics operatorMetrics(MeterRegistry registry) {
        return MicrometerMetricsV2.newBuilder(registry).build();
    }
}
