package io.watchkeeper.insight;

import java.util.List;

import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.ContainerStatusBuilder;
import io.fabric8.kubernetes.api.model.PodStatus;
import io.fabric8.kubernetes.api.model.PodStatusBuilder;

/** Pod statuses as a kubelet would write them, for an API server that has no kubelet. */
public final class PodStatuses {

    private PodStatuses() {
    }

    public static PodStatus running(boolean ready, int restarts) {
        return new PodStatusBuilder().withPhase("Running")
                .addNewCondition().withType("PodScheduled").withStatus("True").endCondition()
                .addNewCondition().withType("Ready").withStatus(ready ? "True" : "False").endCondition()
                .withContainerStatuses(new ContainerStatusBuilder().withName("app").withImage("nginx:1.25").withReady(ready)
                        .withRestartCount(restarts).withNewState().withNewRunning().withStartedAt("2026-11-27T10:00:00Z").endRunning().endState()
                        .build())
                .build();
    }

    public static PodStatus waiting(String reason, int restarts, String lastTermination) {
        ContainerStatusBuilder c = new ContainerStatusBuilder().withName("app").withImage("nginx:1.25").withReady(false)
                .withRestartCount(restarts).withNewState().withNewWaiting().withReason(reason).withMessage("test: " + reason).endWaiting().endState();
        if (lastTermination != null) {
            c.withNewLastState().withNewTerminated().withReason(lastTermination).withExitCode(137).endTerminated().endLastState();
        }
        return new PodStatusBuilder().withPhase(restarts > 0 ? "Running" : "Pending")
                .addNewCondition().withType("PodScheduled").withStatus("True").endCondition()
                .addNewCondition().withType("Ready").withStatus("False").endCondition()
                .withContainerStatuses(List.<ContainerStatus> of(c.build())).build();
    }

    static PodStatus evicted() {
        return new PodStatusBuilder().withPhase("Failed").withReason("Evicted")
                .withMessage("The node was low on resource: memory.").build();
    }

    static PodStatus unschedulable() {
        return new PodStatusBuilder().withPhase("Pending").addNewCondition().withType("PodScheduled").withStatus("False")
                .withReason("Unschedulable").withMessage("0/3 nodes are available: 3 Insufficient cpu.").endCondition().build();
    }
}
