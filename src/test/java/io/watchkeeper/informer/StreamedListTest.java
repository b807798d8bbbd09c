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

import org.junit.jupiter.api.Test;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.GenericKubernetesResourceList;

/** How {@link StreamedList} reads a list's JSON: item by item, each handed over before the next is read. */
class StreamedListTest {

    @Test
    void shouldHandOverEachItemBeforeReadingTheNext() throws IOException {
        int items = 200;
        byte[] json = list(items, "").getBytes(StandardCharsets.UTF_8);
        CountingStream body = new CountingStream(json);
        List<Long> readWhenHandedOver = new ArrayList<>();
        List<GenericKubernetesResource> handedOver = new ArrayList<>();

        GenericKubernetesResourceList list = StreamedList.parse(body, item -> {
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
        GenericKubernetesResourceList list = StreamedList.parse(stream(json), item -> item);
        GenericKubernetesResource pod = list.getItems().get(0);
        assertThat(pod.getMetadata().getManagedFields()).as("never built").isNullOrEmpty();
        assertThat(pod.getMetadata().getLabels()).containsEntry("app", "web");
        assertThat(pod.getAdditionalProperties()).containsKey("spec");
    }

    @Test
    void shouldReadAnEmptyListAndNullItems() throws IOException {
        assertThat(StreamedList.parse(stream("{\"kind\":\"PodList\",\"metadata\":{\"resourceVersion\":\"9\"},\"items\":[]}"), i -> i)
                .getItems()).isEmpty();
        GenericKubernetesResourceList none = StreamedList.parse(stream("{\"metadata\":{\"resourceVersion\":\"9\"},\"items\":null}"), i -> i);
        assertThat(none.getItems()).isEmpty();
        assertThat(none.getMetadata().getResourceVersion()).isEqualTo("9");
    }

    @Test
    void shouldRefuseWhatIsNotAList() {
        assertThatThrownBy(() -> StreamedList.parse(stream("[1,2]"), i -> i)).isInstanceOf(IOException.class).hasMessageContaining("not a JSON object");
        assertThatThrownBy(() -> StreamedList.parse(stream("{\"items\":{}}"), i -> i)).isInstanceOf(IOException.class)
                .hasMessageContaining("not a JSON array");
        assertThatThrownBy(() -> StreamedList.parse(stream("{\"items\":[{\"metadata\":{\"name\":\"a\"}}"), i -> i))
                .as("a response cut short").isInstanceOf(IOException.class);
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
