package io.watchkeeper.insight;

import java.util.Collection;
import java.util.List;
import java.util.Map;

import io.fabric8.kubernetes.api.model.HasMetadata;

/**
 * A Service judged against the pods it selects: which are selected (matching its selector, not finished), which of
 * those are ready (as the endpoints controller counts them), and the resulting state.
 */
public record ServiceHealth(ServiceState state, List<String> selectedPods, List<String> readyPods) {

    public static final ServiceHealth NO_SELECTOR = new ServiceHealth(ServiceState.NoSelector, List.of(), List.of());

    /** Judges {@code selector} against {@code candidates} (pods of the Service's namespace; others are ignored). */
    public static ServiceHealth of(Map<String, String> selector, Collection<? extends HasMetadata> candidates) {
        if (selector == null || selector.isEmpty()) {
            return NO_SELECTOR;
        }
        List<HasMetadata> selected = candidates.stream().filter(p -> PodFacts.matches(selector, p)).filter(p -> !PodFacts.finished(p))
                .sorted(java.util.Comparator.comparing(p -> p.getMetadata().getName())).map(HasMetadata.class::cast).toList();
        List<String> names = selected.stream().map(p -> p.getMetadata().getName()).toList();
        List<String> ready = selected.stream().filter(PodFacts::ready).map(p -> p.getMetadata().getName()).toList();
        ServiceState state;
        if (names.isEmpty()) {
            state = ServiceState.NoMatchingPods;
        } else if (ready.isEmpty()) {
            state = ServiceState.NoReadyPods;
        } else if (ready.size() < names.size()) {
            state = ServiceState.PartiallyReady;
        } else {
            state = ServiceState.Ready;
        }
        return new ServiceHealth(state, names, ready);
    }

    /** One line for Events and the API. */
    public String message(String service) {
        return switch (state) {
            case NoSelector -> "Service " + service + " has no selector; Watchkeeper does not judge it.";
            case NoMatchingPods -> "No running pod matches the selector of Service " + service
                    + ". Check the selector against the pods' labels, and that the workload is scaled up.";
            case NoReadyPods -> (selectedPods.size() == 1 ? "The one pod selected by Service " + service + " is not ready"
                    : "None of the " + selectedPods.size() + " pods selected by Service " + service + " is ready")
                    + ": it answers no requests. Check the pods' readiness probes and logs.";
            case PartiallyReady -> readyPods.size() + " of " + selectedPods.size() + " pods selected by Service " + service + " are ready.";
            case Ready -> selectedPods.size() == 1 ? "The one pod selected by Service " + service + " is ready."
                    : "All " + selectedPods.size() + " pods selected by Service " + service + " are ready.";
        };
    }
}
