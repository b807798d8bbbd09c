package io.watchkeeper.informer;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;

import com.fasterxml.jackson.core.JsonParseException;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.ObjectReader;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.GenericKubernetesResourceList;
import io.fabric8.kubernetes.api.model.ListMeta;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.internal.OperationSupport;
import io.fabric8.kubernetes.client.http.AsyncBody;
import io.fabric8.kubernetes.client.http.HttpClient;
import io.fabric8.kubernetes.client.http.HttpRequest;
import io.fabric8.kubernetes.client.http.HttpResponse;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import io.fabric8.kubernetes.client.utils.URLUtils;

/**
 * The first list of a hub informer: one response from the API server's watch cache ({@code resourceVersion=0}), read as
 * it arrives. Each item is parsed and handed to the informer's store ({@link Timeline.Source#cache}, which transforms
 * and compacts it) before the next one is read, so the list never exists whole, neither as bytes nor as parsed
 * objects, and parsing overlaps the transfer. The list returned holds the cached objects themselves: fabric8's
 * reflector puts them again (which changes nothing) and learns from them which keys the list had.
 * <p>
 * Where the cache's transform allows it (everything but Secrets), an item's contents besides its metadata are read
 * straight into the cache's compact form ({@link Compactor.Reader}) rather than into maps the Compactor would then
 * rebuild, and {@code managedFields} are skipped by scanning bytes ({@link SkippingJsonFactory}): for 10,000 pods read
 * from memory, parsing and caching took half the time it took with Jackson's maps and Jackson's skip. The response is
 * read ahead of the parser ({@link ReadAheadBody}) rather than chunk by chunk as the parser asks.
 * <p>
 * Why not pages, as relists read: Kubernetes serves a paged list (a limit, no resourceVersion) from etcd, one page after
 * the other, each parsed before the next is asked for; 10,000 pods took twice as long as the watch cache's one
 * response. fabric8 reads a list whole, as bytes, before parsing it, so one response without this class would hold the
 * whole list twice over at start. A list at resourceVersion 0 may be a little older than etcd (the watch that follows
 * from its resourceVersion brings it up to date), which is what client-go's informers accept for their first list too.
 * A relist must not go back in time, so only the first list of a resource new to the hub is read this way, and only
 * once (see {@link ListSignals} and {@code InformerHub#fresh}): a failed attempt is retried by pages.
 */
final class StreamedList {

    private static final ObjectReader ITEMS = CacheTransform.reader(GenericKubernetesResource.class);
    /** Reads the list; leaves its stream open for the caller (a response body is read to its end before it is closed). */
    private static final ObjectReader LIST = ITEMS.without(JsonParser.Feature.AUTO_CLOSE_SOURCE);
    private static final ObjectReader LIST_META = ITEMS.forType(ListMeta.class);
    private static final ObjectReader OBJECT_META = ITEMS.forType(ObjectMeta.class);
    /** How far the response is read ahead of the parser (see {@link ReadAheadBody}). */
    private static final long READ_AHEAD_BYTES = 4L << 20;
    /** The most of a failed response's body read for its message (a Status is a few hundred bytes). */
    private static final int MOST_ERROR_BYTES = 64 << 10;

    private final HttpClient http;
    private final URL url;
    private final String apiVersion;
    private final String kind;
    private final long timeoutMillis;
    private final KubernetesSerialization serialization;
    private final Executor executor;
    private final boolean compact;

    /**
     * @param collection the collection's URL, with its label and field selectors as query parameters
     * @param apiVersion the items' apiVersion and {@code kind}, which the API server leaves out of a list's items (as
     *                   fabric8's lists do, they are put back)
     * @param executor   where the response is read (a thread that may block on it for the length of the transfer)
     * @param compact    whether the items' contents are read straight into the cache's compact form ({@link
     *                   Compactor.Reader}); not for objects whose transform must see them first (a Secret's values
     *                   are redacted before anything of them is interned or pooled)
     */
    StreamedList(HttpClient http, URL collection, String apiVersion, String kind, long timeoutMillis, KubernetesSerialization serialization,
            Executor executor, boolean compact) {
        this.http = http;
        this.url = new URLUtils.URLBuilder(collection).addQueryParameter("resourceVersion", "0").build();
        this.apiVersion = apiVersion;
        this.kind = kind;
        this.timeoutMillis = timeoutMillis;
        this.serialization = serialization;
        this.executor = executor;
        this.compact = compact;
    }

    /** The list; every item is given to {@code into} as it is read, and the list holds what {@code into} returned. */
    CompletableFuture<GenericKubernetesResourceList> list(UnaryOperator<GenericKubernetesResource> into) {
        HttpRequest request = http.newHttpRequestBuilder().url(url).timeout(timeoutMillis, TimeUnit.MILLISECONDS).build();
        ReadAheadBody body = new ReadAheadBody(READ_AHEAD_BYTES);
        CompletableFuture<HttpResponse<AsyncBody>> sent = http.consumeBytes(request, body);
        CompletableFuture<GenericKubernetesResourceList> list = sent.thenApplyAsync(response -> read(request, response, body, into), executor);
        list.whenComplete((read, failure) -> {
            if (failure != null) { // also where the response was never read (the executor refused): do not leave it paused
                sent.thenAccept(response -> response.body().cancel());
            }
        });
        return list;
    }

    private GenericKubernetesResourceList read(HttpRequest request, HttpResponse<AsyncBody> response, ReadAheadBody body,
            UnaryOperator<GenericKubernetesResource> into) {
        try (body) {
            body.start(response.body());
            if (!response.isSuccessful()) {
                String text = new String(body.readNBytes(MOST_ERROR_BYTES), StandardCharsets.UTF_8);
                throw OperationSupport.requestFailure(request, OperationSupport.createStatus(new TextResponse(response, text), serialization));
            }
            GenericKubernetesResourceList list = parse(body, compact, item -> into.apply(typed(item)));
            body.transferTo(OutputStream.nullOutputStream()); // to the response's end (nothing but whitespace), not cancelled
            return list;
        } catch (IOException e) {
            throw KubernetesClientException.launderThrowable(e);
        }
    }

    /** A failed response with its body read as text, as fabric8 makes a {@code Status} of it. */
    private record TextResponse(HttpResponse<?> response, String body) implements HttpResponse<String> {
        @Override
        public int code() {
            return response.code();
        }

        @Override
        public HttpRequest request() {
            return response.request();
        }

        @Override
        public Optional<HttpResponse<?>> previousResponse() {
            return response.previousResponse();
        }

        @Override
        public List<String> headers(String key) {
            return response.headers(key);
        }

        @Override
        public Map<String, List<String>> headers() {
            return response.headers();
        }
    }

    /** The item with the list's apiVersion and kind, where it has none (as in a list of a built-in type). */
    private GenericKubernetesResource typed(GenericKubernetesResource item) {
        if (item.getApiVersion() == null) {
            item.setApiVersion(apiVersion);
        }
        if (item.getKind() == null) {
            item.setKind(kind);
        }
        return item;
    }

    /**
     * Reads a list's JSON from {@code body}, giving each item to {@code into} as soon as it is parsed; with
     * {@code compact}, everything of an item but its apiVersion, kind and metadata is read in compact form.
     */
    static GenericKubernetesResourceList parse(InputStream body, boolean compact, UnaryOperator<GenericKubernetesResource> into)
            throws IOException {
        Compactor.Reader compactor = compact ? Compactor.SHARED.reader() : null;
        GenericKubernetesResourceList list = new GenericKubernetesResourceList();
        List<GenericKubernetesResource> items = new ArrayList<>();
        try (JsonParser p = LIST.createParser(body)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                throw new IOException("A list's response is not a JSON object");
            }
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String field = p.currentName();
                JsonToken value = p.nextToken();
                switch (field) {
                    case "apiVersion" -> list.setApiVersion(p.getValueAsString());
                    case "kind" -> list.setKind(p.getValueAsString());
                    case "metadata" -> list.setMetadata(value == JsonToken.VALUE_NULL ? null : LIST_META.readValue(p));
                    case "items" -> {
                        if (value == JsonToken.START_ARRAY) {
                            while (p.nextToken() != JsonToken.END_ARRAY) {
                                GenericKubernetesResource item = compactor == null ? ITEMS.readValue(p) : item(p, compactor);
                                items.add(into.apply(item));
                            }
                        } else if (value != JsonToken.VALUE_NULL) {
                            throw new IOException("A list's items are not a JSON array");
                        }
                    }
                    default -> p.skipChildren();
                }
            }
        }
        list.setItems(items);
        return list;
    }

    /**
     * The object at the parser's current token, as Jackson reads a {@link GenericKubernetesResource} (apiVersion, kind
     * and metadata as fields, everything else an additional property), but with the additional properties read
     * compact: what the cache's {@link Compactor#compact} would make of them.
     */
    private static GenericKubernetesResource item(JsonParser p, Compactor.Reader compactor) throws IOException {
        if (p.currentToken() != JsonToken.START_OBJECT) {
            return ITEMS.readValue(p); // null, or what Jackson says of a list item that is not an object
        }
        GenericKubernetesResource item = new GenericKubernetesResource();
        for (String field = p.nextFieldName(); field != null; field = p.nextFieldName()) {
            JsonToken value = p.nextToken();
            switch (field) {
                case "apiVersion" -> item.setApiVersion(text(p, field));
                case "kind" -> item.setKind(text(p, field));
                case "metadata" -> item.setMetadata(value == JsonToken.VALUE_NULL ? null : OBJECT_META.readValue(p));
                default -> item.setAdditionalProperty(field, compactor.read(p, Compactor.child(0, field)));
            }
        }
        return item;
    }

    /** The scalar at the parser's current token as text (as Jackson reads a String field), null for null. */
    private static String text(JsonParser p, String field) throws IOException {
        if (p.currentToken().isStructStart()) {
            throw new JsonParseException(p, "A list item's " + field + " is not a string but " + p.currentToken());
        }
        return p.currentToken() == JsonToken.VALUE_NULL ? null : p.getValueAsString();
    }
}
