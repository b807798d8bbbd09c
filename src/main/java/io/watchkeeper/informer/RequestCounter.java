package io.watchkeeper.informer;

import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.function.BiConsumer;
import java.util.function.Consumer;

import io.fabric8.kubernetes.client.http.BasicBuilder;
import io.fabric8.kubernetes.client.http.HttpRequest;
import io.fabric8.kubernetes.client.http.Interceptor;

/**
 * An HTTP interceptor on the clients that run informers (the hub's own, and the operator's, whose informers the JOSDK
 * controllers run) that recognises each informer's LIST and WATCH requests, so relists, watch restarts and refused
 * requests can be counted per informer without reaching into fabric8's reflector, and so that the hub learns where a
 * controller's lists begin and end. The {@link InformerHub} listens. This instance sits on the operator's client;
 * {@link #forHubClient()} gives the one for the hub's.
 */
@jakarta.inject.Singleton
public class RequestCounter implements Interceptor {

    public static final String NAME = "watchkeeper-request-counter";

    private volatile Consumer<Request> sink = r -> {
    };
    private volatile BiConsumer<Request, Integer> failures = (r, c) -> {
    };

    public RequestCounter() {
    }

    RequestCounter(Consumer<Request> sink, BiConsumer<Request, Integer> failures) {
        listen(sink, failures);
    }

    /**
     * @param sink     every collection GET an informer makes, before it is sent
     * @param failures every such GET the API server refused, with its HTTP status: fabric8 retries failed watches by
     *                 itself and tells nobody, so this is where a watch failing after sync (403, 404) becomes visible
     */
    void listen(Consumer<Request> sink, BiConsumer<Request, Integer> failures) {
        this.sink = sink;
        this.failures = failures;
    }

    /** The same counter for the hub's own client: its requests are marked as not the operator client's. */
    Interceptor forHubClient() {
        return new Tap(false);
    }

    private final Tap operatorTap = new Tap(true);

    @Override
    public java.util.concurrent.CompletableFuture<Boolean> afterFailure(BasicBuilder builder,
            io.fabric8.kubernetes.client.http.HttpResponse<?> response, RequestTags tags) {
        return operatorTap.afterFailure(builder, response, tags);
    }

    @Override
    public void before(BasicBuilder builder, HttpRequest request, RequestTags tags) {
        operatorTap.before(builder, request, tags);
    }

    private final class Tap implements Interceptor {
        private final boolean operatorClient;

        Tap(boolean operatorClient) {
            this.operatorClient = operatorClient;
        }

        @Override
        public java.util.concurrent.CompletableFuture<Boolean> afterFailure(BasicBuilder builder,
                io.fabric8.kubernetes.client.http.HttpResponse<?> response, RequestTags tags) {
            HttpRequest request = response.request();
            if (request != null && "GET".equals(request.method())) {
                failures.accept(Request.parse(request.uri(), operatorClient), response.code());
            }
            return java.util.concurrent.CompletableFuture.completedFuture(false);
        }

        @Override
        public void before(BasicBuilder builder, HttpRequest request, RequestTags tags) {
            if ("GET".equals(request.method())) {
                sink.accept(Request.parse(request.uri(), operatorClient));
            }
        }
    }

    /**
     * A collection GET, reduced to what identifies an informer and the step of its list-and-watch.
     *
     * @param resourceVersion the {@code resourceVersion} parameter ("" when absent)
     * @param continuation    a further page of a LIST
     * @param operatorClient  sent by the operator's client (the controllers' informers), not the hub's
     */
    record Request(String path, String labelSelector, String fieldSelector, boolean watch, String resourceVersion,
            boolean continuation, boolean operatorClient) {

        static Request parse(URI uri) {
            return parse(uri, true);
        }

        static Request parse(URI uri, boolean operatorClient) {
            String labels = "";
            String fields = "";
            String rv = "";
            boolean watch = false;
            boolean continuation = false;
            String query = uri.getRawQuery();
            if (query != null) {
                for (String param : query.split("&")) {
                    int eq = param.indexOf('=');
                    String name = eq < 0 ? param : param.substring(0, eq);
                    String value = eq < 0 ? "" : URLDecoder.decode(param.substring(eq + 1), StandardCharsets.UTF_8);
                    switch (name) {
                        case "labelSelector" -> labels = sorted(value);
                        case "fieldSelector" -> fields = sorted(value);
                        case "watch" -> watch = "true".equals(value) || "1".equals(value);
                        case "resourceVersion" -> rv = value;
                        case "continue" -> continuation = !value.isEmpty();
                        default -> {
                        }
                    }
                }
            }
            return new Request(uri.getPath(), labels, fields, watch, rv, continuation, operatorClient);
        }

        boolean matches(InformerKey key) {
            return path.endsWith(path(key)) && labelSelector.equals(sorted(key.labelSelector()))
                    && fieldSelector.equals(sorted(key.fieldSelector()));
        }

        static String path(InformerKey key) {
            String base = key.group().isEmpty() ? "/api/" + key.version() : "/apis/" + key.group() + "/" + key.version();
            return base + (key.namespace() == null ? "" : "/namespaces/" + key.namespace()) + "/" + key.resource();
        }

        /** Terms sorted, so that their order does not matter. */
        static String sorted(String selector) {
            List<String> terms = new ArrayList<>();
            for (String t : LabelSelectors.terms(selector)) {
                if (!t.isBlank()) {
                    terms.add(t.trim());
                }
            }
            Collections.sort(terms);
            return String.join(",", terms);
        }
    }
}
