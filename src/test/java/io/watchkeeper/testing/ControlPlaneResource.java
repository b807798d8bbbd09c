package io.watchkeeper.testing;

import java.util.Map;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;

/** Points the operator under test at the shared {@link TestCluster}. */
public class ControlPlaneResource implements QuarkusTestResourceLifecycleManager {

    @Override
    public Map<String, String> start() {
        return TestCluster.operatorConfig();
    }

    @Override
    public void stop() {
        // The control plane outlives a Quarkus restart between test profiles; a shutdown hook stops it.
    }
}
