package io.watchkeeper.informer;

import java.io.IOException;
import java.lang.ref.ReferenceQueue;
import java.lang.ref.WeakReference;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.util.AbstractList;
import java.util.AbstractMap;
import java.util.AbstractSet;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.RandomAccess;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.JsonParseException;
import com.fasterxml.jackson.core.SerializableString;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.ObjectMeta;

/**
 * Makes cached objects small by sharing what they have in common. Pods of one ReplicaSet carry the same containers,
 * volumes, tolerations, labels and owner; every pod says {@code "Running"}, {@code "True"} and {@code "TCP"} many
 * times. As an object enters a cache, {@link #compact} rebuilds it bottom-up (hash-consing): strings are interned,
 * maps and lists become compact immutable ones, and every map, list or model object below the object's top level that
 * equals one already cached anywhere is replaced by that one. Equal means: the same JSON, field by field and in the
 * same order (not fabric8's {@code equals}, which calls the quantities {@code 1000m} and {@code 1} equal).
 * <p>
 * The shared parts are held weakly: a part leaves the pool when no cached object uses it any more. The top of an
 * object (the object itself, its metadata, its spec, and their field maps) and everything in its {@code status} are
 * never pooled, because they are nearly always the object's own; they are compacted in place.
 * <p>
 * Cached objects are read-only (see {@link CacheReader}); compacted ones enforce it for their maps and lists, which
 * throw {@link UnsupportedOperationException} when changed. Their model objects (a {@code Container}, a
 * {@code PodCondition}) cannot refuse a setter: one call would change that part in every object sharing it. Strings
 * are interned with {@link String#intern}, whose table lives outside the heap. Thread-safe.
 * <p>
 * JSON can also be read straight into compact form ({@link #reader}), with the same result as compacting what Jackson
 * builds, without the maps Jackson builds: that is how a hub informer's first list is read.
 * <p>
 * A part found again for another object keeps its JSON beside it once it is written ({@link #shared}, for
 * {@link ObjectJson}), and lets go of it with the part.
 */
public final class Compactor {

    /** One pool for every cache of the process: equal parts of different informers' objects are shared too. */
    public static final Compactor SHARED = new Compactor();

    /** Longer strings (certificates, last-applied configurations) are rarely equal to others: not interned. */
    static final int LONGEST_INTERNED = 256;
    /** Parts at this depth or deeper are pooled; the object is at depth 0, its metadata and spec at 1. */
    private static final int POOLED_FROM_DEPTH = 2;
    private static final String MODEL_PACKAGE = "io.fabric8.kubernetes.api.model";

    private final ConcurrentHashMap<Key, Key> pool = new ConcurrentHashMap<>();
    /** Numbers the objects compacted (or read), so that a part found again within the same object is not shared. */
    private final java.util.concurrent.atomic.AtomicInteger owners = new java.util.concurrent.atomic.AtomicInteger();
    /** A pool entry's owner once its part was found for another object (no object gets this number). */
    private static final int REUSED = 0;
    /** The pooled parts found for more than one object, by identity, each with its JSON once written ({@link #shared}). */
    private final ConcurrentHashMap<Object, Shared> shared = new ConcurrentHashMap<>();
    private final ReferenceQueue<Object> cleared = new ReferenceQueue<>();
    private final ClassValue<Field[]> fields = new ClassValue<>() {
        @Override
        protected Field[] computeValue(Class<?> type) {
            return fieldsOf(type);
        }
    };

    /** Compacts {@code object} in place (its own fields are replaced) and returns it. */
    @SuppressWarnings("unchecked")
    public <T> T compact(T object) {
        purge();
        if (object == null) {
            return null;
        }
        return (T) compact(object, 0, ownerOf(object));
    }

    /**
     * A reader of JSON straight into compact form: what {@link #compact} makes of the maps, lists and scalars Jackson
     * builds for an untyped value, without building them first. Not thread-safe: one per parse.
     */
    Reader reader() {
        purge();
        return new Reader();
    }

    /** Parts in the pool now (those some cached object still uses, and some not yet collected). */
    public int pooled() {
        purge();
        return pool.size();
    }

    /**
     * {@code object}'s number as the owner of its parts: from its uid (or namespace and name), the same for every
     * version of one object, so that a part found again for the next version of its object is not taken for shared;
     * else a new number. Two objects with the same number only miss a sharing.
     */
    int ownerOf(Object object) {
        if (object instanceof HasMetadata h && h.getMetadata() != null) {
            ObjectMeta m = h.getMetadata();
            String id = m.getUid() != null ? m.getUid() : m.getName() != null ? m.getNamespace() + "/" + m.getName() : null;
            if (id != null) {
                int n = id.hashCode();
                return n == REUSED ? 1 : n;
            }
        }
        return nextOwner();
    }

    /** A new number: wraps around, never {@link #REUSED}. */
    private int nextOwner() {
        int n = owners.incrementAndGet();
        return n == REUSED ? owners.incrementAndGet() : n;
    }

    /** Entries of the identity index: pooled parts found for more than one object. */
    int pooledByIdentity() {
        purge();
        return shared.size();
    }

    /** {@code owner}: the object being compacted, as a number (a part found again for another one is shared). */
    private Object compact(Object value, int depth, int owner) {
        if (value == null) {
            return null;
        }
        if (value instanceof String s) {
            return string(s);
        }
        if (value instanceof FrozenMap || value instanceof FrozenList) {
            return value; // compacted before (an object that passes through two caches)
        }
        if (value instanceof Map<?, ?> m) {
            if (m.isEmpty()) {
                return FrozenMap.EMPTY; // every model object's additionalProperties: one for all, pooled or not
            }
            Object[] kv = new Object[m.size() * 2];
            int i = 0;
            for (Map.Entry<?, ?> e : m.entrySet()) {
                kv[i++] = compact(e.getKey(), depth, owner);
                kv[i++] = compact(e.getValue(), child(depth, e.getKey()), owner);
            }
            return intern(new FrozenMap(kv), depth, owner);
        }
        if (value instanceof List<?> l) {
            if (l.isEmpty()) {
                return FrozenList.EMPTY;
            }
            Object[] items = new Object[l.size()];
            int i = 0;
            for (Object o : l) {
                items[i++] = compact(o, child(depth, null), owner);
            }
            return intern(new FrozenList(items), depth, owner);
        }
        if (isModel(value)) {
            boolean whole = true;
            for (Field f : fields.get(value.getClass())) {
                try {
                    Object v = f.get(value);
                    // a model's field bag belongs to it: same depth
                    Object c = compact(v, f.getName().equals("additionalProperties") ? depth : child(depth, f.getName()), owner);
                    if (c != v) {
                        if (f.getType().isInstance(c)) {
                            f.set(value, c);
                        } else {
                            whole = false; // a field that takes no compact map or list keeps a mutable child
                        }
                    }
                } catch (IllegalAccessException e) {
                    throw new IllegalStateException("Cannot compact " + f, e);
                }
            }
            return whole ? intern(value, depth, owner) : value; // never share a part with a mutable child
        }
        return value; // numbers, booleans, enums: small, or shared by the JVM already
    }

    /** What {@link #compact} makes of a string: interned, unless it is long. */
    private static String string(String s) {
        return s.length() <= LONGEST_INTERNED ? s.intern() : s;
    }

    /**
     * The depth of a part's child {@code name}: one deeper, except that an object's {@code status} and everything in
     * it are marked (negative) as never pooled, because what a status says (start times, IPs, container IDs) is nearly
     * always the object's own; a pool entry for it would cost more than it shares.
     */
    static int child(int depth, Object name) {
        if (depth < 0) {
            return depth;
        }
        return depth == 0 && "status".equals(name) ? -1 : depth + 1;
    }

    private Object intern(Object part, int depth, int owner) {
        if (depth < POOLED_FROM_DEPTH) {
            return part;
        }
        int hash = shallowHash(part);
        Key probe = new Key(part, hash, null, owner);
        Key found = pool.get(probe);
        if (found != null) {
            Object shared = found.get();
            if (shared != null) {
                reused(found, shared, owner);
                return shared;
            }
        }
        Key key = new Key(part, hash, cleared, owner);
        Key before = pool.putIfAbsent(key, key);
        if (before != null) {
            Object shared = before.get();
            if (shared != null) {
                reused(before, shared, owner);
                return shared;
            }
            pool.put(key, key); // the one before was collected meanwhile
        }
        return part;
    }

    /**
     * {@code part} (pooled under {@code key}) was found for object {@code owner}: the first time that is another object
     * than the one it was pooled for, it is indexed by identity, to keep its JSON. Parts pooled for one object only (a
     * pod's own volumes) get no entry there.
     */
    private void reused(Key key, Object part, int owner) {
        if (key.reusedBy(owner)) {
            Shared s = new Shared(part, cleared);
            shared.putIfAbsent(s, s);
        }
    }

    private void purge() {
        for (Object k; (k = cleared.poll()) != null;) {
            if (k instanceof Shared) {
                shared.remove(k);
            } else {
                pool.remove(k);
            }
        }
    }

    /**
     * {@code part} if it is a shared part (pooled, and found there for a second object at least), with room for its JSON
     * ({@link Shared#json}, {@link Shared#keep}); else null, as for a part pooled for one object only (a pod's
     * containers, when its volumes are its own). Costs one lookup by identity.
     */
    Shared shared(Object part) {
        return shared.get(new Same(part));
    }

    /** The JSON kept beside {@code part}, or null: for tests. */
    String keptJson(Object part) {
        Shared s = shared.get(new Same(part));
        Kept kept = s == null ? null : s.kept;
        return kept == null ? null : kept.json.getValue();
    }

    /** How many parts keep their JSON now. */
    int keptParts() {
        purge();
        return (int) shared.values().stream().filter(s -> s.kept != null).count();
    }

    /** A shared part's JSON and the serializer that wrote it. */
    private record Kept(Object by, SerializableString json) {
    }

    private static boolean isModel(Object value) {
        return isModel(value.getClass());
    }

    /** A fabric8 model class: the model objects this compacts (and may share) field by field. */
    static boolean isModel(Class<?> type) {
        return type.getName().startsWith(MODEL_PACKAGE) && !type.isEnum();
    }

    /** Pooled kinds: parts compared by identity once compacted (their parts are canonical already). */
    private static boolean pooledKind(Object o) {
        return o instanceof FrozenMap || o instanceof FrozenList || isModel(o);
    }

    /** Hash over the part's own level: leaves by value, compacted parts by identity. */
    private int shallowHash(Object part) {
        int h = part.getClass().hashCode();
        for (Object v : shallow(part)) {
            h = 31 * h + (v == null ? 0 : pooledKind(v) ? System.identityHashCode(v) : v.hashCode());
        }
        return h;
    }

    private boolean shallowEquals(Object a, Object b) {
        if (a == b) {
            return true;
        }
        if (a.getClass() != b.getClass()) {
            return false;
        }
        Object[] x = shallow(a);
        Object[] y = shallow(b);
        if (x.length != y.length) {
            return false;
        }
        for (int i = 0; i < x.length; i++) {
            Object p = x[i];
            Object q = y[i];
            if (p != q && (p == null || q == null || pooledKind(p) || p.getClass() != q.getClass() || !p.equals(q))) {
                return false;
            }
        }
        return true;
    }

    /** The part's own level: a map's keys and values in order, a list's items, a model's fields. */
    private Object[] shallow(Object part) {
        if (part instanceof FrozenMap m) {
            return m.kv;
        }
        if (part instanceof FrozenList l) {
            return l.items;
        }
        Field[] fs = fields.get(part.getClass());
        Object[] out = new Object[fs.length];
        for (int i = 0; i < fs.length; i++) {
            try {
                out[i] = fs[i].get(part);
            } catch (IllegalAccessException e) {
                throw new IllegalStateException("Cannot read " + fs[i], e);
            }
        }
        return out;
    }

    private static Field[] fieldsOf(Class<?> type) {
        List<Field> out = new ArrayList<>();
        for (Class<?> c = type; c != null && c != Object.class; c = c.getSuperclass()) {
            for (Field f : c.getDeclaredFields()) {
                if (!Modifier.isStatic(f.getModifiers())) {
                    f.setAccessible(true);
                    out.add(f);
                }
            }
        }
        return out.toArray(Field[]::new);
    }

    /**
     * Reads one JSON value into what {@link #compact} makes of the value Jackson's untyped deserializer builds
     * (insertion-ordered maps, lists, strings, {@code Integer}/{@code Long}/{@code BigInteger}, {@code Double},
     * booleans, nulls): the same parts, interned and pooled by the same rules, with no map or list in between. Members
     * are collected on one stack of slots shared by every level.
     */
    final class Reader {
        /** Names and values remembered at most, so that a long list does not hold each of its objects' own strings. */
        private static final int MOST_VALUES_REMEMBERED = 1 << 16;
        /** Names of one object looked through for a repeated one; past that, they are kept in a hash table. */
        private static final int MOST_NAMES_SEARCHED = 32;
        private Object[] stack = new Object[256];
        private int top;
        /** The object being read, as a number ({@link #ownerOf}). */
        private int owner = nextOwner();
        /** The parser's names (one instance per name, from its symbol table) to the interned ones. */
        private final IdentityHashMap<String, String> names = new IdentityHashMap<>();
        /** Values met so far in this read, interned (a call to {@link String#intern} costs more than a lookup here). */
        private final HashMap<String, String> values = new HashMap<>();

        private String name(String name) {
            String interned = names.get(name);
            if (interned == null) {
                if (names.size() >= MOST_VALUES_REMEMBERED) {
                    names.clear(); // a parser that does not canonicalize its names: do not grow with every one
                }
                interned = string(name);
                names.put(name, interned);
            }
            return interned;
        }

        private String value(String value) {
            if (value.length() > LONGEST_INTERNED) {
                return value;
            }
            if (values.size() >= MOST_VALUES_REMEMBERED) {
                values.clear(); // a long list of objects' own values (uids, IPs): start over rather than grow
            }
            String interned = values.putIfAbsent(value, value);
            if (interned == null) {
                interned = value.intern();
                if (interned != value) {
                    values.put(value, interned);
                }
            }
            return interned;
        }

        /** The parts read from now on are another object's (a value read at depth 0 is one too). */
        void nextObject() {
            owner = nextOwner();
        }

        /** The parts read from now on are {@code object}'s (its metadata read): numbered as {@link #compact} numbers it. */
        void nextObject(HasMetadata object) {
            owner = ownerOf(object);
        }

        /**
         * The value whose first token is the parser's current one, as {@code compact} at {@code depth} would give it;
         * the parser is left on the value's last token.
         */
        Object read(JsonParser p, int depth) throws IOException {
            if (depth == 0) {
                nextObject();
            }
            JsonToken t = p.currentToken();
            if (t == null) {
                throw new JsonParseException(p, "Unexpected end of JSON input");
            }
            return switch (t) {
                case START_OBJECT -> readObject(p, depth);
                case START_ARRAY -> readArray(p, depth);
                case VALUE_STRING -> value(p.getText());
                case VALUE_NUMBER_INT -> p.getNumberValue();
                case VALUE_NUMBER_FLOAT -> p.getNumberTypeFP() == JsonParser.NumberTypeFP.BIG_DECIMAL ? p.getDecimalValue()
                        : p.getDoubleValue();
                case VALUE_TRUE -> Boolean.TRUE;
                case VALUE_FALSE -> Boolean.FALSE;
                case VALUE_NULL -> null;
                default -> throw new JsonParseException(p, "Unexpected JSON token " + t);
            };
        }

        private Object readObject(JsonParser p, int depth) throws IOException {
            int from = top;
            HashMap<String, Integer> slots = null; // where each name is, once an object has too many to look through
            for (String name = p.nextFieldName(); name != null; name = p.nextFieldName()) {
                name = name(name);
                p.nextToken();
                Object value = read(p, child(depth, name));
                if (slots == null && top - from >= 2 * MOST_NAMES_SEARCHED) {
                    slots = new HashMap<>();
                    for (int i = from; i < top; i += 2) {
                        slots.put((String) stack[i], i);
                    }
                }
                int at = slots != null ? slots.getOrDefault(name, -1) : indexOf(name, from);
                if (at >= 0) {
                    stack[at + 1] = value; // a repeated name: the last value, in the first one's place (as a LinkedHashMap)
                } else {
                    if (slots != null) {
                        slots.put(name, top);
                    }
                    push(name);
                    push(value);
                }
            }
            if (p.currentToken() != JsonToken.END_OBJECT) {
                throw new JsonParseException(p, "Unexpected JSON token " + p.currentToken() + " in an object");
            }
            if (top == from) {
                return FrozenMap.EMPTY;
            }
            Object[] kv = Arrays.copyOfRange(stack, from, top);
            Arrays.fill(stack, from, top, null);
            top = from;
            return intern(new FrozenMap(kv), depth, owner);
        }

        private Object readArray(JsonParser p, int depth) throws IOException {
            int from = top;
            int itemDepth = child(depth, null);
            for (JsonToken t = p.nextToken(); t != JsonToken.END_ARRAY; t = p.nextToken()) {
                push(read(p, itemDepth));
            }
            if (top == from) {
                return FrozenList.EMPTY;
            }
            Object[] items = Arrays.copyOfRange(stack, from, top);
            Arrays.fill(stack, from, top, null);
            top = from;
            return intern(new FrozenList(items), depth, owner);
        }

        /** Where {@code name} (interned) is among the names collected from {@code from} on; -1 if it is not. */
        private int indexOf(String name, int from) {
            for (int i = from; i < top; i += 2) {
                if (stack[i] == name || name.length() > LONGEST_INTERNED && name.equals(stack[i])) {
                    return i;
                }
            }
            return -1;
        }

        private void push(Object o) {
            if (top == stack.length) {
                stack = Arrays.copyOf(stack, top * 2);
            }
            stack[top++] = o;
        }
    }

    /** A pool entry: weak on the shared part, with its hash kept for when the part is gone. */
    private final class Key extends WeakReference<Object> {
        private final int hash;
        /** The object the part was first pooled for, until it is found for another one: then {@link #REUSED}. */
        private volatile int owner;

        Key(Object part, int hash, ReferenceQueue<Object> queue, int owner) {
            super(part, queue);
            this.hash = hash;
            this.owner = owner;
        }

        @Override
        public int hashCode() {
            return hash;
        }

        /** @return whether this made the part shared (found for another object than its first, the first time) */
        boolean reusedBy(int other) {
            if (owner == REUSED || other == owner) {
                return false;
            }
            synchronized (this) {
                boolean first = owner != REUSED;
                owner = REUSED;
                return first;
            }
        }

        @Override
        public boolean equals(Object o) {
            if (this == o) {
                return true;
            }
            if (!(o instanceof Compactor.Key k) || k.hash != hash) {
                return false;
            }
            Object a = get();
            Object b = k.get();
            return a != null && b != null && shallowEquals(a, b);
        }
    }

    /**
     * A shared part by identity, weakly, and its JSON once written ({@link ObjectJson}): kept while the part is pooled,
     * so that the objects sharing it are written without writing it again. Cached objects are read-only, so what a
     * part's JSON says does not change.
     */
    static final class Shared extends WeakReference<Object> {
        private final int hash;
        private volatile Kept kept;

        Shared(Object part, ReferenceQueue<Object> queue) {
            super(part, queue);
            this.hash = System.identityHashCode(part);
        }

        /** The JSON kept, if {@code by} (the serializer) wrote it; null if none is kept or another serializer wrote it. */
        SerializableString json(Object by) {
            Kept k = kept;
            return k != null && k.by == by ? k.json : null;
        }

        /** Whether JSON is kept (by any serializer). */
        boolean keeps() {
            return kept != null;
        }

        /** Keeps {@code json}, as {@code by} wrote it, and returns it (two threads may both write it: the same JSON). */
        SerializableString keep(Object by, SerializableString json) {
            kept = new Kept(by, json);
            return json;
        }

        @Override
        public int hashCode() {
            return hash;
        }

        @Override
        public boolean equals(Object o) {
            if (this == o) {
                return true;
            }
            Object p = get();
            return p != null && (o instanceof Shared s ? s.get() == p : o instanceof Same q && q.part == p);
        }
    }

    /** A probe for {@link Shared} entries: the part itself, compared by identity. */
    private record Same(Object part) {
        @Override
        public int hashCode() {
            return System.identityHashCode(part);
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Shared s && s.get() == part;
        }
    }

    /** An immutable map in insertion order, keys and values in one array; {@code get} is a linear search. */
    static final class FrozenMap extends AbstractMap<String, Object> {
        static final FrozenMap EMPTY = new FrozenMap(new Object[0]);
        private final Object[] kv;
        private int hash;

        FrozenMap(Object[] kv) {
            this.kv = kv;
        }

        @Override
        public int size() {
            return kv.length / 2;
        }

        @Override
        public Object get(Object key) {
            for (int i = 0; i < kv.length; i += 2) {
                if (kv[i] == key || kv[i] != null && kv[i].equals(key)) {
                    return kv[i + 1];
                }
            }
            return null;
        }

        @Override
        public boolean containsKey(Object key) {
            for (int i = 0; i < kv.length; i += 2) {
                if (kv[i] == key || kv[i] != null && kv[i].equals(key)) {
                    return true;
                }
            }
            return false;
        }

        @Override
        public int hashCode() {
            int h = hash;
            if (h == 0 && kv.length > 0) {
                h = super.hashCode();
                hash = h;
            }
            return h;
        }

        @Override
        public Set<Entry<String, Object>> entrySet() {
            return new AbstractSet<>() {
                @Override
                public Iterator<Entry<String, Object>> iterator() {
                    return new Iterator<>() {
                        private int i;

                        @Override
                        public boolean hasNext() {
                            return i < kv.length;
                        }

                        @Override
                        public Entry<String, Object> next() {
                            if (i >= kv.length) {
                                throw new NoSuchElementException();
                            }
                            Entry<String, Object> e = new SimpleImmutableEntry<>((String) kv[i], kv[i + 1]);
                            i += 2;
                            return e;
                        }
                    };
                }

                @Override
                public int size() {
                    return kv.length / 2;
                }
            };
        }
    }

    /** An immutable list over one array (nulls allowed, as JSON allows them). */
    static final class FrozenList extends AbstractList<Object> implements RandomAccess {
        static final FrozenList EMPTY = new FrozenList(new Object[0]);
        private final Object[] items;
        private int hash;

        FrozenList(Object[] items) {
            this.items = items;
        }

        @Override
        public Object get(int index) {
            return items[index];
        }

        @Override
        public int size() {
            return items.length;
        }

        @Override
        public int hashCode() {
            int h = hash;
            if (h == 0 && items.length > 0) {
                h = Arrays.hashCode(items);
                hash = h;
            }
            return h;
        }
    }
}
