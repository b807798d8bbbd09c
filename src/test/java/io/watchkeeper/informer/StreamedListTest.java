package io.watchkeeper.informer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.GenericKubernetesResourceList;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import io.watchkeeper.testing.RealisticPods;

/** How {@link StreamedList} reads a list's JSON: item by item, each handed over before the next is read. */
class StreamedListTest {

    @Test
    void shouldHandOverEachItemBeforeReadingTheNext() throws IOException {
        int items = 200;
        byte[] json = list(items, "").getBytes(StandardCharsets.UTF_8);
        CountingStream body = new CountingStream(json);
        List<Long> readWhenHandedOver = new ArrayList<>();
        List<GenericKubernetesResource> handedOver = new ArrayList<>();

        GenericKubernetesResourceList list = StreamedList.parse(body, false, item -> {
            readWhenHandedOver.add(body.read);
            handedOver.add(item);
            GenericKubernetesResource cached = new GenericKubernetesResource(); // what a store would keep instead
            cached.setMetadata(item.getMetadata());
            return cached;
        });

        assertThat(handedOver).extracting(i -> i.getMetadata().getName()).containsExactlyElementsOf(
                java.util.stream.IntStream.range(0, items).mapToObj(i -> "pod-" + i).toList());
        assertThat(list.getItems()).as("the list holds what the store returned, not what was parsed").hasSize(items)
                .allSatisfy(i -> assertThat(handedOver).noneMatch(h -> h == i));
        assertThat(list.getMetadata().getResourceVersion()).isEqualTo("4711");
        assertThat(list.getKind()).isEqualTo("PodList");
        // the first item was handed over when a small part of the response had been read, not the whole of it
        assertThat(readWhenHandedOver.get(0)).as("bytes read when the first item was handed over, of " + json.length)
                .isLessThan(json.length / 4);
        assertThat(readWhenHandedOver).isSorted();
    }

    @Test
    void shouldSkipManagedFieldsAndUnknownListFields() throws IOException {
        String json = list(1, ",\"somethingNew\":{\"a\":[1,2,{\"b\":null}]}");
        GenericKubernetesResourceList list = StreamedList.parse(stream(json), false, item -> item);
        GenericKubernetesResource pod = list.getItems().get(0);
        assertThat(pod.getMetadata().getManagedFields()).as("never built").isNullOrEmpty();
        assertThat(pod.getMetadata().getLabels()).containsEntry("app", "web");
        assertThat(pod.getAdditionalProperties()).containsKey("spec");
    }

    @Test
    void shouldReadAnEmptyListAndNullItems() throws IOException {
        assertThat(StreamedList.parse(stream("{\"kind\":\"PodList\",\"metadata\":{\"resourceVersion\":\"9\"},\"items\":[]}"), false, i -> i)
                .getItems()).isEmpty();
        GenericKubernetesResourceList none = StreamedList.parse(stream("{\"metadata\":{\"resourceVersion\":\"9\"},\"items\":null}"), false, i -> i);
        assertThat(none.getItems()).isEmpty();
        assertThat(none.getMetadata().getResourceVersion()).isEqualTo("9");
    }

    @Test
    void shouldRefuseWhatIsNotAList() {
        assertThatThrownBy(() -> StreamedList.parse(stream("[1,2]"), false, i -> i)).isInstanceOf(IOException.class).hasMessageContaining("not a JSON object");
        assertThatThrownBy(() -> StreamedList.parse(stream("{\"items\":{}}"), false, i -> i)).isInstanceOf(IOException.class)
                .hasMessageContaining("not a JSON array");
        assertThatThrownBy(() -> StreamedList.parse(stream("{\"items\":[{\"metadata\":{\"name\":\"a\"}}"), false, i -> i))
                .as("a response cut short").isInstanceOf(IOException.class);
        for (boolean compact : new boolean[] { false, true }) {
            assertThatThrownBy(() -> StreamedList.parse(stream("{\"items\":[{\"kind\":{\"a\":1},\"metadata\":{\"name\":\"a\"}}]}"), compact,
                    i -> i)).as("a kind that is not a string, compact " + compact).isInstanceOf(IOException.class);
            assertThatThrownBy(() -> StreamedList.parse(stream("{\"items\":[{\"spec\":{\"a\":[1}}]}"), compact, i -> i))
                    .as("mismatched brackets, compact " + compact).isInstanceOf(IOException.class);
        }
    }

    /**
     * Read compact, an item is what the cache would make of it read by Jackson: the same JSON, the same classes, maps,
     * lists and numbers, strings interned, and the same pooled parts (shared with the objects the cache compacted).
     */
    @Test
    void shouldReadItemsCompactAsTheCacheWouldCompactThem() throws IOException {
        KubernetesSerialization json = new KubernetesSerialization();
        StringBuilder sb = new StringBuilder("{\"kind\":\"List\",\"metadata\":{\"resourceVersion\":\"1\"},\"items\":[");
        for (int i = 0; i < 3; i++) {
            sb.append(json.asJson(RealisticPods.pod("ns", i * 60))).append(',');
        }
        StringBuilder manyNames = new StringBuilder(); // more names than one object's are looked through, some repeated
        for (int k = 0; k < 100; k++) {
            manyNames.append("\"k").append(k).append("\":").append(k).append(',');
        }
        String many = manyNames.append("\"k5\":\"again\",\"" + "l".repeat(300) + "\":1,\"k99\":\"last\",\"" + "l".repeat(300) + "\":2").toString();
        String odd = "{\"ints\":[0,-1,2147483648,9223372036854775808],\"floats\":[1.5,1e3,-0.0,1.0E-7],"
                + "\"scalars\":[true,false,null,\"\"],\"empty\":{},\"none\":[],\"nested\":[[],[{}],{\"a\":{\"b\":[null]}}],"
                + "\"twice\":{\"a\":1,\"b\":2,\"a\":3},\"text\":\"h\\u00e9 \\ud83d\\ude00 \\\"q\\\"\\n\","
                + "\"long\":\"" + "v".repeat(300) + "\",\"" + "k".repeat(300) + "\":{\"x\":1,\"" + "k".repeat(300) + "\":2},"
                + "\"many\":{" + many + "}}";
        for (int i = 0; i < 2; i++) { // twice: the second shares the first's pooled parts
            sb.append("{\"apiVersion\":\"example.com/v1\",\"kind\":\"Odd\",\"metadata\":{\"name\":\"odd-").append(i)
                    .append("\",\"namespace\":\"ns\"},\"spec\":").append(odd).append(",\"status\":").append(odd).append(",\"data\":")
                    .append(odd).append(",\"empty\":{},\"nothing\":null,\"number\":7},");
        }
        String list = sb.append("null]}").toString();

        List<GenericKubernetesResource> byJackson = StreamedList.parse(stream(list), false, Compactor.SHARED::compact).getItems();
        List<GenericKubernetesResource> compact = StreamedList.parse(stream(list), true, Compactor.SHARED::compact).getItems();

        assertThat(compact).hasSameSizeAs(byJackson).hasSize(6).last().isNull();
        for (int i = 0; i < 5; i++) {
            assertThat(json.asJson(compact.get(i))).isEqualTo(json.asJson(byJackson.get(i)));
            assertSameParts("item " + i, compact.get(i).getAdditionalProperties(), byJackson.get(i).getAdditionalProperties(), 0);
            assertThat(compact.get(i).getMetadata()).isEqualTo(byJackson.get(i).getMetadata());
        }
        @SuppressWarnings("unchecked")
        Map<String, Object> twice = (Map<String, Object>) ((Map<?, ?>) compact.get(3).getAdditionalProperties().get("spec")).get("twice");
        assertThat(twice).as("a repeated name: the last value, in the first one's place").containsExactly(Map.entry("a", (Object) 3), Map.entry("b", (Object) 2));
        @SuppressWarnings("unchecked")
        Map<String, Object> manyRead = (Map<String, Object>) ((Map<?, ?>) compact.get(3).getAdditionalProperties().get("spec")).get("many");
        assertThat(manyRead).hasSize(101).containsEntry("k5", "again").containsEntry("k99", "last").containsEntry("l".repeat(300), (Object) 2);
        assertThat(new ArrayList<>(manyRead.keySet()).subList(0, 6)).containsExactly("k0", "k1", "k2", "k3", "k4", "k5");
        Object containers = ((Map<?, ?>) compact.get(1).getAdditionalProperties().get("spec")).get("containers");
        assertThat(containers).as("what pods of one ReplicaSet share, shared with the pods read by Jackson")
                .isSameAs(((Map<?, ?>) byJackson.get(0).getAdditionalProperties().get("spec")).get("containers"));
        assertThat(compact.get(0).getAdditionalProperties().get("spec")).as("the spec is the pod's own (not pooled)")
                .isNotSameAs(byJackson.get(0).getAdditionalProperties().get("spec"));
    }

    /**
     * {@code a} and {@code b} are the same value in the same classes, down to the leaves; strings are the interned ones
     * (unless long), and below the object's spec and the like (depth 2 on), maps and lists are the same instances.
     */
    private static void assertSameParts(String where, Object a, Object b, int depth) {
        if (a == null || b == null) {
            assertThat(a).as(where).isSameAs(b);
            return;
        }
        assertThat(a.getClass()).as(where).isEqualTo(b.getClass());
        if (a instanceof String s) {
            assertThat(s).as(where).isEqualTo(b);
            if (s.length() <= 256) {
                assertThat(s).as(where + " interned").isSameAs(s.intern()).isSameAs(b);
            }
        } else if (a instanceof Map<?, ?> m) {
            List<Object> keys = new ArrayList<>(m.keySet());
            assertThat(keys).as(where + " keys in order").containsExactlyElementsOf(((Map<?, ?>) b).keySet());
            for (Object k : keys) {
                assertThat(k).as(where + " key").isSameAs(((Map<?, ?>) b).keySet().stream().filter(k::equals).findFirst().orElseThrow());
                assertSameParts(where + "." + k, m.get(k), ((Map<?, ?>) b).get(k), depth == 0 && "status".equals(k) || depth < 0 ? -1 : depth + 1);
            }
        } else if (a instanceof List<?> l) {
            assertThat(l).as(where).hasSameSizeAs((List<?>) b);
            for (int i = 0; i < l.size(); i++) {
                assertSameParts(where + "[" + i + "]", l.get(i), ((List<?>) b).get(i), depth < 0 ? -1 : depth + 1);
            }
        } else {
            assertThat(a).as(where).isEqualTo(b);
        }
        if (depth >= 2 && (a instanceof Map<?, ?> || a instanceof List<?>)) {
            assertThat(a).as(where + " pooled").isSameAs(b);
        }
    }

    private static String list(int items, String extra) {
        StringBuilder sb = new StringBuilder("{\"kind\":\"PodList\",\"apiVersion\":\"v1\",\"metadata\":{\"resourceVersion\":\"4711\"},\"items\":[");
        for (int i = 0; i < items; i++) {
            sb.append(i == 0 ? "" : ",").append("{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"pod-").append(i)
                    .append("\",\"namespace\":\"ns\",\"labels\":{\"app\":\"web\"},\"managedFields\":[{\"manager\":\"kubelet\",")
                    .append("\"operation\":\"Update\",\"fieldsV1\":{\"f:status\":{\"f:phase\":{}}}}]},\"spec\":{\"containers\":[{\"name\":\"app\",")
                    .append("\"image\":\"nginx:1.25\",\"env\":[").append("{\"name\":\"X\",\"value\":\"").append("x".repeat(300)).append("\"}]}]}}");
        }
        return sb.append("]").append(extra).append("}").toString();
    }

    private static InputStream stream(String json) {
        return new ByteArrayInputStream(json.getBytes(StandardCharsets.UTF_8));
    }

    /** How many bytes have been taken from the stream so far. */
    private static final class CountingStream extends FilterInputStream {
        long read;

        CountingStream(byte[] bytes) {
            super(new ByteArrayInputStream(bytes));
        }

        @Override
        public int read() throws IOException {
            int b = super.read();
            read += b < 0 ? 0 : 1;
            return b;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            int n = super.read(b, off, len);
            read += Math.max(n, 0);
            return n;
        }
    }
}
