package io.watchkeeper.informer;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.MalformedURLException;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import java.util.function.UnaryOperator;

import com.fasterxml.jackson.core.JsonParseException;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.ObjectReader;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.GenericKubernetesResourceList;
import io.fabric8.kubernetes.api.model.HasMetadata;
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
 * The first list of a hub informer, or of a built-in controller's pod informer ({@link FirstLists}): one response from
 * the API server's watch cache ({@code resourceVersion=0}), read as it arrives. Each item is parsed and handed to the
 * informer's store before the next one is read, so the list never exists whole, neither as bytes nor as parsed
 * objects, and parsing overlaps the transfer. A hub informer's store caches it ({@link Timeline.Source#cache}, which
 * transforms and compacts it): the list returned holds the cached objects themselves, which fabric8's reflector puts
 * again (which changes nothing) and learns from them which keys the list had. A controller's store only prepares it
 * (transformed and compacted, {@link Timeline.Source#prepare}), for the reflector to put, so that the controller is
 * told of each item as an addition.
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
 * once (see {@link ListSignals}, {@code InformerHub#fresh} and {@code InformerHub#claimFirstList}): a failed attempt is
 * retried by pages.
 */
final class StreamedList<T extends HasMetadata> {

    private static final ObjectReader ITEMS = CacheTransform.reader(GenericKubernetesResource.class);
    /** Reads the list; leaves its stream open for the caller (a response body is read to its end before it is closed). */
    private static final ObjectReader LIST = ITEMS.without(JsonParser.Feature.AUTO_CLOSE_SOURCE);
    private static final ObjectReader LIST_META = ITEMS.forType(ListMeta.class);
    private static final ObjectReader OBJECT_META = ITEMS.forType(ObjectMeta.class);
    /** Readers of typed items, made once per type (a reader's deserializers take a while to build). */
    private static final ClassValue<ObjectReader> TYPED = new ClassValue<>() {
        @Override
        protected ObjectReader computeValue(Class<?> type) {
            return CacheTransform.reader(type);
        }
    };
    /** How far the response is read ahead of the parser (see {@link ReadAheadBody}). */
    private static final long READ_AHEAD_BYTES = 4L << 20;
    /** The most of a failed response's body read for its message (a Status is a few hundred bytes). */
    private static final int MOST_ERROR_BYTES = 64 << 10;

    /** Reads one list item at the parser's current token. */
    @FunctionalInterface
    interface ItemReader<T> {
        T read(JsonParser p) throws IOException;
    }

    /** A list as read: its own fields, and the items as {@code into} returned them. */
    record Listed<T>(String apiVersion, String kind, ListMeta metadata, List<T> items) {
    }

    private final HttpClient http;
    private final URL url;
    private final long timeoutMillis;
    private final KubernetesSerialization serialization;
    private final Executor executor;
    /** A reader of items for each list read (a compacting reader is for one parse). */
    private final Supplier<ItemReader<T>> items;

    /**
     * @param collection the collection's URL, with its label and field selectors as query parameters
     * @param executor   where the response is read (a thread that may block on it for the length of the transfer)
     * @param items      a reader of items, for each list read
     */
    private StreamedList(HttpClient http, URL collection, long timeoutMillis, KubernetesSerialization serialization, Executor executor,
            Supplier<ItemReader<T>> items) {
        this.http = http;
        this.url = new URLUtils.URLBuilder(collection).addQueryParameter("resourceVersion", "0").build();
        this.timeoutMillis = timeoutMillis;
        this.serialization = serialization;
        this.executor = executor;
        this.items = items;
    }

    /**
     * The first list of {@code op}'s question (its collection, namespace and selectors) read as generic objects,
     * as a hub informer's.
     *
     * @param apiVersion the items' apiVersion and {@code kind}, which the API server leaves out of a list's items (as
     *                   fabric8's lists do, they are put back)
     * @param compact    whether the items' contents are read straight into the cache's compact form ({@link
     *                   Compactor.Reader}); not for objects whose transform must see them first (a Secret's values
     *                   are redacted before anything of them is interned or pooled)
     */
    static StreamedList<GenericKubernetesResource> generic(OperationSupport op, String apiVersion, String kind, boolean compact) {
        return new StreamedList<>(op.getOperationContext().getHttpClient(), collection(op), op.getRequestConfig().getRequestTimeout(),
                op.getKubernetesSerialization(), op.getOperationContext().getExecutor(), () -> generic(apiVersion, kind, compact));
    }

    /**
     * The same, its items read as {@code type} (with {@code managedFields} skipped, as {@link CacheTransform#reader}
     * reads them): a built-in controller's first list.
     */
    static <T extends HasMetadata> StreamedList<T> typed(OperationSupport op, Class<T> type) {
        ObjectReader reader = TYPED.get(type);
        return new StreamedList<>(op.getOperationContext().getHttpClient(), collection(op), op.getRequestConfig().getRequestTimeout(),
                op.getKubernetesSerialization(), op.getOperationContext().getExecutor(), () -> reader::readValue);
    }

    /** For tests: a list of generic objects at {@code collection}. */
    static StreamedList<GenericKubernetesResource> at(HttpClient http, URL collection, String apiVersion, String kind, long timeoutMillis,
            KubernetesSerialization serialization, Executor executor, boolean compact) {
        return new StreamedList<>(http, collection, timeoutMillis, serialization, executor, () -> generic(apiVersion, kind, compact));
    }

    /** {@code op}'s collection with its label and field selectors as query parameters. */
    static URL collection(OperationSupport op) {
        try {
            URLUtils.URLBuilder url = new URLUtils.URLBuilder(op.getNamespacedUrl());
            String labels = op.getOperationContext().getLabelQueryParam();
            if (labels != null) {
                url.addQueryParameter("labelSelector", labels);
            }
            String fields = op.getOperationContext().getFieldQueryParam();
            if (fields != null) {
                url.addQueryParameter("fieldSelector", fields);
            }
            return url.build();
        } catch (MalformedURLException e) {
            throw new IllegalArgumentException("No URL for the list of " + op.getOperationContext().getPlural(), e);
        }
    }

    /** Generic items with the list's apiVersion and kind where they have none (as in a list of a built-in type). */
    private static ItemReader<GenericKubernetesResource> generic(String apiVersion, String kind, boolean compact) {
        Compactor.Reader compactor = compact ? Compactor.SHARED.reader() : null;
        return p -> {
            GenericKubernetesResource item = compactor == null ? ITEMS.readValue(p) : item(p, compactor);
            if (item != null && item.getApiVersion() == null) {
                item.setApiVersion(apiVersion);
            }
            if (item != null && item.getKind() == null) {
                item.setKind(kind);
            }
            return item;
        };
    }

    /** The list; every item is given to {@code into} as it is read, and the list holds what {@code into} returned. */
    CompletableFuture<Listed<T>> list(UnaryOperator<T> into) {
        HttpRequest request = http.newHttpRequestBuilder().url(url).timeout(timeoutMillis, TimeUnit.MILLISECONDS).build();
        ReadAheadBody body = new ReadAheadBody(READ_AHEAD_BYTES);
        CompletableFuture<HttpResponse<AsyncBody>> sent = http.consumeBytes(request, body);
        CompletableFuture<Listed<T>> list = sent.thenApplyAsync(response -> read(request, response, body, into), executor);
        list.whenComplete((read, failure) -> {
            if (failure != null) { // also where the response was never read (the executor refused): do not leave it paused
                sent.thenAccept(response -> response.body().cancel());
            }
        });
        return list;
    }

    private Listed<T> read(HttpRequest request, HttpResponse<AsyncBody> response, ReadAheadBody body, UnaryOperator<T> into) {
        try (body) {
            body.start(response.body());
            if (!response.isSuccessful()) {
                String text = new String(body.readNBytes(MOST_ERROR_BYTES), StandardCharsets.UTF_8);
                throw OperationSupport.requestFailure(request, OperationSupport.createStatus(new TextResponse(response, text), serialization));
            }
            Listed<T> list = parse(body, items.get(), into);
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

    /**
     * Reads a list's JSON from {@code body} as generic objects, giving each item to {@code into} as soon as it is
     * parsed; with {@code compact}, everything of an item but its apiVersion, kind and metadata is read in compact form.
     */
    static GenericKubernetesResourceList parse(InputStream body, boolean compact, UnaryOperator<GenericKubernetesResource> into)
            throws IOException {
        Compactor.Reader compactor = compact ? Compactor.SHARED.reader() : null;
        return genericList(parse(body, p -> compactor == null ? ITEMS.readValue(p) : item(p, compactor), into));
    }

    /** A list of generic objects as fabric8 gives it. */
    static GenericKubernetesResourceList genericList(Listed<GenericKubernetesResource> read) {
        GenericKubernetesResourceList list = new GenericKubernetesResourceList();
        list.setApiVersion(read.apiVersion());
        list.setKind(read.kind());
        list.setMetadata(read.metadata());
        list.setItems(read.items());
        return list;
    }

    /** Reads a list's JSON from {@code body}, each item with {@code items}, given to {@code into} as soon as it is read. */
    static <T> Listed<T> parse(InputStream body, ItemReader<T> items, UnaryOperator<T> into) throws IOException {
        String apiVersion = null;
        String kind = null;
        ListMeta metadata = null;
        List<T> read = new ArrayList<>();
        try (JsonParser p = LIST.createParser(body)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                throw new IOException("A list's response is not a JSON object");
            }
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String field = p.currentName();
                JsonToken value = p.nextToken();
                switch (field) {
                    case "apiVersion" -> apiVersion = p.getValueAsString();
                    case "kind" -> kind = p.getValueAsString();
                    case "metadata" -> metadata = value == JsonToken.VALUE_NULL ? null : LIST_META.readValue(p);
                    case "items" -> {
                        if (value == JsonToken.START_ARRAY) {
                            while (p.nextToken() != JsonToken.END_ARRAY) {
                                read.add(into.apply(items.read(p)));
                            }
                        } else if (value != JsonToken.VALUE_NULL) {
                            throw new IOException("A list's items are not a JSON array");
                        }
                    }
                    default -> p.skipChildren();
                }
            }
        }
        return new Listed<>(apiVersion, kind, metadata, read);
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
        compactor.nextObject();
        for (String field = p.nextFieldName(); field != null; field = p.nextFieldName()) {
            JsonToken value = p.nextToken();
            switch (field) {
                case "apiVersion" -> item.setApiVersion(text(p, field));
                case "kind" -> item.setKind(text(p, field));
                case "metadata" -> {
                    item.setMetadata(value == JsonToken.VALUE_NULL ? null : OBJECT_META.readValue(p));
                    compactor.nextObject(item); // the API server writes metadata before spec: the parts are this object's
                }
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
