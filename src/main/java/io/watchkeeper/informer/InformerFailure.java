package io.watchkeeper.informer;

import io.fabric8.kubernetes.client.KubernetesClientException;

/**
 * Why an informer failed, as a condition reason and a message a person can act on.
 *
 * @param reason  CamelCase condition reason: Forbidden, ResourceNotFound, FieldSelectorRejected, BadRequest,
 *                Unauthorized, ApiServerError
 * @param message what happened and what to do
 */
public record InformerFailure(String reason, String message) {

    static InformerFailure classify(InformerKey key, Throwable t, boolean afterSync) {
        KubernetesClientException e = find(t);
        int code = e == null ? 0 : e.getCode();
        String detail = e != null && e.getStatus() != null && e.getStatus().getMessage() != null ? e.getStatus().getMessage()
                : rawWatchEvent(t) ? "a watch event could not be read" // its message holds the event itself, a Secret's data perhaps
                        : String.valueOf(t.getMessage());
        String what = key.resourceLabel() + (key.allNamespaces() ? " in all namespaces" : " in namespace " + key.namespace());
        return switch (code) {
            case 403 -> new InformerFailure("Forbidden", "The operator's service account may not list/watch " + what
                    + " (HTTP 403: " + detail + "). Grant it list and watch on " + key.resourceLabel()
                    + " (Helm: rbac.watchRules, or your own ClusterRole); the watch retries by itself.");
            case 404 -> new InformerFailure("ResourceNotFound", "The API server no longer serves " + key.groupVersionResource()
                    + (afterSync ? " (was its CRD deleted?)" : "") + ". It resumes by itself when the resource is back.");
            case 400 -> !key.fieldSelector().isEmpty() && detail.toLowerCase().contains("field")
                    ? new InformerFailure("FieldSelectorRejected", "The API server rejected fieldSelector '" + key.fieldSelector()
                            + "' for " + key.resourceLabel() + ": " + detail + ". Use a field this resource supports "
                            + "(metadata.name and metadata.namespace always work).")
                    : new InformerFailure("BadRequest", "The API server rejected the list of " + what + ": " + detail);
            case 401 -> new InformerFailure("Unauthorized", "The API server does not accept the operator's credentials (HTTP 401: "
                    + detail + ").");
            default -> new InformerFailure("ApiServerError", "Listing " + what + " failed: " + (code > 0 ? "HTTP " + code + ": " : "")
                    + detail + ". Retrying.");
        };
    }

    /** Whether retrying the same request cannot help, so the informer should stop and be restarted later. */
    static boolean isPermanent(Throwable t, boolean afterSync) {
        KubernetesClientException e = find(t);
        if (e == null) {
            return false;
        }
        int code = e.getCode();
        // After sync a 403 keeps fabric8 retrying (an RBAC change may be undone), but shows as WATCH_FAILING.
        return code == 404 || code == 400 || code == 401 || (code == 403 && !afterSync);
    }

    /** Whether fabric8 put a raw watch event into the exception (an event it could not parse). */
    private static boolean rawWatchEvent(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (c instanceof io.fabric8.kubernetes.client.WatcherException w && w.getRawWatchMessage().isPresent()) {
                return true;
            }
        }
        return false;
    }

    private static KubernetesClientException find(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (c instanceof KubernetesClientException e) {
                return e;
            }
            if (c instanceof io.fabric8.kubernetes.client.WatcherException w) {
                return w.asClientException();
            }
        }
        return null;
    }
}
