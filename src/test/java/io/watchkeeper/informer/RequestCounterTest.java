package io.watchkeeper.informer;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;

import org.junit.jupiter.api.Test;

class RequestCounterTest {

    private final InformerKey pods = new InformerKey("", "v1", "pods", "shop", "app=web,tier in (a,b)", "status.phase!=Failed");

    @Test
    void shouldRecogniseAnInformersListAndWatchWhateverTheTermOrder() {
        var list = RequestCounter.Request.parse(URI.create("https://k8s:6443/api/v1/namespaces/shop/pods?labelSelector="
                + "tier%20in%20(a%2Cb)%2Capp%3Dweb&fieldSelector=status.phase%21%3DFailed&resourceVersion=0"));
        var watch = RequestCounter.Request.parse(URI.create("https://k8s:6443/api/v1/namespaces/shop/pods?allowWatchBookmarks=true&"
                + "labelSelector=app%3Dweb%2Ctier%20in%20(a%2Cb)&fieldSelector=status.phase%21%3DFailed&watch=true"));
        assertThat(list.matches(pods)).isTrue();
        assertThat(list.watch()).isFalse();
        assertThat(watch.matches(pods)).isTrue();
        assertThat(watch.watch()).isTrue();
    }

    @Test
    void shouldNotConfuseInformersThatDifferBySelectorOrScope() {
        var other = RequestCounter.Request.parse(URI.create("https://k8s/api/v1/namespaces/shop/pods?labelSelector=app%3Dweb"));
        var allNamespaces = RequestCounter.Request.parse(URI.create("https://k8s/api/v1/pods?labelSelector=app%3Dweb%2Ctier%20in%20(a%2Cb)"
                + "&fieldSelector=status.phase%21%3DFailed"));
        assertThat(other.matches(pods)).isFalse();
        assertThat(allNamespaces.matches(pods)).isFalse();
    }
}
