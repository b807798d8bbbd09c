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
        return (T) compact(object, 0);
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

    private Object compact(Object value, int depth) {
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
                kv[i++] = compact(e.getKey(), depth);
                kv[i++] = compact(e.getValue(), child(depth, e.getKey()));
            }
            return intern(new FrozenMap(kv), depth);
        }
        if (value instanceof List<?> l) {
            if (l.isEmpty()) {
                return FrozenList.EMPTY;
            }
            Object[] items = new Object[l.size()];
            int i = 0;
            for (Object o : l) {
                items[i++] = compact(o, child(depth, null));
            }
            return intern(new FrozenList(items), depth);
        }
        if (isModel(value)) {
            boolean whole = true;
            for (Field f : fields.get(value.getClass())) {
                try {
                    Object v = f.get(value);
                    // a model's field bag belongs to it: same depth
                    Object c = compact(v, f.getName().equals("additionalProperties") ? depth : child(depth, f.getName()));
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
            return whole ? intern(value, depth) : value; // never share a part with a mutable child
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

    private Object intern(Object part, int depth) {
        if (depth < POOLED_FROM_DEPTH) {
            return part;
        }
        int hash = shallowHash(part);
        Key probe = new Key(part, hash, null);
        Key found = pool.get(probe);
        if (found != null) {
            Object shared = found.get();
            if (shared != null) {
                return shared;
            }
        }
        Key key = new Key(part, hash, cleared);
        Key before = pool.putIfAbsent(key, key);
        if (before != null) {
            Object shared = before.get();
            if (shared != null) {
                return shared;
            }
            pool.put(key, key); // the one before was collected meanwhile
        }
        return part;
    }

    private void purge() {
        for (Object k; (k = cleared.poll()) != null;) {
            pool.remove(k);
        }
    }

    private static boolean isModel(Object value) {
        return value.getClass().getName().startsWith(MODEL_PACKAGE) && !value.getClass().isEnum();
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

        /**
         * The value whose first token is the parser's current one, as {@code compact} at {@code depth} would give it;
         * the parser is left on the value's last token.
         */
        Object read(JsonParser p, int depth) throws IOException {
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
            return intern(new FrozenMap(kv), depth);
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
            return intern(new FrozenList(items), depth);
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

        Key(Object part, int hash, ReferenceQueue<Object> queue) {
            super(part, queue);
            this.hash = hash;
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
            if (!(o instanceof Compactor.Key k) || k.hash != hash) {
                return false;
            }
            Object a = get();
            Object b = k.get();
            return a != null && b != null && shallowEquals(a, b);
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
