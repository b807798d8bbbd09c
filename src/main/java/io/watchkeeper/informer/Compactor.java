package io.watchkeeper.informer;

import java.lang.ref.ReferenceQueue;
import java.lang.ref.WeakReference;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.util.AbstractList;
import java.util.AbstractMap;
import java.util.AbstractSet;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.RandomAccess;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

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
            return s.length() <= LONGEST_INTERNED ? s.intern() : s;
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

    /**
     * The depth of a part's child {@code name}: one deeper, except that an object's {@code status} and everything in
     * it are marked (negative) as never pooled, because what a status says (start times, IPs, container IDs) is nearly
     * always the object's own; a pool entry for it would cost more than it shares.
     */
    private static int child(int depth, Object name) {
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
