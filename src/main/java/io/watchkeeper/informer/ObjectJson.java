package io.watchkeeper.informer;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.SerializableString;
import com.fasterxml.jackson.core.io.SerializedString;
import com.fasterxml.jackson.core.util.ByteArrayBuilder;
import com.fasterxml.jackson.databind.BeanDescription;
import com.fasterxml.jackson.databind.BeanProperty;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonSerializer;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationConfig;
import com.fasterxml.jackson.databind.SerializerProvider;
import com.fasterxml.jackson.databind.jsontype.TypeSerializer;
import com.fasterxml.jackson.databind.module.SimpleModule;
import com.fasterxml.jackson.databind.ser.BeanSerializerModifier;
import com.fasterxml.jackson.databind.ser.ContextualSerializer;
import com.fasterxml.jackson.databind.ser.ResolvableSerializer;
import com.fasterxml.jackson.databind.type.CollectionType;
import com.fasterxml.jackson.databind.type.MapType;
import com.fasterxml.jackson.databind.util.NameTransformer;
import com.fasterxml.jackson.module.blackbird.BlackbirdModule;

import io.fabric8.kubernetes.client.utils.KubernetesSerialization;

/**
 * Cached objects as JSON, as fabric8 writes Kubernetes objects: what stream messages carry (snapshots and changes) and
 * what the HTTP reads answer. A part that cached objects share ({@link Compactor}: the containers, volumes, labels and
 * owner of the pods of one ReplicaSet) is written once and its JSON kept beside it, as UTF-8 bytes; every object that
 * shares it is written with those bytes copied in. Only the outermost shared part keeps its JSON (the parts inside it
 * are in it already), and only parts found for more than one object: so the JSON kept grows with what the cache's
 * objects have in common, not with their number. For one ReplicaSet's 100 pods, writing costs about half as much as
 * writing them whole (BENCHMARKS.md); what is left is mostly each pod's own status and metadata. Bean properties are
 * read through generated lambdas (Jackson's Blackbird module) rather than by reflection. The JSON is the same, byte
 * for byte, as fabric8's.
 */
public final class ObjectJson {

    private static final ObjectMapper MAPPER = mapper(Compactor.SHARED);

    private ObjectJson() {
    }

    /** {@code value} (a Kubernetes object, or a list or map of them) as JSON bytes, UTF-8. */
    public static byte[] bytes(Object value) {
        try {
            return MAPPER.writeValueAsBytes(value);
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot write " + value.getClass().getName() + " as JSON", e);
        }
    }

    /** {@code value} as JSON, UTF-8, into {@code out}; an I/O error of {@code out} comes out as it is or as a cause. */
    public static void write(Object value, java.io.OutputStream out) throws IOException {
        MAPPER.writeValue(out, value);
    }

    /** {@code value} as a JSON string. */
    public static String string(Object value) {
        return new String(bytes(value), StandardCharsets.UTF_8);
    }

    /** fabric8's mapper (its modules and settings) whose serializers take shared parts' JSON from {@code compactor}. */
    static ObjectMapper mapper(Compactor compactor) {
        ObjectMapper mapper = new ObjectMapper();
        new KubernetesSerialization(mapper, true); // configures the mapper as fabric8's serialization does
        mapper.registerModule(new BlackbirdModule());
        SimpleModule shared = new SimpleModule("watchkeeper-shared-parts");
        shared.setSerializerModifier(new BeanSerializerModifier() {
            @Override
            public JsonSerializer<?> modifySerializer(SerializationConfig config, BeanDescription desc, JsonSerializer<?> serializer) {
                return Compactor.isModel(desc.getBeanClass()) ? new SharedParts(compactor, mapper.getFactory(), serializer) : serializer;
            }

            @Override
            public JsonSerializer<?> modifyMapSerializer(SerializationConfig config, MapType type, BeanDescription desc,
                    JsonSerializer<?> serializer) {
                return new SharedParts(compactor, mapper.getFactory(), serializer);
            }

            @Override
            public JsonSerializer<?> modifyCollectionSerializer(SerializationConfig config, CollectionType type, BeanDescription desc,
                    JsonSerializer<?> serializer) {
                return new SharedParts(compactor, mapper.getFactory(), serializer);
            }
        });
        mapper.registerModule(shared); // after fabric8's modules: it wraps the serializers they make
        return mapper;
    }

    /**
     * A serializer that writes a shared part as its kept JSON (written by the serializer it wraps, the first time) and
     * anything else as the serializer it wraps does.
     */
    private static final class SharedParts extends JsonSerializer<Object> implements ContextualSerializer, ResolvableSerializer {

        /** How deep this thread is in writing shared parts' JSON: inside one, parts keep nothing of their own. */
        private static final ThreadLocal<int[]> WRITING = ThreadLocal.withInitial(() -> new int[1]);

        private final Compactor compactor;
        private final JsonFactory factory;
        private final JsonSerializer<Object> serializer;

        @SuppressWarnings("unchecked")
        SharedParts(Compactor compactor, JsonFactory factory, JsonSerializer<?> serializer) {
            this.compactor = compactor;
            this.factory = factory;
            this.serializer = (JsonSerializer<Object>) serializer;
        }

        @Override
        public void serialize(Object value, JsonGenerator gen, SerializerProvider provider) throws IOException {
            Compactor.Shared shared = compactor.shared(value);
            SerializableString json = shared == null ? null : shared.json(serializer);
            if (shared != null && json == null && !shared.keeps() && WRITING.get()[0] == 0) {
                json = shared.keep(serializer, write(value, gen, provider)); // the first time: written alone, kept
            }
            if (json == null) {
                serializer.serialize(value, gen, provider);
            } else {
                gen.writeRawValue(json);
            }
        }

        /** The part alone, as the wrapped serializer writes it (with what its parts kept, keeping nothing for them). */
        private SerializableString write(Object part, JsonGenerator gen, SerializerProvider provider) {
            int[] depth = WRITING.get();
            depth[0]++;
            try (ByteArrayBuilder out = new ByteArrayBuilder()) {
                try (JsonGenerator alone = factory.createGenerator(out)) {
                    alone.setCodec(gen.getCodec());
                    serializer.serialize(part, alone, provider);
                }
                return new RawJson(out.toByteArray());
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            } finally {
                depth[0]--;
            }
        }

        @Override
        public void serializeWithType(Object value, JsonGenerator gen, SerializerProvider provider, TypeSerializer typeSer) throws IOException {
            serializer.serializeWithType(value, gen, provider, typeSer); // with a type id: not the part's own JSON
        }

        @Override
        public boolean isEmpty(SerializerProvider provider, Object value) {
            return serializer.isEmpty(provider, value);
        }

        @Override
        public JsonSerializer<Object> unwrappingSerializer(NameTransformer unwrapper) {
            return serializer.unwrappingSerializer(unwrapper); // written into its parent: never a part of its own
        }

        @Override
        public boolean isUnwrappingSerializer() {
            return serializer.isUnwrappingSerializer();
        }

        @Override
        public boolean usesObjectId() {
            return serializer.usesObjectId();
        }

        @Override
        public Class<Object> handledType() {
            return serializer.handledType();
        }

        @Override
        public void resolve(SerializerProvider provider) throws JsonMappingException {
            if (serializer instanceof ResolvableSerializer r) {
                r.resolve(provider);
            }
        }

        @Override
        public JsonSerializer<?> createContextual(SerializerProvider provider, BeanProperty property) throws JsonMappingException {
            if (serializer instanceof ContextualSerializer c) {
                JsonSerializer<?> contextual = c.createContextual(provider, property);
                return contextual == serializer ? this : new SharedParts(compactor, factory, contextual);
            }
            return this;
        }
    }

    /**
     * JSON kept as UTF-8 bytes only, for {@link JsonGenerator#writeRawValue(SerializableString)}: byte generators copy
     * the bytes; the rest of the interface (quoting, chars) goes through a string made when asked for.
     */
    private static final class RawJson implements SerializableString {
        private final byte[] utf8;

        RawJson(byte[] utf8) {
            this.utf8 = utf8;
        }

        @Override
        public String getValue() {
            return new String(utf8, StandardCharsets.UTF_8);
        }

        private SerializedString string() {
            return new SerializedString(getValue());
        }

        @Override
        public int charLength() {
            return getValue().length();
        }

        @Override
        public char[] asQuotedChars() {
            return string().asQuotedChars();
        }

        @Override
        public byte[] asUnquotedUTF8() {
            return utf8; // as SerializedString does: read, never changed
        }

        @Override
        public byte[] asQuotedUTF8() {
            return string().asQuotedUTF8();
        }

        @Override
        public int appendQuotedUTF8(byte[] buffer, int offset) {
            return string().appendQuotedUTF8(buffer, offset);
        }

        @Override
        public int appendQuoted(char[] buffer, int offset) {
            return string().appendQuoted(buffer, offset);
        }

        @Override
        public int appendUnquotedUTF8(byte[] buffer, int offset) {
            if (offset + utf8.length > buffer.length) {
                return -1;
            }
            System.arraycopy(utf8, 0, buffer, offset, utf8.length);
            return utf8.length;
        }

        @Override
        public int appendUnquoted(char[] buffer, int offset) {
            return string().appendUnquoted(buffer, offset);
        }

        @Override
        public int writeQuotedUTF8(java.io.OutputStream out) throws IOException {
            return string().writeQuotedUTF8(out);
        }

        @Override
        public int writeUnquotedUTF8(java.io.OutputStream out) throws IOException {
            out.write(utf8);
            return utf8.length;
        }

        @Override
        public int putQuotedUTF8(java.nio.ByteBuffer buffer) throws IOException {
            return string().putQuotedUTF8(buffer);
        }

        @Override
        public int putUnquotedUTF8(java.nio.ByteBuffer buffer) {
            if (utf8.length > buffer.remaining()) {
                return -1;
            }
            buffer.put(utf8);
            return utf8.length;
        }
    }
}
